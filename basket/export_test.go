package basket

import "time"

// SetNow makes s read the time from now, so tests can move past expiries.
func SetNow(s *Service, now func() time.Time) { s.now = now }
