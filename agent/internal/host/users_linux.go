package host

func loggedInUsers() []string {
	return mergeLogins(logins(), readLogindSessions(logindSessionsDir))
}

// mergeLogins names the users of utmp logins and logind sessions.
func mergeLogins(utmp []utmpEntry, sessions []logindSession) []string {
	var names []string
	for _, e := range utmp {
		names = append(names, e.User)
	}
	for _, s := range sessions {
		names = append(names, s.User)
	}
	return uniqueSorted(names)
}
