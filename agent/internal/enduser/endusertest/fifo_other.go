//go:build !unix

package endusertest

func mkfifo(string) error { return nil }
