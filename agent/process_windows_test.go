//go:build windows

package main

// processAlive is not needed on Windows, where these tests are skipped.
func processAlive(int) bool { return false }
