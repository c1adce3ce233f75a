package enduser

// active is the console user.
func (s Source) active() ([]Seat, error) { return s.consoleSeat() }

// consoleSeat is the owner of /dev/console (macOS gives it to the user at
// the screen, and takes it back at the login window).
func (s Source) consoleSeat() ([]Seat, error) {
	uid, ok := s.deviceOwner("dev/console")
	if !ok {
		return nil, ErrUnsupported
	}
	if uid == 0 {
		return nil, nil
	}
	return []Seat{{Seat: "console", UID: uid, User: nameOf(uid)}}, nil
}
