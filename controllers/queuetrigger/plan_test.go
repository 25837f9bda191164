package queuetrigger

import (
	"strings"
	"testing"

	"k8s.io/utils/ptr"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

func queue(waiting int64, mutate func(*rpav1alpha1.WorkQueue)) *rpav1alpha1.WorkQueue {
	wq := &rpav1alpha1.WorkQueue{Spec: rpav1alpha1.WorkQueueSpec{Trigger: &rpav1alpha1.WorkQueueTrigger{
		RobotName: "per", MinItems: 1, MaxConcurrentRuns: 3, ItemsPerRun: 10,
	}}}
	wq.Status.Items.New = waiting
	if mutate != nil {
		mutate(wq)
	}
	return wq
}

func robot(mutate func(*rpav1alpha1.Robot)) *rpav1alpha1.Robot {
	r := &rpav1alpha1.Robot{Spec: rpav1alpha1.RobotSpec{ConcurrencyPolicy: rpav1alpha1.ConcurrencyAllow}}
	r.Name = "per"
	if mutate != nil {
		mutate(r)
	}
	return r
}

func TestPlanRuns(t *testing.T) {
	tests := []struct {
		name        string
		wq          *rpav1alpha1.WorkQueue
		robot       *rpav1alpha1.Robot
		active      int
		wantStart   int
		wantReason  string
		wantMessage string
	}{
		{name: "nothing waits", wq: queue(0, nil), robot: robot(nil), wantReason: rpav1alpha1.ReasonTriggering},
		{name: "one item: one run", wq: queue(1, nil), robot: robot(nil), wantStart: 1, wantReason: rpav1alpha1.ReasonTriggering},
		{name: "25 items: three runs of ten", wq: queue(25, nil), robot: robot(nil), wantStart: 3, wantReason: rpav1alpha1.ReasonTriggering},
		{name: "250 items: capped at maxConcurrentRuns", wq: queue(250, nil), robot: robot(nil), active: 1, wantStart: 2,
			wantMessage: "250 items wait; 1 runs of robot per going (at most 3)"},
		{name: "runs going already cover the items", wq: queue(15, nil), robot: robot(nil), active: 3, wantStart: 0},
		{name: "fewer than minItems wait", wq: queue(4, func(q *rpav1alpha1.WorkQueue) { q.Spec.Trigger.MinItems = 5 }), robot: robot(nil),
			wantStart: 0, wantReason: rpav1alpha1.ReasonTriggering},
		{name: "minItems reached", wq: queue(5, func(q *rpav1alpha1.WorkQueue) { q.Spec.Trigger.MinItems = 5 }), robot: robot(nil), wantStart: 1},
		{name: "Forbid: one at a time", wq: queue(250, nil), robot: robot(func(r *rpav1alpha1.Robot) { r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyForbid }),
			wantStart: 1, wantMessage: "(at most 1)"},
		{name: "Forbid with a run going", wq: queue(250, nil), robot: robot(func(r *rpav1alpha1.Robot) { r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyForbid }),
			active: 1, wantStart: 0},
		{name: "queue suspended", wq: queue(50, func(q *rpav1alpha1.WorkQueue) { q.Spec.Suspend = true }), robot: robot(nil),
			wantReason: rpav1alpha1.ReasonQueueSuspended},
		{name: "robot missing", wq: queue(50, nil), wantReason: rpav1alpha1.ReasonRobotNotFound, wantMessage: `robot "per" does not exist`},
		{name: "robot suspended", wq: queue(50, nil), robot: robot(func(r *rpav1alpha1.Robot) { r.Spec.Suspend = true }),
			wantReason: rpav1alpha1.ReasonRobotSuspended},
		{name: "arguments the robot does not take", wq: queue(50, func(q *rpav1alpha1.WorkQueue) { q.Spec.Trigger.Arguments = map[string]string{"mode": "x"} }),
			robot: robot(nil), wantReason: rpav1alpha1.ReasonInvalidArguments, wantMessage: "mode"},
		{name: "arguments the robot takes", wq: queue(5, func(q *rpav1alpha1.WorkQueue) { q.Spec.Trigger.Arguments = map[string]string{"mode": "x"} }),
			robot: robot(func(r *rpav1alpha1.Robot) {
				r.Spec.Parameters = []rpav1alpha1.Parameter{{Name: "mode", Default: ptr.To("y")}}
			}),
			wantStart: 1, wantReason: rpav1alpha1.ReasonTriggering},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := planRuns(tt.wq, tt.robot, tt.active)
			if got.start != tt.wantStart {
				t.Errorf("start %d runs, want %d (%s)", got.start, tt.wantStart, got.triggering.Message)
			}
			if tt.wantReason != "" && got.triggering.Reason != tt.wantReason {
				t.Errorf("reason %s, want %s", got.triggering.Reason, tt.wantReason)
			}
			if !strings.Contains(got.triggering.Message, tt.wantMessage) {
				t.Errorf("message %q does not say %q", got.triggering.Message, tt.wantMessage)
			}
			if (got.triggering.Status == "True") != (got.triggering.Reason == rpav1alpha1.ReasonTriggering) {
				t.Errorf("status %s with reason %s", got.triggering.Status, got.triggering.Reason)
			}
		})
	}
}
