package host

import "time"

// OSName describes the operating system as Facts.OS does ("Debian
// GNU/Linux 12 (bookworm); Linux 6.1.0-18-amd64").
func OSName() string { return osName() }

// FQDN finds the host's DNS name as Facts.FQDN does; it takes up to about
// a second (DNS). "" when the host has none.
func FQDN(hostname string) string { return fqdn(hostname, localIP("")) }

// Uptime is the time since the machine booted; false when the OS does not
// tell.
func Uptime() (time.Duration, bool) { return uptime() }

// DiskUsage returns the size of the file system holding dir and the space
// on it available to unprivileged users; false when the OS does not tell.
func DiskUsage(dir string) (total, free uint64, ok bool) { return diskUsage(dir) }
