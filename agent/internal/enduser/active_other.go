//go:build !linux && !darwin

package enduser

// active: other systems do not tell who is at their seat.
func (s Source) active() ([]Seat, error) { return nil, ErrUnsupported }
