package plugin

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/workqueue/itemfile"
)

// The queue commands' decisions as table tests: reading the API's
// answers, and the rows and report lines printed (the lines of a file are
// read by internal/workqueue/itemfile, tested there). The commands
// against rpa-server are tested in test/integration/queuecli_test.go.

var workItemsGR = schema.GroupResource{Group: queuev1alpha1.GroupName, Resource: "workitems"}

// copenhagen is a fixed time with its zone named, for item times.
func copenhagen(t *testing.T, s string) *metav1.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	ts, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return &metav1.Time{Time: ts}
}

func TestQueueAddInputFormat(t *testing.T) {
	tests := []struct {
		name, file, format string
		want, wantErr      string
	}{
		{name: "a .csv file", file: "certificates.csv", want: formatCSV},
		{name: "a .CSV file from Windows", file: `C:\udtraek\ATTESTER.CSV`, want: formatCSV},
		{name: "a .jsonl file", file: "items.jsonl", want: formatJSONL},
		{name: "a .ndjson file", file: "items.ndjson", want: formatJSONL},
		{name: "--format wins over the extension", file: "items.txt", format: "jsonl", want: formatJSONL},
		{name: "an extension that says nothing", file: "items.txt", wantErr: "cannot tell the format"},
		{name: "stdin without --format", file: "-", wantErr: "--format csv or --format jsonl"},
		{name: "stdin with --format", file: "-", format: "csv", want: formatCSV},
		{name: "an unknown --format", file: "items.csv", format: "xlsx", wantErr: `--format "xlsx"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := inputFormat(tt.file, tt.format)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("inputFormat(%q, %q) = %q, %v; want an error saying %q", tt.file, tt.format, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("inputFormat(%q, %q) = %q, %v; want %q", tt.file, tt.format, got, err, tt.want)
			}
		})
	}
}

// The lines themselves are read by internal/workqueue/itemfile, and
// tested there; the command says a missing reference column in its own
// flag's terms.
func TestQueueAddNamesTheFlagForAMissingReferenceColumn(t *testing.T) {
	_, err := itemfile.NewSource(formatCSV, strings.NewReader("cpr,name\n"), itemfile.Defaults{ReferenceField: "sag", ReferenceRequired: true})
	want := "--reference-field sag: the CSV header has no such column (it has cpr, name)"
	if got := sourceError(err); got == nil || got.Error() != want {
		t.Errorf("sourceError = %v, want %q", got, want)
	}
	plain := errors.New("empty: the first line of a CSV file names the columns")
	if got := sourceError(plain); got != plain { //nolint:errorlint // the same error must come back
		t.Errorf("sourceError changed %v", got)
	}
}

func TestQueueAddReport(t *testing.T) {
	tests := []struct {
		name   string
		result itemfile.Answer
		want   string
	}{
		{name: "an added line is not reported", result: itemfile.Answer{Line: 1, Outcome: itemfile.Added, ID: "12"}, want: ""},
		{name: "a refused line says why", result: itemfile.Answer{Line: 2, Outcome: itemfile.Refused, Message: "not JSON: unexpected end of JSON input"},
			want: "line 2: not JSON: unexpected end of JSON input"},
		{name: "an existing reference names its item", result: itemfile.Answer{Line: 3, Outcome: itemfile.Existing, Reference: "2026-4711", ID: "7", State: "Done"},
			want: "line 3: reference 2026-4711 exists as item 7 (Done)"},
		{name: "an existing reference whose item is gone", result: itemfile.Answer{Line: 4, Outcome: itemfile.Existing, Reference: "2026-4711", ID: "5"},
			want: "line 4: reference 2026-4711 exists as item 5 (deleted by retention)"},
		{name: "a reference with terminal escapes is printed harmless", result: itemfile.Answer{Line: 5, Outcome: itemfile.Existing, Reference: "\x1b]0;owned\x07", ID: "8", State: "New"},
			want: `line 5: reference \x1b]0;owned\x07 exists as item 8 (New)`},
		{name: "a message over lines stays on one", result: itemfile.Answer{Line: 6, Outcome: itemfile.Refused, Message: "first\nsecond\x1b[2J"},
			want: `line 6: first second\x1b[2J`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := addReportLine(tt.result); got != tt.want {
				t.Errorf("addReportLine = %q, want %q", got, tt.want)
			}
		})
	}

	var tally addTally
	for _, o := range []itemfile.Outcome{itemfile.Added, itemfile.Added, itemfile.Existing, itemfile.Refused, itemfile.Added} {
		tally.Count(itemfile.Answer{Outcome: o})
	}
	summaries := []struct {
		name      string
		dryRun    bool
		stoppedAt int
		want      string
	}{
		{name: "added", want: "added 3, existing 1, refused 1"},
		{name: "dry run", dryRun: true, want: "would add 3, refused 1 (dry run: nothing was added, and references were not looked up)"},
		{name: "stopped", stoppedAt: 5, want: "added 3, existing 1, refused 1; stopped at line 5, the lines after it were not sent"},
	}
	for _, s := range summaries {
		t.Run(s.name, func(t *testing.T) {
			tally := tally
			tally.stoppedAt = s.stoppedAt
			if got := tally.summary(s.dryRun); got != s.want {
				t.Errorf("summary = %q, want %q", got, s.want)
			}
		})
	}
}

func TestQueueListRow(t *testing.T) {
	now := copenhagen(t, "2026-11-23 10:00").Time
	ready := func(status metav1.ConditionStatus, reason string) []metav1.Condition {
		return []metav1.Condition{{Type: rpav1alpha1.ConditionReady, Status: status, Reason: reason}}
	}
	tests := []struct {
		name  string
		queue rpav1alpha1.WorkQueue
		want  []string
	}{
		{
			name: "a busy queue with a trigger",
			queue: rpav1alpha1.WorkQueue{
				ObjectMeta: metav1.ObjectMeta{Name: "certificates"},
				Spec:       rpav1alpha1.WorkQueueSpec{Trigger: &rpav1alpha1.WorkQueueTrigger{RobotName: "certificate-journal"}},
				Status: rpav1alpha1.WorkQueueStatus{
					Items:         rpav1alpha1.WorkQueueCounts{New: 41, InProgress: 3, BusinessException: 4, Failed: 2, Done: 1200, Handled: 9},
					OldestNewTime: copenhagen(t, "2026-11-23 05:00"), Overdue: 1, Conditions: ready(metav1.ConditionTrue, "Counted"),
				},
			},
			want: []string{"certificates", "41", "3", "6", "1200", "1", "5h", "certificate-journal", "True"},
		},
		{
			name: "a suspended trigger, its database down",
			queue: rpav1alpha1.WorkQueue{
				ObjectMeta: metav1.ObjectMeta{Name: "mail"},
				Spec:       rpav1alpha1.WorkQueueSpec{Suspend: true, Trigger: &rpav1alpha1.WorkQueueTrigger{RobotName: "per"}},
				Status:     rpav1alpha1.WorkQueueStatus{Conditions: ready(metav1.ConditionFalse, "DatabaseUnavailable")},
			},
			want: []string{"mail", "0", "0", "0", "0", "0", "-", "per (suspended)", "False (DatabaseUnavailable)"},
		},
		{
			name:  "a new queue rpa-server has not counted yet, without a trigger",
			queue: rpav1alpha1.WorkQueue{ObjectMeta: metav1.ObjectMeta{Name: "letters"}},
			want:  []string{"letters", "0", "0", "0", "0", "0", "-", "-", "-"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			NewWithT(t).Expect(queueRow(&tt.queue, now)).To(Equal(tt.want), "queueRow")
		})
	}
}

func TestQueueItemsRow(t *testing.T) {
	now := copenhagen(t, "2026-11-23 10:00").Time
	held := queuev1alpha1.WorkItem{
		ObjectMeta: metav1.ObjectMeta{Name: "12", CreationTimestamp: *copenhagen(t, "2026-11-23 09:15")},
		Spec:       queuev1alpha1.WorkItemSpec{Reference: "2026-4711", Priority: 2, Deadline: copenhagen(t, "2026-11-25 16:00")},
		Status: queuev1alpha1.WorkItemStatus{State: "InProgress", Attempts: 2, CreatedBy: "anne@aalborg.dk",
			Reason: "ESDH answered 503 Service Unavailable\nat journal.go:42", HeldBy: &queuev1alpha1.ItemHolder{Run: "certificate-journal-q-7xk2p", Pod: "p"}},
	}
	waiting := queuev1alpha1.WorkItem{
		ObjectMeta: metav1.ObjectMeta{Name: "13", CreationTimestamp: *copenhagen(t, "2026-11-21 10:00")},
		Spec:       queuev1alpha1.WorkItemSpec{Reference: "\x1b[2J2026-4712"},
		Status:     queuev1alpha1.WorkItemStatus{State: "New"},
	}
	tests := []struct {
		name string
		item queuev1alpha1.WorkItem
		wide bool
		want []string
	}{
		{name: "a held item, its reason cut", item: held,
			want: []string{"12", "2026-4711", "InProgress", "2", "45m", "ESDH answered 503 Service Unavailable a…", "certificate-journal-q-7xk2p"}},
		{name: "wide: the whole reason, priority, deadline and who added it", item: held, wide: true,
			want: []string{"12", "2026-4711", "InProgress", "2", "45m", "ESDH answered 503 Service Unavailable at journal.go:42",
				"certificate-journal-q-7xk2p", "2", "2026-11-25T15:00:00Z", "anne@aalborg.dk"}},
		{name: "a waiting item (writeTable makes its reference safe)", item: waiting,
			want: []string{"13", "\x1b[2J2026-4712", "New", "0", "2d", "-", "-"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			NewWithT(t).Expect(itemRow(&tt.item, now, tt.wide)).To(Equal(tt.want), "itemRow")
		})
	}
}

func TestQueueTablesPrintNoRawControlCharacters(t *testing.T) {
	var out strings.Builder
	rows := [][]string{{"13", "\x1b[2J2026-4712", "New", "a reason\nover\tlines\u202e"}}
	if err := writeTable(&out, []string{"ID", "REFERENCE", "STATE", "REASON"}, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{"13", `\x1b[2J2026-4712`, "New", "a", "reason", "over", "lines\\u202e"}
	NewWithT(t).Expect(lines).To(HaveLen(2), "a header and one row")
	NewWithT(t).Expect(strings.Fields(lines[1])).To(Equal(want), "the row, escaped, on one line")
}

func TestQueueItemsChecksOutputAndStateFirst(t *testing.T) {
	for _, ok := range []string{"", "wide", "json", "yaml", "name"} {
		if err := checkItemsOutput(ok); err != nil {
			t.Errorf("-o %q: %v", ok, err)
		}
	}
	if err := checkItemsOutput("table"); err == nil {
		t.Error("-o table accepted")
	}
	for _, ok := range []string{"", "New", "InProgress", "Done", "BusinessException", "Failed", "Handled"} {
		if err := checkState(ok); err != nil {
			t.Errorf("--state %q: %v", ok, err)
		}
	}
	if err := checkState("new"); err == nil || !strings.Contains(err.Error(), "want one of New, InProgress") {
		t.Errorf("--state new: %v, want the states listed", err)
	}
}

func TestQueueRetryAndHandleArguments(t *testing.T) {
	ids, err := itemIDs([]string{"12", "workitem/13"})
	if err != nil || strings.Join(ids, " ") != "12 13" {
		t.Errorf("itemIDs = %v, %v; want [12 13]", ids, err)
	}
	for _, bad := range []string{"0", "-1", "twelve", "workitems/12", "12\x1b[2J"} {
		if _, err := itemIDs([]string{"12", bad}); err == nil {
			t.Errorf("itemIDs accepted %q", bad)
		} else if strings.ContainsRune(err.Error(), 0x1b) {
			t.Errorf("itemIDs' error prints a raw escape: %q", err)
		}
	}

	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	payload := file("payload.json", "{\"cpr\":\"0101701234\"}\n")
	tests := []struct {
		name    string
		kind    decisionKind
		opts    decisionOptions
		ids     int
		want    string // the payload sent, or the error
		wantErr bool
	}{
		{name: "handle without a comment", kind: handleDecision, ids: 1, want: "handle needs --comment", wantErr: true},
		{name: "handle with only spaces", kind: handleDecision, opts: decisionOptions{comment: "  "}, ids: 1, want: "handle needs --comment", wantErr: true},
		{name: "retry without a comment", kind: retryDecision, ids: 2, want: ""},
		{name: "retry with a new payload", kind: retryDecision, opts: decisionOptions{payloadFile: payload}, ids: 1, want: `{"cpr":"0101701234"}`},
		{name: "one payload for two items", kind: retryDecision, opts: decisionOptions{payloadFile: payload}, ids: 2, want: "give one ID", wantErr: true},
		{name: "a payload that is not JSON", kind: retryDecision, opts: decisionOptions{payloadFile: file("bad.json", `{"cpr":`)}, ids: 1,
			want: "not JSON", wantErr: true},
		{name: "a payload that is not an object", kind: retryDecision, opts: decisionOptions{payloadFile: file("list.json", `["0101701234"]`)}, ids: 1,
			want: "not a JSON object", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := decisionBody(tt.kind, tt.opts, tt.ids, strings.NewReader(""))
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("decisionBody = %v; want an error saying %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if body.Payload != nil {
				got = string(body.Payload.Raw)
			}
			if got != tt.want || body.Comment != tt.opts.comment {
				t.Errorf("decisionBody = payload %q comment %q; want payload %q comment %q", got, body.Comment, tt.want, tt.opts.comment)
			}
		})
	}

	conflict := apierrors.NewConflict(workItemsGR, "12", errors.New("illegal transition: Retry is not possible for an item in state New"))
	if got, want := decisionLine(retryDecision, "12", conflict),
		`workitem/12: Operation cannot be fulfilled on workitems.queue.rpa.dev "12": illegal transition: Retry is not possible for an item in state New`; got != want {
		t.Errorf("decisionLine = %q, want %q", got, want)
	}
	if got := decisionLine(handleDecision, "12", nil); got != "workitem/12 handled" {
		t.Errorf("decisionLine = %q", got)
	}
}

func TestQueueCommandsSayWhenTheAPIIsNotThere(t *testing.T) {
	// What client-go makes of kube-apiserver's plain-text 404 for a group
	// no APIService serves.
	notServed := apierrors.NewGenericServerResponse(http.StatusNotFound, "get", workItemsGR, "", "404 page not found", 0, true)
	itemGone := apierrors.NewNotFound(workItemsGR, "12")
	down := apierrors.NewServiceUnavailable("service unavailable")
	var unreachable *errWorkItemsAPI
	if err := workItemsError(notServed); !errors.As(err, &unreachable) || !strings.Contains(err.Error(), "is rpa-server installed?") {
		t.Errorf("no APIService: %v", err)
	}
	if err := workItemsError(down); !errors.As(err, &unreachable) || !strings.Contains(err.Error(), "rpa-server does not answer") {
		t.Errorf("rpa-server down: %v", err)
	}
	if err := workItemsError(itemGone); err != itemGone { //nolint:errorlint // the same error must come back
		t.Errorf("an item not found became %v", err)
	}
}
