package admission

import (
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/slots"
)

// maxConditionMessage is metav1.Condition's limit on a message.
const maxConditionMessage = 32768

func systemHeldBy(holders map[string]int) *rpav1alpha1.TargetSystem {
	ts := &rpav1alpha1.TargetSystem{ObjectMeta: metav1.ObjectMeta{Name: "sbsys"}}
	for ns, n := range holders {
		for i := range n {
			name := fmt.Sprintf("%s-run-%03d-%s", ns, i, strings.Repeat("x", 200))
			ts.Status.Holders = append(ts.Status.Holders, rpav1alpha1.SlotHolder{Namespace: ns, Name: name, UID: ns + name})
		}
	}
	ts.Spec.MaxConcurrentRuns = int32(len(ts.Status.Holders))
	return ts
}

func TestSystemBusyNamesOnlyTheRunsOwnTenantsHoldersAndStaysBounded(t *testing.T) {
	tests := []struct {
		name string
		// environment
		holders map[string]int
		// expected
		wantIn, wantNotIn []string
	}{
		{
			name:      "holders of other namespaces are counted, not named",
			holders:   map[string]int{"aalborg-payroll": 1, "herning-mail": 2},
			wantIn:    []string{"3 of 3 slots in use", "aalborg-payroll-run-000", "2 of other namespaces"},
			wantNotIn: []string{"herning-mail"},
		},
		{
			name:      "a few hundred holders: a few named, the rest counted",
			holders:   map[string]int{"aalborg-payroll": 300, "herning-mail": 200},
			wantIn:    []string{"500 of 500 slots in use", "and 295 more", "200 of other namespaces"},
			wantNotIn: []string{"herning-mail", "aalborg-payroll-run-299"},
		},
		{
			name:    "none of this namespace",
			holders: map[string]int{"herning-mail": 2},
			wantIn:  []string{"2 of other namespaces"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := systemHeldBy(tt.holders)
			wait := systemBusy(ts, 0, "aalborg-payroll", slots.Share{Limit: ts.Spec.NamespaceShare(), Held: heldPerNamespace(ts.Status.Holders)})
			if len(wait.Message) > maxConditionMessage/8 {
				t.Errorf("message of %d bytes; a condition takes %d", len(wait.Message), maxConditionMessage)
			}
			for _, s := range tt.wantIn {
				if !strings.Contains(wait.Message, s) {
					t.Errorf("message %q does not say %q", wait.Message, s)
				}
			}
			for _, s := range tt.wantNotIn {
				if strings.Contains(wait.Message, s) {
					t.Errorf("message %q says %q", wait.Message, s)
				}
			}
		})
	}
}

func TestWaitAtTheNamespaceShareSaysSo(t *testing.T) {
	ts := systemHeldBy(map[string]int{"aalborg-payroll": 2, "herning-mail": 1})
	ts.Spec.MaxConcurrentRuns = 10
	ts.Spec.MaxConcurrentRunsPerNamespace = ptr.To[int32](2)
	share := slots.Share{Limit: ts.Spec.NamespaceShare(), Held: heldPerNamespace(ts.Status.Holders)}
	wait := systemBusy(ts, 7, "aalborg-payroll", share)
	want := "lets one namespace have 2 runs at once, and this namespace has 2"
	if !strings.Contains(wait.Message, want) || strings.Contains(wait.Message, "herning-mail") {
		t.Errorf("message %q, want it to say %q and name no other namespace", wait.Message, want)
	}
}
