package plugin

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	recordsv1alpha1 "github.com/rpa-operator/rpa-operator/api/records/v1alpha1"
	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/runhistory"
)

// createRunNamed creates a run of robot that no controller label marks, as
// `kubectl create` would.
func createRunNamed(t *testing.T, ns, name, robot string) {
	t.Helper()
	run := &rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       rpav1alpha1.RobotRunSpec{RobotName: robot},
	}
	NewWithT(t).Expect(k8sClient.Create(context.Background(), run)).To(Succeed())
}

func TestHistoryListsTheRobotsRunsNewestFirst(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	createRobot(t, ns, "welcome-letters", nil)
	createRobot(t, ns, "residence-check", nil)
	// Created in this order; within one second the name decides, and these
	// names sort the same way as their creation.
	createRunNamed(t, ns, "welcome-letters-1", "welcome-letters")
	createRunNamed(t, ns, "residence-check-1", "residence-check")
	createRunNamed(t, ns, "welcome-letters-2", "welcome-letters")
	createRunNamed(t, ns, "welcome-letters-3", "welcome-letters")

	res := kubectlRobot(t, ns, "history", "welcome-letters")
	g.Expect(res.err).NotTo(HaveOccurred())
	lines := strings.Split(strings.TrimSpace(res.out), "\n")
	g.Expect(lines).To(HaveLen(4))
	g.Expect(strings.Fields(lines[0])).To(Equal([]string{"NAME", "TRIGGER", "PHASE", "REASON", "REQUESTED", "BY", "WAITING", "FOR", "ITEMS", "STARTED", "DURATION", "KEPT"}))
	g.Expect(res.errOut).To(ContainSubstring("is rpa-server installed?"), "without rpa-server, the runs the cluster has")
	g.Expect(lines[1]).To(HavePrefix("welcome-letters-3 "))
	g.Expect(lines[2]).To(HavePrefix("welcome-letters-2 "))
	g.Expect(lines[3]).To(HavePrefix("welcome-letters-1 "))

	res = kubectlRobot(t, ns, "history", "welcome-letters", "-o", "json")
	g.Expect(res.err).NotTo(HaveOccurred())
	var list rpav1alpha1.RobotRunList
	g.Expect(json.Unmarshal([]byte(res.out), &list)).To(Succeed())
	g.Expect(list.Kind).To(Equal("RobotRunList"))
	g.Expect(list.APIVersion).To(Equal("rpa.dev/v1alpha1"))
	names := make([]string, 0, len(list.Items))
	for _, r := range list.Items {
		names = append(names, r.Name)
	}
	g.Expect(names).To(Equal([]string{"welcome-letters-3", "welcome-letters-2", "welcome-letters-1"}))
}

func TestHistoryRejectsUnknownOutputAndMissingRobot(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	g.Expect(kubectlRobot(t, ns, "history", "x", "-o", "wide").err).To(MatchError(ContainSubstring(`-o "wide"`)))
	g.Expect(kubectlRobot(t, ns, "history", "x").err).To(MatchError(`robot "x" not found in namespace "` + ns + `"`))
}

