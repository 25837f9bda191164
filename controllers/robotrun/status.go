package robotrun

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/log"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/runstatus"
)

// The functions here assemble a RobotRun's next status; the reconciler
// decides which to call and writes the result once.

// finish ends the run in a final phase.
func finish(next *rpav1alpha1.RobotRunStatus, phase rpav1alpha1.RunPhase, reason, message string, now time.Time) {
	next.Phase = phase
	if next.CompletionTime == nil {
		next.CompletionTime = &metav1.Time{Time: now}
	}
	setOutcome(next, reason, message)
}

// setOutcome sets the message, the Succeeded condition that goes with the
// phase (Unknown while the run goes on, True or False once it has
// finished) and the kstatus conditions that say the same. Transition
// times are stamped when the status is written.
func setOutcome(next *rpav1alpha1.RobotRunStatus, reason, message string) {
	next.Message = message
	status := metav1.ConditionUnknown
	switch {
	case next.Phase == rpav1alpha1.PhaseSucceeded:
		status = metav1.ConditionTrue
	case next.Phase.Finished():
		status = metav1.ConditionFalse
	}
	upsertCondition(&next.Conditions, metav1.Condition{Type: rpav1alpha1.ConditionSucceeded, Status: status, Reason: reason, Message: message})
	setKstatus(&next.Conditions, next.Phase, reason, message)
}

// setKstatus sets the run's Ready, Reconciling and Stalled conditions,
// which Argo CD, Flux and kpt read without knowing our types:
//   - Succeeded: Ready;
//   - Failed, TimedOut, Cancelled: Stalled, for good;
//   - waiting for a Secret or a TargetSystem that does not exist, for a
//     TargetSystem that does not serve its namespace, or for a foreign Job
//     holding its Job's name to go: Stalled
//     until someone acts;
//   - otherwise Reconciling: on its way.
func setKstatus(conditions *[]metav1.Condition, phase rpav1alpha1.RunPhase, reason, message string) {
	ready := metav1.Condition{Type: rpav1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: reason, Message: message}
	var stalled, reconciling bool
	switch {
	case phase == rpav1alpha1.PhaseSucceeded:
		ready.Status = metav1.ConditionTrue
	case phase.Finished(), reason == rpav1alpha1.ReasonCredentialsNotFound, reason == rpav1alpha1.ReasonTargetSystemNotFound,
		reason == rpav1alpha1.ReasonTargetSystemNotAllowed, reason == rpav1alpha1.ReasonJobNameTaken:
		stalled = true
	default:
		reconciling = true
	}
	upsertCondition(conditions, ready)
	setAbnormalTrue(conditions, rpav1alpha1.ConditionStalled, stalled, reason, message)
	setAbnormalTrue(conditions, rpav1alpha1.ConditionReconciling, reconciling, reason, message)
}

// setAbnormalTrue sets an abnormal-true condition when it applies and
// removes it when it does not, as the kstatus conventions ask.
func setAbnormalTrue(conditions *[]metav1.Condition, conditionType string, applies bool, reason, message string) {
	if !applies {
		meta.RemoveStatusCondition(conditions, conditionType)
		return
	}
	upsertCondition(conditions, metav1.Condition{Type: conditionType, Status: metav1.ConditionTrue, Reason: reason, Message: message})
}

// upsertCondition replaces the condition of the same type, or appends it,
// leaving transition time and observed generation to stampConditions.
func upsertCondition(conditions *[]metav1.Condition, cond metav1.Condition) {
	if old := meta.FindStatusCondition(*conditions, cond.Type); old != nil {
		*old = cond
		return
	}
	*conditions = append(*conditions, cond)
}

// applyObservation copies what the Job and pods show into the status.
func applyObservation(next *rpav1alpha1.RobotRunStatus, obs runstatus.Observation) {
	next.Phase = obs.Phase
	next.Attempts = obs.Attempts
	if obs.PodName != "" {
		next.PodName = obs.PodName
	}
	if obs.ExitCode != nil {
		next.ExitCode = obs.ExitCode
	}
	if obs.ImageID != "" {
		next.ImageID = obs.ImageID
	}
	if next.Image == "" {
		next.Image = obs.Image
	}
	if obs.StartTime != nil {
		next.StartTime = obs.StartTime
	}
	if obs.Phase.Finished() {
		next.CompletionTime = obs.CompletionTime
	}
	if obs.Result != nil {
		next.Result = obs.Result
	}
	if obs.LogTail != "" {
		next.LogTail = obs.LogTail
	}
	message := obs.Message
	if obs.ResultError != "" {
		message += "; " + obs.ResultError + ", so status.result is empty"
	}
	setOutcome(next, obs.Reason, message)
}

