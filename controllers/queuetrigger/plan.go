// Package queuetrigger is the WorkQueue trigger: it starts runs of a
// queue's robot while items wait (docs/work-queues.md), reading the
// counts rpa-server writes into the WorkQueue's status, so the manager
// needs no database.
package queuetrigger

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
)

// plan is what the trigger does now: how many runs to start, and the
// Triggering condition that says why.
type plan struct {
	start      int
	triggering metav1.Condition
}

// planRuns decides how many runs to start for a queue whose robot is robot
// (nil when it does not exist), with active runs of the trigger not
// finished: one for every itemsPerRun waiting items, once minItems wait,
// up to maxConcurrentRuns, and one at a time under a concurrency policy
// other than Allow (a second run would only wait).
func planRuns(wq *rpav1alpha1.WorkQueue, robot *rpav1alpha1.Robot, active int) plan {
	t := wq.Spec.Trigger
	blocked := func(reason, message string) plan {
		return plan{triggering: condition(wq, metav1.ConditionFalse, reason, message)}
	}
	switch {
	case wq.Spec.Suspend:
		return blocked(rpav1alpha1.ReasonQueueSuspended, "the queue is suspended; no runs are started until it is resumed")
	case robot == nil:
		return blocked(rpav1alpha1.ReasonRobotNotFound,
			fmt.Sprintf("robot %q does not exist in this namespace; create it or fix spec.trigger.robotName", t.RobotName))
	case robot.Spec.Suspend:
		return blocked(rpav1alpha1.ReasonRobotSuspended, fmt.Sprintf("robot %s is suspended; no runs are started until it is resumed", robot.Name))
	}
	if _, err := jobs.ResolveArguments(robot.Spec.Parameters, t.Arguments); err != nil {
		return blocked(rpav1alpha1.ReasonInvalidArguments, fmt.Sprintf("spec.trigger.arguments do not fit robot %s: %v", robot.Name, err))
	}
	most := int(t.MaxConcurrentRuns)
	if robot.Spec.ConcurrencyPolicy != rpav1alpha1.ConcurrencyAllow {
		most = 1
	}
	waiting := int(wq.Status.Items.New)
	wanted := 0
	if waiting >= int(max(t.MinItems, 1)) {
		wanted = min(most, ceilDiv(waiting, int(max(t.ItemsPerRun, 1))))
	}
	message := fmt.Sprintf("%d items wait; %d runs of robot %s going (at most %d)", waiting, active, robot.Name, most)
	return plan{start: max(wanted-active, 0), triggering: condition(wq, metav1.ConditionTrue, rpav1alpha1.ReasonTriggering, message)}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func condition(wq *rpav1alpha1.WorkQueue, status metav1.ConditionStatus, reason, message string) metav1.Condition {
	return metav1.Condition{Type: rpav1alpha1.ConditionTriggering, Status: status, Reason: reason, Message: message, ObservedGeneration: wq.Generation}
}
