package robotrun

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/utils/ptr"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/admission"
)

func TestApplyDecision(t *testing.T) {
	now := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		// status before
		waitingFor []string
		// decision
		decision admission.Decision
		// expected
		wantPhase      rpav1alpha1.RunPhase
		wantReason     string
		wantWaitingFor []string
		wantPriority   int32
		wantCompleted  bool
	}{
		{
			name: "queued for a TargetSystem slot, at its priority",
			decision: admission.Decision{Phase: rpav1alpha1.PhaseQueued, Reason: rpav1alpha1.ReasonWaitingForSystem,
				Message: "busy", WaitingFor: []string{"TargetSystem/sbsys"}, Priority: ptr.To[int32](20)},
			wantPhase: rpav1alpha1.PhaseQueued, wantReason: rpav1alpha1.ReasonWaitingForSystem,
			wantWaitingFor: []string{"TargetSystem/sbsys"}, wantPriority: 20,
		},
		{
			name:       "behind a run of its robot it no longer waits for a slot",
			waitingFor: []string{"TargetSystem/sbsys"},
			decision:   admission.Decision{Phase: rpav1alpha1.PhaseQueued, Reason: rpav1alpha1.ReasonWaitingForRun, Message: "run x first"},
			wantPhase:  rpav1alpha1.PhaseQueued, wantReason: rpav1alpha1.ReasonWaitingForRun,
		},
		{
			name: "a credential missing past the deadline ends the run",
			decision: admission.Decision{Phase: rpav1alpha1.PhaseFailed, Reason: rpav1alpha1.ReasonCredentialsNotFound,
				Message: "still missing"},
			wantPhase: rpav1alpha1.PhaseFailed, wantReason: rpav1alpha1.ReasonCredentialsNotFound, wantCompleted: true,
		},
		{
			name:       "a ledger that changed meanwhile changes nothing but the priority",
			waitingFor: []string{"Credential/esdh"},
			decision:   admission.Decision{RecheckAfter: time.Second, Priority: ptr.To[int32](5)},
			wantPhase:  rpav1alpha1.PhaseQueued, wantReason: rpav1alpha1.ReasonWaitingForCredential,
			wantWaitingFor: []string{"Credential/esdh"}, wantPriority: 5,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := &rpav1alpha1.RobotRunStatus{Phase: rpav1alpha1.PhaseQueued, WaitingFor: tt.waitingFor}
			setOutcome(next, rpav1alpha1.ReasonWaitingForCredential, "before")
			applyDecision(next, tt.decision, now)
			if next.Phase != tt.wantPhase || SucceededReason(next) != tt.wantReason {
				t.Errorf("phase %s reason %s, want %s %s", next.Phase, SucceededReason(next), tt.wantPhase, tt.wantReason)
			}
			if len(next.WaitingFor) != len(tt.wantWaitingFor) || (len(tt.wantWaitingFor) > 0 && next.WaitingFor[0] != tt.wantWaitingFor[0]) {
				t.Errorf("waitingFor = %v, want %v", next.WaitingFor, tt.wantWaitingFor)
			}
			if next.Priority != tt.wantPriority {
				t.Errorf("priority = %d, want %d", next.Priority, tt.wantPriority)
			}
			if (next.CompletionTime != nil) != tt.wantCompleted {
				t.Errorf("completionTime = %v, want set: %v", next.CompletionTime, tt.wantCompleted)
			}
			stalled := meta.IsStatusConditionTrue(next.Conditions, rpav1alpha1.ConditionStalled)
			if stalled != (tt.wantPhase == rpav1alpha1.PhaseFailed) {
				t.Errorf("Stalled = %v for phase %s", stalled, next.Phase)
			}
		})
	}
}