func TestHistoryRow(t *testing.T) {
	now := time.Date(2026, time.November, 23, 9, 0, 0, 0, time.UTC)
	started := metav1.Time{Time: time.Date(2026, time.November, 23, 8, 45, 0, 0, time.UTC)}
	tests := []struct {
		name string
		run  rpav1alpha1.RobotRun
		want []string
	}{
		{
			name: "new run without status",
			run: rpav1alpha1.RobotRun{ObjectMeta: metav1.ObjectMeta{Name: "r1"},
				Spec: rpav1alpha1.RobotRunSpec{Trigger: rpav1alpha1.Trigger{Type: rpav1alpha1.TriggerManual}}},
			want: []string{"r1", "Manual", "-", "-", "-", "-", "-", "-", "-", "run"},
		},
		{
			name: "finished scheduled run",
			run: rpav1alpha1.RobotRun{ObjectMeta: metav1.ObjectMeta{Name: "r2"},
				Spec: rpav1alpha1.RobotRunSpec{Trigger: rpav1alpha1.Trigger{Type: rpav1alpha1.TriggerSchedule},
					RequestedBy: &rpav1alpha1.RunRequester{Username: "system:serviceaccount:rpa-system:rpa-operator-controller-manager"}},
				Status: rpav1alpha1.RobotRunStatus{
					Phase:      rpav1alpha1.PhaseFailed,
					Conditions: []metav1.Condition{{Type: rpav1alpha1.ConditionSucceeded, Status: metav1.ConditionFalse, Reason: "BusinessException"}},
					StartTime:  &started, Duration: "3m12s",
					Result: &rpav1alpha1.RunResult{ItemsProcessed: ptr.To[int64](7)},
				}},
			want: []string{"r2", "Schedule", "Failed", "BusinessException", "system:serviceaccount:rpa-system:rpa-operator-controller-manager",
				"-", "7", "15m ago", "3m12s", "run"},
		},
		{
			name: "run waiting for a system and a credential",
			run: rpav1alpha1.RobotRun{ObjectMeta: metav1.ObjectMeta{Name: "r3"},
				Spec: rpav1alpha1.RobotRunSpec{Trigger: rpav1alpha1.Trigger{Type: rpav1alpha1.TriggerManual}},
				Status: rpav1alpha1.RobotRunStatus{
					Phase:      rpav1alpha1.PhaseQueued,
					Conditions: []metav1.Condition{{Type: rpav1alpha1.ConditionSucceeded, Status: metav1.ConditionUnknown, Reason: "WaitingForSystem"}},
					WaitingFor: []string{"TargetSystem/esdh", "Credential/esdh-robot"},
				}},
			want: []string{"r3", "Manual", "Queued", "WaitingForSystem", "-", "TargetSystem/esdh,Credential/esdh-robot", "-", "-", "-", "run"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			NewWithT(t).Expect(historyRow(runhistory.Entry{Run: &tt.run}, now)).To(Equal(tt.want))
		})
	}
}

func TestMergeRecordsAddsThePrunedRunsNewestFirst(t *testing.T) {
	now := time.Date(2026, time.November, 23, 9, 0, 0, 0, time.UTC)
	at := func(m int) metav1.Time { return metav1.NewTime(now.Add(time.Duration(-m) * time.Minute)) }
	live := []rpav1alpha1.RobotRun{{ObjectMeta: metav1.ObjectMeta{Name: "letters-3", UID: "u3", CreationTimestamp: at(10)}}}
	started := at(59)
	records := []recordsv1alpha1.RunRecord{
		{ObjectMeta: metav1.ObjectMeta{Name: "letters-3", UID: "u3", CreationTimestamp: at(10)}},
		{ObjectMeta: metav1.ObjectMeta{Name: "letters-1", UID: "u1", CreationTimestamp: at(60)},
			Spec: recordsv1alpha1.RunRecordSpec{Trigger: recordsv1alpha1.RecordedTrigger{Type: "Manual"}, RequestedBy: "anne@roskilde.dk"},
			Status: recordsv1alpha1.RunRecordStatus{Phase: "Succeeded", Reason: "Completed", StartTime: &started, CompletionTime: at(57),
				Result: &runtime.RawExtension{Raw: []byte(`{"itemsProcessed":40}`)}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "letters-2", UID: "u2", CreationTimestamp: at(30)}, Status: recordsv1alpha1.RunRecordStatus{Phase: "Failed"}},
	}
	rows := runhistory.Merge(runhistory.Live(live), records)
	got := make([][]string, 0, len(rows))
	for _, r := range rows {
		got = append(got, historyRow(r, now))
	}
	NewWithT(t).Expect(got).To(Equal([][]string{
		{"letters-3", "", "-", "-", "-", "-", "-", "-", "-", "run, record"},
		{"letters-2", "", "Failed", "-", "-", "-", "-", "-", "-", "record"},
		{"letters-1", "Manual", "Succeeded", "Completed", "anne@roskilde.dk", "-", "40", "59m ago", "2m0s", "record"},
	}))
}