// stampConditions sets each condition's observed generation, and its
// transition time: kept from the old status when the condition's status did
// not change, now when it did.
func stampConditions(old, next *rpav1alpha1.RobotRunStatus, generation int64, now time.Time) {
	for i := range next.Conditions {
		c := &next.Conditions[i]
		c.ObservedGeneration = generation
		if prev := meta.FindStatusCondition(old.Conditions, c.Type); prev != nil && prev.Status == c.Status {
			c.LastTransitionTime = prev.LastTransitionTime
		} else {
			c.LastTransitionTime = metav1.NewTime(now.Truncate(time.Second))
		}
	}
}

// setDuration fills in the human-readable duration of a finished run.
func setDuration(next *rpav1alpha1.RobotRunStatus) {
	if next.StartTime == nil || next.CompletionTime == nil {
		return
	}
	next.Duration = next.CompletionTime.Sub(next.StartTime.Time).Round(time.Second).String()
}

// SucceededReason is the reason of the run's Succeeded condition.
func SucceededReason(status *rpav1alpha1.RobotRunStatus) string {
	if c := meta.FindStatusCondition(status.Conditions, rpav1alpha1.ConditionSucceeded); c != nil {
		return c.Reason
	}
	return ""
}

// cancelOutcome is the reason and message of a cancelled run: Replaced when
// a newer run cancelled it.
func cancelOutcome(run *rpav1alpha1.RobotRun, message string) (string, string) {
	if by := run.Annotations[rpav1alpha1.AnnotationReplacedBy]; by != "" {
		return rpav1alpha1.ReasonReplaced, fmt.Sprintf("replaced by run %s (concurrencyPolicy Replace); %s", by, message)
	}
	return rpav1alpha1.ReasonCancelled, message
}

// routineProgress reports whether a reason is a run's ordinary progress
// (its Job was created, its pod runs): those are in the run's conditions,
// and the Job and pod have Events of their own; an Event each would be
// two more writes per run. Waiting, warnings and outcomes get an Event.
func routineProgress(reason string) bool {
	return reason == rpav1alpha1.ReasonJobCreated || reason == rpav1alpha1.ReasonRunning
}

// isWarning says whether a transition deserves a person's attention.
func isWarning(phase rpav1alpha1.RunPhase, reason string) bool {
	switch {
	case phase == rpav1alpha1.PhaseFailed || phase == rpav1alpha1.PhaseTimedOut:
		return true
	case reason == rpav1alpha1.ReasonCredentialsNotFound, reason == rpav1alpha1.ReasonImagePullFailed,
		reason == rpav1alpha1.ReasonContainerConfigError, reason == rpav1alpha1.ReasonRetrying,
		reason == rpav1alpha1.ReasonUnschedulable, reason == rpav1alpha1.ReasonJobNameTaken,
		reason == rpav1alpha1.ReasonTargetSystemNotAllowed:
		return true
	}
	return false
}

// recordTransition emits an Event when the run's phase or reason changed,
// and counts the run in the metrics when it has just started or finished.
func (r *Reconciler) recordTransition(ctx context.Context, before, after *rpav1alpha1.RobotRun) {
	if after.Status.StartTime != nil && before.Status.StartTime == nil {
		r.Metrics.RunStarted(after)
	}
	oldReason, newReason := SucceededReason(&before.Status), SucceededReason(&after.Status)
	if before.Status.Phase == after.Status.Phase && oldReason == newReason {
		return
	}
	log.FromContext(ctx).Info("run transition", "from", before.Status.Phase, "to", after.Status.Phase, "reason", newReason)
	if !routineProgress(newReason) {
		eventType := corev1.EventTypeNormal
		if isWarning(after.Status.Phase, newReason) {
			eventType = corev1.EventTypeWarning
		}
		r.Recorder.Eventf(after, nil, eventType, newReason, string(after.Status.Phase), "%s", after.Status.Message)
	}
	if after.Status.Phase.Finished() && !before.Status.Phase.Finished() {
		r.Metrics.RunFinished(after, newReason)
	}
}
