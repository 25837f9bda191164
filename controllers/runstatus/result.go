package runstatus

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// maxSummaryLength and maxLogTailLength bound the robot-written text copied
// into status (the CRD allows no more); the termination message itself is
// at most 4 KiB.
const (
	maxSummaryLength = 1024
	maxLogTailLength = 1000
)

// terminationMessage is the robot's JSON summary as the contract defines it.
type terminationMessage struct {
	ItemsProcessed     *int64 `json:"itemsProcessed"`
	ItemsSucceeded     *int64 `json:"itemsSucceeded"`
	ItemsFailed        *int64 `json:"itemsFailed"`
	BusinessExceptions *int64 `json:"businessExceptions"`
	Summary            string `json:"summary"`
}

// resultKeys are the keys of a result summary; a JSON object with none of
// them is a log line.
var resultKeys = []string{"itemsProcessed", "itemsSucceeded", "itemsFailed", "businessExceptions", "summary"}

// ParseTerminationMessage reads a robot's termination message. One JSON
// object with a key of the contract's is the robot's result summary;
// anything else is the tail of the robot's log, which Kubernetes puts there
// when a robot fails without writing a summary (FallbackToLogsOnError), JSON
// log lines included. A summary that cannot be read is reported as an
// error, never a panic: the run's outcome does not depend on it.
func ParseTerminationMessage(message string) (result *rpav1alpha1.RunResult, logTail string, err error) {
	trimmed := strings.TrimSpace(message)
	if trimmed == "" {
		return nil, "", nil
	}
	if !strings.HasPrefix(trimmed, "{") {
		return nil, trimmed, nil
	}
	dec := json.NewDecoder(strings.NewReader(trimmed))
	var fields map[string]json.RawMessage
	if err := dec.Decode(&fields); err != nil {
		return nil, "", summaryError(err)
	}
	if dec.More() || !hasResultKey(fields) {
		return nil, trimmed, nil
	}
	var msg terminationMessage
	if err := json.Unmarshal([]byte(trimmed), &msg); err != nil {
		return nil, "", summaryError(err)
	}
	if err := validateCounts(msg); err != nil {
		return nil, "", err
	}
	return &rpav1alpha1.RunResult{
		ItemsProcessed:     msg.ItemsProcessed,
		ItemsSucceeded:     msg.ItemsSucceeded,
		ItemsFailed:        msg.ItemsFailed,
		BusinessExceptions: msg.BusinessExceptions,
		Summary:            truncate(msg.Summary, maxSummaryLength),
	}, "", nil
}

// summaryError says why a summary cannot be read without quoting it:
// encoding/json's type errors quote the number the robot wrote (1.5, or
// twenty digits) and its syntax errors the character, and the reason ends
// up in the run's message and conditions, which carry no text the robot
// wrote.
func summaryError(err error) error {
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return fmt.Errorf("the robot's result summary is not valid JSON: unexpected character at byte %d", syntaxErr.Offset)
	}
	var typeErr *json.UnmarshalTypeError
	if !errors.As(err, &typeErr) {
		return fmt.Errorf("the robot's result summary is not valid JSON: %w", err)
	}
	want := "a whole number"
	if typeErr.Type != nil && typeErr.Type.Kind() == reflect.String {
		want = "a string"
	}
	return fmt.Errorf("the robot's result summary is not valid JSON: %s is not %s", typeErr.Field, want)
}

func hasResultKey(fields map[string]json.RawMessage) bool {
	for _, k := range resultKeys {
		if _, ok := fields[k]; ok {
			return true
		}
	}
	return false
}

func validateCounts(msg terminationMessage) error {
	counts := []struct {
		name  string
		value *int64
	}{
		{"itemsProcessed", msg.ItemsProcessed}, {"itemsSucceeded", msg.ItemsSucceeded},
		{"itemsFailed", msg.ItemsFailed}, {"businessExceptions", msg.BusinessExceptions},
	}
	for _, c := range counts {
		if c.value != nil && *c.value < 0 {
			return errors.New("the robot's result summary has a negative " + c.name)
		}
	}
	return nil
}

// truncate shortens s to at most n bytes at a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n] + "…"
}
