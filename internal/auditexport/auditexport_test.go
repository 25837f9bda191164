package auditexport

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
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

func TestAuditExportsEveryRunOldestFirstAndSpreadsheetSafe(t *testing.T) {
	g := NewWithT(t)
	newest := record("journal", "j-2", "Succeeded", 30, 31, "")
	newest.Spec.RequestedBy = "=HYPERLINK(\"http://evil\")"
	records := []recordsv1alpha1.RunRecord{newest, record("journal", "j-1", "Failed", 0, 1, "")}

	var out bytes.Buffer
	g.Expect(Runs(&out, FormatCSV, records)).To(Succeed())
	rows, err := csv.NewReader(&out).ReadAll()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rows).To(HaveLen(3))
	g.Expect(rows[0]).To(Equal(RunHeader))
	g.Expect(rows[1][3]).To(Equal("j-1"), "oldest first")
	g.Expect(rows[1][15:17]).To(Equal([]string{"rpa-hr", "journal-esdh"}))
	g.Expect(rows[2][8]).To(Equal(`'=HYPERLINK("http://evil")`), "a formula is not a formula in a spreadsheet")

	out.Reset()
	g.Expect(Runs(&out, FormatJSONL, records)).To(Succeed())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	g.Expect(lines).To(HaveLen(2))
	var first RunLine
	g.Expect(json.Unmarshal([]byte(lines[0]), &first)).To(Succeed())
	g.Expect(first.Run).To(Equal("j-1"))
	g.Expect(first.Accounts).To(Equal([]string{"rpa-hr"}))
	g.Expect(first.Finished).To(Equal(t0.Add(time.Minute)))
}
