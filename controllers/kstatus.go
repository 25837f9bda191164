package controllers

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// The kstatus conditions (Ready, Reconciling, Stalled) are what generic
// tools compute health from: Argo CD, Flux and `kpt live status` read them
// without knowing our types, so a GitOps sync can wait for robots and runs
// and show a failed one as failed. They restate, in the conventions'
// terms, what the Robot's Ready condition and the run's phase already say.

// setRobotStalled makes the Robot Stalled whenever it is not Ready: every
// reason a Robot is not Ready (a missing credential Secret, an invalid
// schedule) needs a person to change something.
func setRobotStalled(conditions *[]metav1.Condition, ready metav1.Condition) {
	if ready.Status == metav1.ConditionTrue {
		meta.RemoveStatusCondition(conditions, rpav1alpha1.ConditionStalled)
		return
	}
	meta.SetStatusCondition(conditions, metav1.Condition{
		Type: rpav1alpha1.ConditionStalled, Status: metav1.ConditionTrue,
		Reason: ready.Reason, Message: ready.Message, ObservedGeneration: ready.ObservedGeneration,
	})
}

// setRunKstatus sets a run's Ready, Reconciling and Stalled conditions from
// its phase and the reason and message of its Succeeded condition:
//   - Succeeded: Ready;
//   - Failed, TimedOut, Cancelled: Stalled, for good (kstatus has no
//     separate "ended without success"; a cancelled run will not succeed);
//   - waiting for a credential Secret or a TargetSystem that does not
//     exist: Stalled until someone creates it;
//   - otherwise Reconciling: on its way.
//
// Transition times and observed generations are stamped with the others
// when the status is written (stampConditions).
func setRunKstatus(conditions *[]metav1.Condition, phase rpav1alpha1.RunPhase, reason, message string) {
	ready := metav1.Condition{Type: rpav1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: reason, Message: message}
	var stalled, reconciling bool
	switch {
	case phase == rpav1alpha1.PhaseSucceeded:
		ready.Status = metav1.ConditionTrue
	case phase.Finished(), reason == rpav1alpha1.ReasonCredentialsNotFound, reason == rpav1alpha1.ReasonTargetSystemNotFound:
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
