//go:build !linux && !darwin

package host

func loggedInUsers() []string { return nil }
