package runstatus

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// maxResultErrorLength bounds the reason a summary cannot be read: it is
// the operator's words (it goes into the run's message and Ready
// condition), so it does not grow with what the robot wrote.
const maxResultErrorLength = 256

// digitRuns are numbers as a robot writes them into its summary.
var digitRuns = regexp.MustCompile(`[0-9]{3,}`)

// FuzzTerminationMessage checks what any termination message becomes in a
// run's status: a result, a log tail or an error, never more than one;
// the robot's summary and log tail bounded as the CRD allows; and the
// reason a summary cannot be read in the operator's words, bounded and
// quoting none of the robot's numbers (status.message carries no text the
// robot wrote).
func FuzzTerminationMessage(f *testing.F) {
	// From TestParseTerminationMessage.
	for _, m := range []string{
		"", " \n", summary,
		`{"itemsProcessed":1,"robotVersion":"1.2"}`,
		"connecting to SBSYS\nERROR: login refused",
		`{"itemsProcessed":40,"summ`,
		`{"itemsProcessed":"forty"}`,
		`{"itemsProcessed":5,"itemsFailed":-1}`,
		`{"level":"error","msg":"out of memory"}`,
		"{\"level\":\"info\",\"itemsProcessed\":3}\n{\"level\":\"error\"}",
		`{"summary":"` + strings.Repeat("ø", 600) + `"}`,
		// Huge and fractional numbers, a count as a string.
		`{"itemsProcessed":99999999999999999999}`,
		`{"itemsFailed":1.5e3}`,
		`{"businessExceptions":"0101701234"}`,
	} {
		f.Add(m, int32(1))
	}
	f.Add(summary, int32(0))
	f.Add(strings.Repeat("x", 1100)+"\n\n"+strings.Repeat("ø", 700), int32(2))
	f.Fuzz(func(t *testing.T, message string, exitCode int32) {
		result, tail, err := ParseTerminationMessage(message)
		trimmed := strings.TrimSpace(message)
		switch {
		case (result != nil) && (tail != "" || err != nil), tail != "" && err != nil:
			t.Fatalf("ParseTerminationMessage(%q) = %+v, %q, %v: more than one of result, log tail and error", message, result, tail, err)
		case trimmed == "" && (result != nil || tail != "" || err != nil):
			t.Fatalf("ParseTerminationMessage(%q) of nothing = %+v, %q, %v", message, result, tail, err)
		case tail != "" && tail != trimmed:
			t.Fatalf("ParseTerminationMessage(%q): log tail %q is not the message", message, tail)
		}
		if result != nil {
			checkResult(t, message, result.Summary, []*int64{result.ItemsProcessed, result.ItemsSucceeded, result.ItemsFailed, result.BusinessExceptions})
		}
		if err != nil {
			checkResultError(t, message, err.Error())
		}

		failed := job(0, cond(batchv1.JobFailed, batchv1.JobReasonBackoffLimitExceeded, time.Minute))
		obs := Observe(failed, []corev1.Pod{pod("p1", 0, exited(exitCode, message))}, t0.Add(time.Minute), Options{})
		if len(obs.LogTail) > maxLogTailLength+len("…") || utf8.RuneCountInString(obs.LogTail) > 1024 {
			t.Fatalf("log tail of %d bytes: %q", len(obs.LogTail), obs.LogTail)
		}
		if obs.LogTail != "" && (exitCode == 0 || tail == "" || strings.Contains(obs.LogTail, "\n")) {
			t.Fatalf("exit code %d, message %q: log tail %q", exitCode, message, obs.LogTail)
		}
		if (err != nil) != (obs.ResultError != "") {
			t.Fatalf("parse error %v, but the observation's is %q", err, obs.ResultError)
		}
	})
}

