package enduser

import "errors"

// active reads logind's seats, and the active virtual console where logind
// does not run.
func (s Source) active() ([]Seat, error) {
	seats, err := s.logindSeats()
	if errors.Is(err, errNoLogind) {
		return s.vtSeat()
	}
	return seats, err
}
