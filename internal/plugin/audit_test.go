package plugin

import (
	"bytes"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	recordsv1alpha1 "github.com/rpa-operator/rpa-operator/api/records/v1alpha1"
)

var t0 = time.Date(2026, time.November, 3, 8, 0, 0, 0, time.UTC)

func record(robot, run, phase string, startMin, endMin int, result string) recordsv1alpha1.RunRecord {
	start := metav1.NewTime(t0.Add(time.Duration(startMin) * time.Minute))
	r := recordsv1alpha1.RunRecord{
		ObjectMeta: metav1.ObjectMeta{Namespace: "rpa-hr", Name: run, UID: types.UID("uid-" + run)},
		Spec:       recordsv1alpha1.RunRecordSpec{RobotName: robot, Trigger: recordsv1alpha1.RecordedTrigger{Type: "Manual"}, RequestedBy: "anne@rudersdal.dk"},
		Status: recordsv1alpha1.RunRecordStatus{Phase: phase, Reason: "Completed", Attempts: 1, StartTime: &start,
			CompletionTime: metav1.NewTime(t0.Add(time.Duration(endMin) * time.Minute)), ImageID: "sha256:abc",
			Credentials: []recordsv1alpha1.RecordedCredential{{Name: "esdh", SecretName: "journal-esdh", Account: "rpa-hr"}}},
	}
	if result != "" {
		r.Status.Result = &runtime.RawExtension{Raw: []byte(result)}
	}
	return r
}

func TestUsageSumsEachRobotsMonth(t *testing.T) {
	got := usageOf([]recordsv1alpha1.RunRecord{
		record("journal", "j-3", "Succeeded", 60, 64, `{"itemsProcessed":40,"businessExceptions":2}`),
		record("journal", "j-2", "Failed", 30, 31, `{"itemsProcessed":1,"businessExceptions":1}`),
		record("letters", "l-1", "TimedOut", 0, 60, ""),
		record("journal", "j-1", "Cancelled", 0, 0, `not json`),
	})
	var out bytes.Buffer
	NewWithT(t).Expect(writeUsage(&out, "rpa-hr", "2026-11", got)).To(Succeed())
	NewWithT(t).Expect(out.String()).To(Equal(strings.Join([]string{
		"month,namespace,robot,runs,succeeded,failed,timed_out,cancelled,robot_minutes,items_processed,business_exceptions",
		"2026-11,rpa-hr,journal,3,1,1,0,1,5.0,41,3",
		"2026-11,rpa-hr,letters,1,0,0,1,0,60.0,0,0",
	}, "\n") + "\n"))
}

func TestPeriods(t *testing.T) {
	g := NewWithT(t)
	p, err := monthPeriod("2026-03", "Europe/Copenhagen")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.from.UTC()).To(Equal(time.Date(2026, 2, 28, 23, 0, 0, 0, time.UTC)))
	g.Expect(p.before.UTC()).To(Equal(time.Date(2026, 3, 31, 22, 0, 0, 0, time.UTC)), "summer time begins in March")
	_, err = monthPeriod("March", "Europe/Copenhagen")
	g.Expect(err).To(MatchError(ContainSubstring("give a month as 2026-11")))

	p, err = parsePeriod("2026-01-01", "2027-01-01T00:00:00+01:00", "Europe/Copenhagen")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.from.UTC()).To(Equal(time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC)))
	_, err = parsePeriod("2026-02-01", "2026-01-01", "UTC")
	g.Expect(err).To(MatchError(ContainSubstring("--before must be after --from")))
	_, err = parsePeriod("", "2026-01-01", "UTC")
	g.Expect(err).To(MatchError(ContainSubstring("--from is required")))
	_, err = parsePeriod("2026-01-01", "2026-02-01", "Mars/Olympus")
	g.Expect(err).To(MatchError(ContainSubstring("--time-zone")))
}
