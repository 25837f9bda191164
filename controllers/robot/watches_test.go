package robot

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// The events of a robot's many runs bring the robot back once, a moment
// later; a robot already due earlier (its scheduled time) is not held back.
func TestRunEventsBringTheirRobotBackOnceAndNeverLater(t *testing.T) {
	h := runEvents()
	q := priorityqueue.New[reconcile.Request]("run-events-test")
	defer q.ShutDown()
	ctx := context.Background()

	// The robot "scheduled" wakes in 50 ms for its next time.
	q.AddAfter(runRequest("scheduled"), 50*time.Millisecond)
	start := time.Now()
	for i := range 100 {
		old, changed := runOfRobot("busy", i), runOfRobot("busy", i)
		changed.ResourceVersion = "2"
		h.Update(ctx, event.UpdateEvent{ObjectOld: old, ObjectNew: changed}, q)
	}
	h.Create(ctx, event.CreateEvent{Object: runOfRobot("busy", 100)}, q)
	h.Delete(ctx, event.DeleteEvent{Object: runOfRobot("busy", 101)}, q)
	h.Update(ctx, event.UpdateEvent{ObjectOld: runOfRobot("scheduled", 0), ObjectNew: runOfRobot("scheduled", 0)}, q)
	if n := q.Len(); n != 0 {
		t.Fatalf("%d robots ready at once; want none before the delay", n)
	}

	if got := next(t, q); got != runRequest("scheduled") {
		t.Fatalf("first robot back is %v; want the one scheduled earlier than the delay", got)
	}
	if got := next(t, q); got != runRequest("busy") {
		t.Fatalf("second robot back is %v; want busy", got)
	}
	if waited := time.Since(start); waited < runEventDelay-100*time.Millisecond {
		t.Errorf("busy came back after %v; want the events gathered for about %v", waited, runEventDelay)
	}
	if n := q.Len(); n != 0 {
		t.Errorf("%d more requests after 102 events of one robot's runs; want one reconcile for all", n)
	}
}

// next takes the next request from the queue, failing after 10 s.
func next(t *testing.T, q priorityqueue.PriorityQueue[reconcile.Request]) reconcile.Request {
	t.Helper()
	got := make(chan reconcile.Request, 1)
	go func() {
		req, _ := q.Get()
		q.Done(req)
		got <- req
	}()
	select {
	case req := <-got:
		return req
	case <-time.After(10 * time.Second):
		t.Fatal("no request in 10 s")
		return reconcile.Request{}
	}
}

func runOfRobot(robot string, i int) *rpav1alpha1.RobotRun {
	return &rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: fmt.Sprintf("%s-%d", robot, i), ResourceVersion: "1"},
		Spec:       rpav1alpha1.RobotRunSpec{RobotName: robot},
	}
}

func runRequest(name string) reconcile.Request {
	return reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "ns", Name: name}}
}
