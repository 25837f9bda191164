package controllers

import (
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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

// wait keeps the run Pending for a reason a person can act on.
func wait(next *rpav1alpha1.RobotRunStatus, reason, message string) {
	next.Phase = rpav1alpha1.PhasePending
	setOutcome(next, reason, message)
}

// queue keeps the run Queued behind other runs of its robot.
func queue(next *rpav1alpha1.RobotRunStatus, reason, message string) {
	next.Phase = rpav1alpha1.PhaseQueued
	setOutcome(next, reason, message)
}

// setOutcome sets the message and the Succeeded condition that goes with the
// phase: Unknown while the run goes on, True or False once it has finished;
// and the kstatus conditions that say the same (kstatus.go). Transition
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
	setRunKstatus(&next.Conditions, next.Phase, reason, message)
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

func statusEqual(a, b *rpav1alpha1.RobotRunStatus) bool {
	return equality.Semantic.DeepEqual(a, b)
}

// succeededReason is the reason of the run's Succeeded condition.
func succeededReason(status *rpav1alpha1.RobotRunStatus) string {
	if c := meta.FindStatusCondition(status.Conditions, rpav1alpha1.ConditionSucceeded); c != nil {
		return c.Reason
	}
	return ""
}

// isWarning says whether a transition deserves a person's attention.
func isWarning(phase rpav1alpha1.RunPhase, reason string) bool {
	switch {
	case phase == rpav1alpha1.PhaseFailed || phase == rpav1alpha1.PhaseTimedOut:
		return true
	case reason == rpav1alpha1.ReasonCredentialsNotFound, reason == rpav1alpha1.ReasonImagePullFailed,
		reason == rpav1alpha1.ReasonContainerConfigError, reason == rpav1alpha1.ReasonRetrying,
		reason == rpav1alpha1.ReasonUnschedulable:
		return true
	}
	return false
}

// credentialsMessage names the missing Secrets.
func credentialsMessage(missing []string) string {
	return fmt.Sprintf("credential Secret(s) %s not found in the robot's namespace", strings.Join(missing, ", "))
}
