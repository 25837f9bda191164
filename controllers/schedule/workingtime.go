package schedule

import "time"

// maxWorkingTimeDays bounds how far back WorkingCutoff looks: a calendar
// closed for a decade has no working time to speak of.
const maxWorkingTimeDays = 3660

// WorkingCutoff is the earliest instant from which the time on open days
// up to now is d: an item added before it has waited longer than d in
// working time, and one added after it (on the closed days just after it,
// too) has not. Open days count whole (midnight to midnight in the
// calendar's zone, 23 or 25 hours when the clocks change); closed days do
// not count at all. A queue's SLA of 24h on a Friday afternoon thus falls
// due on Monday afternoon.
func (c *Calendar) WorkingCutoff(now time.Time, d time.Duration) time.Time {
	end := now.In(c.loc)
	for range maxWorkingTimeDays {
		// The day that ends at end: at midnight, the day before.
		in := end.Add(-time.Nanosecond)
		start := time.Date(in.Year(), in.Month(), in.Day(), 0, 0, 0, 0, c.loc)
		if c.Open(start) {
			available := end.Sub(start)
			if d < available {
				return end.Add(-d)
			}
			d -= available
		}
		end = start
	}
	return end.Add(-d)
}
