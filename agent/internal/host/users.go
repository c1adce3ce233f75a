package host

import "sort"

// LoggedInUsers returns the names of the users who have a login session on
// the machine now, sorted and without duplicates; nil when none or when the
// OS does not tell. On Linux these are the live utmp logins and the
// systemd-logind user sessions, local or remote (an ssh login counts: on a
// server that is how its user is present); on macOS, the console user; on
// other systems nothing is known.
func LoggedInUsers() []string { return loggedInUsers() }

// uniqueSorted sorts names and drops empty names and duplicates.
func uniqueSorted(names []string) []string {
	sort.Strings(names)
	out := names[:0]
	for i, n := range names {
		if n != "" && (i == 0 || n != names[i-1]) {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
