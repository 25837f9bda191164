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
	return MayTakeShare(c, waiting, free, Share{})
}

// Share is how many slots one namespace may hold at once (Limit; zero is
// no limit) and how many each namespace holds now (Held).
type Share struct {
	Limit int
	Held  map[string]int
}

// room is how many more slots a namespace may take.
func (s Share) room(namespace string) int {
	if s.Limit <= 0 {
		return int(^uint(0) >> 1)
	}
	return s.Limit - s.Held[namespace]
}

// MayTakeShare is MayTake under a per-namespace share: c may not take a
// slot when its namespace holds its share, and of the claimants before it
// a namespace counts only as many as it still has room for, so that a
// department at its share holds up nobody else.
func MayTakeShare(c Claimant, waiting []Claimant, free int, share Share) bool {
	if free <= 0 || share.room(c.Namespace) <= 0 {
		return false
	}
	ahead := 0
	counted := map[string]int{}
	for _, w := range waiting {
		if w.UID == c.UID || !Before(w, c) || counted[w.Namespace] >= share.room(w.Namespace) {
			continue
		}
		counted[w.Namespace]++
		ahead++
	}
	return ahead < free
}
