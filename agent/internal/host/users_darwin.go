package host

func loggedInUsers() []string {
	return uniqueSorted([]string{consoleUser()})
}
