package runrecorder

import (
	"encoding/json"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/runrecord/store"
)

// recordOf is what the records keep of a finished run: its spec and
// status as the apiserver and the operator wrote them, never the robot's
// log tail (its own words, kept with the logs) nor any Secret's value.
func recordOf(run *rpav1alpha1.RobotRun, items []int64, now time.Time) (store.Record, error) {
	r := store.Record{
		UID: string(run.UID), Namespace: run.Namespace, Robot: run.Spec.RobotName, Run: run.Name,
		Trigger: store.Trigger{
			Type: string(run.Spec.Trigger.Type), Schedule: run.Spec.Trigger.Schedule, Queue: run.Spec.Trigger.Queue,
		},
		RequestedBy: usernameOf(run.Spec.RequestedBy), CancelledBy: usernameOf(run.Spec.CancelledBy),
		Arguments: run.Spec.Arguments,
		Image:     run.Status.Image, ImageID: run.Status.ImageID,
		Systems:   run.Status.Systems,
		CreatedAt: run.CreationTimestamp.Time,
		Phase:     string(run.Status.Phase), Message: run.Status.Message,
		Attempts: int(run.Status.Attempts), ExitCode: run.Status.ExitCode,
		WorkItems: items,
	}
	if t := run.Spec.Trigger.ScheduledTime; t != nil {
		r.Trigger.ScheduledTime = &t.Time
	}
	if r.Trigger.Type == "" {
		r.Trigger.Type = string(rpav1alpha1.TriggerManual)
	}
	for _, c := range run.Status.Credentials {
		r.Credentials = append(r.Credentials, store.Credential{Name: c.Name, SecretName: c.SecretName, Account: c.Account})
	}
	if t := run.Status.StartTime; t != nil {
		r.StartedAt = &t.Time
	}
	r.FinishedAt = finishedAt(run, now)
	if c := meta.FindStatusCondition(run.Status.Conditions, rpav1alpha1.ConditionSucceeded); c != nil {
		r.Reason = c.Reason
	}
	if run.Status.Result != nil {
		result, err := json.Marshal(run.Status.Result)
		if err != nil {
			return r, fmt.Errorf("encode the result of run %s: %w", run.Name, err)
		}
		r.Result = result
	}
	return r, nil
}

// finishedAt is when the run finished: its completion time, which the
// operator writes with the final phase; failing that, when it was deleted
// or, last, when it is recorded.
func finishedAt(run *rpav1alpha1.RobotRun, now time.Time) time.Time {
	switch {
	case run.Status.CompletionTime != nil:
		return run.Status.CompletionTime.Time
	case run.DeletionTimestamp != nil:
		return run.DeletionTimestamp.Time
	}
	return now
}

func usernameOf(r *rpav1alpha1.RunRequester) string {
	if r == nil {
		return ""
	}
	return r.Username
}
