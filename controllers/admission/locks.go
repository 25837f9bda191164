package admission

import (
	"hash/fnv"
	"sync"
)

// robotLocks serialise the admission of one robot's runs across the run
// controller's workers, from the check that no run executes until the Job
// exists: two workers admitting two runs of one robot at once could both
// find no Job. One manager leads at a time, so a process-local lock is
// enough. Locks are striped; robots sharing a stripe wait only for each
// other's admission, a few requests.
type robotLocks struct {
	stripes [64]sync.Mutex
}

// lock locks the robot's stripe and returns the unlock.
func (l *robotLocks) lock(namespace, robot string) (unlock func()) {
	h := fnv.New32a()
	_, _ = h.Write([]byte(namespace))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(robot))
	m := &l.stripes[h.Sum32()%uint32(len(l.stripes))]
	m.Lock()
	return m.Unlock
}
