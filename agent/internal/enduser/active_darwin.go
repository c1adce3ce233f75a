package enduser

// active is the console user.
func (s Source) active() ([]Seat, error) { return s.consoleSeat() }