func checkResult(t *testing.T, message, summary string, counts []*int64) {
	t.Helper()
	for _, c := range counts {
		if c != nil && *c < 0 {
			t.Fatalf("message %q: a negative count read", message)
		}
	}
	var written struct{ Summary string }
	if err := json.Unmarshal([]byte(strings.TrimSpace(message)), &written); err != nil {
		t.Fatalf("message %q read as a result but it is not JSON: %v", message, err)
	}
	if !utf8.ValidString(summary) || len(summary) > maxSummaryLength+len("…") {
		t.Fatalf("summary of %d bytes, valid UTF-8 %v", len(summary), utf8.ValidString(summary))
	}
	if len(written.Summary) <= maxSummaryLength {
		if summary != written.Summary {
			t.Fatalf("summary %q, the robot wrote %q", summary, written.Summary)
		}
		return
	}
	if cut := strings.TrimSuffix(summary, "…"); cut == summary || !strings.HasPrefix(written.Summary, cut) {
		t.Fatalf("summary %q is not the start of %q, marked cut", summary, written.Summary)
	}
}

func checkResultError(t *testing.T, message, text string) {
	t.Helper()
	if !strings.HasPrefix(text, "the robot's result summary ") || len(text) > maxResultErrorLength {
		t.Fatalf("message %q: error of %d bytes: %q", message, len(text), text)
	}
	for _, number := range digitRuns.FindAllString(message, -1) {
		if strings.Contains(text, number) {
			t.Fatalf("message %q: error %q quotes the robot's %s", message, text, number)
		}
	}
}

// FuzzSDKResultRoundTrip checks the contract between the SDK and the
// operator: whatever result a robot encodes with sdk.Result.Encode fits a
// termination message, and the operator reads back its counts exactly and
// its summary (bounded); only negative counts, which no robot should
// report, are refused.
func FuzzSDKResultRoundTrip(f *testing.F) {
	f.Add(int64(40), int64(38), int64(0), int64(2), "40 welcome letters, 2 protected addresses")
	f.Add(int64(0), int64(0), int64(0), int64(0), "")
	f.Add(int64(1), int64(0), int64(0), int64(0), strings.Repeat("x", 10000))
	f.Add(int64(0), int64(0), int64(0), int64(0), strings.Repeat("æøå", 3000))
	f.Add(int64(0), int64(0), int64(0), int64(0), strings.Repeat("\"<>", 3000))
	f.Add(int64(9223372036854775807), int64(-9223372036854775808), int64(-1), int64(7), "huge and negative")
	f.Add(int64(3), int64(3), int64(0), int64(0), "invalid \xff UTF-8 \u2028 and a \x1b[2J escape")
	f.Fuzz(func(t *testing.T, processed, succeeded, failed, exceptions int64, summary string) {
		r := sdk.Result{ItemsProcessed: processed, ItemsSucceeded: succeeded, ItemsFailed: failed, BusinessExceptions: exceptions, Summary: summary}
		data, err := r.Encode()
		if err != nil {
			t.Fatalf("Encode(%+v): %v", r, err)
		}
		if len(data) > sdk.MaxResultBytes {
			t.Fatalf("Encode(%+v) is %d bytes", r, len(data))
		}
		var sent sdk.Result
		if err := json.Unmarshal(data, &sent); err != nil {
			t.Fatalf("Encode(%+v) = %s, not JSON: %v", r, data, err)
		}
		result, tail, err := ParseTerminationMessage(string(data))
		if processed < 0 || succeeded < 0 || failed < 0 || exceptions < 0 {
			if err == nil || !strings.Contains(err.Error(), "negative") {
				t.Fatalf("negative counts %+v read as %+v, %v", r, result, err)
			}
			return
		}
		if err != nil || tail != "" || result == nil {
			t.Fatalf("Encode(%+v) = %s read as %+v, %q, %v", r, data, result, tail, err)
		}
		got := []int64{*result.ItemsProcessed, *result.ItemsSucceeded, *result.ItemsFailed, *result.BusinessExceptions}
		if want := []int64{processed, succeeded, failed, exceptions}; !equalCounts(got, want) {
			t.Fatalf("counts %v read as %v", want, got)
		}
		if want := truncate(sent.Summary, maxSummaryLength); result.Summary != want {
			t.Fatalf("summary %q read as %q", want, result.Summary)
		}
	})
}

func equalCounts(a, b []int64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}
