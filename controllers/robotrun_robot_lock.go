package controllers

import (
	"hash/fnv"
	"sync"
)

// robotLocks serialise the admission of one robot's runs across the run
// controller's workers. Under Forbid, Queue and Replace a run may start
// only when no other run of its robot is executing, which the controller
// decides by listing the robot's Jobs in the apiserver. Two workers
// admitting two runs of one robot at once could both find no Job and both
// start; holding the robot's lock from that check until the Job is
// created makes the second see the first's Job. (One manager leads at a
// time, so a process-local lock is enough.) Locks are striped: robots that
// share a stripe only wait for each other's admission, which takes a few
// requests.
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
