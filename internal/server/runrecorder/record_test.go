package runrecorder

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

func TestRecordOf(t *testing.T) {
	now := t0.Add(time.Hour)
	base := rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: "hr", Name: "letters-1", UID: "uid-1", CreationTimestamp: metav1.NewTime(t0)},
		Spec: rpav1alpha1.RobotRunSpec{RobotName: "welcome-letters",
			RequestedBy: &rpav1alpha1.RunRequester{Username: "anne@roskilde.dk"}},
		Status: rpav1alpha1.RobotRunStatus{Phase: rpav1alpha1.PhaseCancelled, LogTail: "password=Sommer2026!",
			Credentials: []rpav1alpha1.RunCredential{{Name: "esdh", SecretName: "esdh-login", Account: "rpa-hr"}}},
	}
	for _, tt := range []struct {
		name     string
		mutate   func(*rpav1alpha1.RobotRun)
		finished time.Time
	}{
		{"finished at its completion time", func(r *rpav1alpha1.RobotRun) { r.Status.CompletionTime = &metav1.Time{Time: t0.Add(time.Minute)} }, t0.Add(time.Minute)},
		{"deleted before the operator wrote one", func(r *rpav1alpha1.RobotRun) { r.DeletionTimestamp = &metav1.Time{Time: t0.Add(2 * time.Minute)} }, t0.Add(2 * time.Minute)},
		{"neither: when recorded", func(*rpav1alpha1.RobotRun) {}, now},
	} {
		t.Run(tt.name, func(t *testing.T) {
			run := base.DeepCopy()
			tt.mutate(run)
			rec, err := recordOf(run, []int64{7}, now)
			if err != nil {
				t.Fatal(err)
			}
			if !rec.FinishedAt.Equal(tt.finished) {
				t.Errorf("finished %v, want %v", rec.FinishedAt, tt.finished)
			}
			if rec.Trigger.Type != string(rpav1alpha1.TriggerManual) || rec.RequestedBy != "anne@roskilde.dk" || rec.Credentials[0].Account != "rpa-hr" ||
				rec.WorkItems[0] != 7 {
				t.Errorf("record %+v", rec)
			}
			if rec.Message != "" || rec.Result != nil {
				t.Errorf("the log tail reached the record: message %q result %s", rec.Message, rec.Result)
			}
		})
	}
}
