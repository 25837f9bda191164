// Package slots decides which waiting run may take a free slot of a shared
// resource (a TargetSystem's maxConcurrentRuns, an exclusive credential):
// higher priority first, then the oldest, so that runs of equal priority
// are served in the order they came and none waits forever behind later
// ones. It is pure; the controller keeps the ledger of holders.
package slots

import "time"

// Claimant is a run that wants a slot.
type Claimant struct {
	Namespace, Name, UID string
	Priority             int32
	Created              time.Time
}

// Before says whether a goes before b: higher priority, then created
// earlier; namespace and name break ties of the same second, so that every
// controller replica orders the same way.
func Before(a, b Claimant) bool {
	switch {
	case a.Priority != b.Priority:
		return a.Priority > b.Priority
	case !a.Created.Equal(b.Created):
		return a.Created.Before(b.Created)
	case a.Namespace != b.Namespace:
		return a.Namespace < b.Namespace
	default:
		return a.Name < b.Name
	}
}

// MayTake says whether c may take one of free slots while the others wait
// too: only when fewer than free of the other waiting claimants go before
// it. c itself may be among waiting; it is not counted against itself.
func MayTake(c Claimant, waiting []Claimant, free int) bool {
	if free <= 0 {
		return false
	}
	ahead := 0
	for _, w := range waiting {
		if w.UID != c.UID && Before(w, c) {
			ahead++
		}
	}
	return ahead < free
}
