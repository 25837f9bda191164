package sdk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"unicode/utf8"
)

// TerminationMessagePath is where Kubernetes reads a container's termination
// message from; the operator copies the result found there into the
// RobotRun's status.result.
const TerminationMessagePath = "/dev/termination-log"

// MaxResultBytes is the largest result the operator accepts. Kubernetes keeps
// at most 4 KiB of a termination message.
const MaxResultBytes = 4096

// Result is the summary a robot reports when it ends.
type Result struct {
	// ItemsProcessed is how many work items the robot handled.
	ItemsProcessed int64 `json:"itemsProcessed"`
	// ItemsSucceeded is how many items were handled successfully.
	ItemsSucceeded int64 `json:"itemsSucceeded"`
	// ItemsFailed is how many items failed with a system exception.
	ItemsFailed int64 `json:"itemsFailed"`
	// BusinessExceptions is how many items were handed to people.
	BusinessExceptions int64 `json:"businessExceptions"`
	// Summary is a one-line account of the run, for people.
	Summary string `json:"summary,omitempty"`
}

// Encode returns the result as the JSON the operator parses. When the whole
// would exceed MaxResultBytes the summary is shortened, at a rune boundary and
// marked with "…", to the longest prefix that fits.
func (r Result) Encode() ([]byte, error) {
	data, err := marshal(r)
	if err != nil || len(data) <= MaxResultBytes {
		return data, err
	}
	summary := r.Summary
	// Escaping makes the encoded length of a prefix hard to predict, so
	// search for the longest prefix whose encoding fits.
	lo, hi := 0, len(summary)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		r.Summary = cut(summary, mid)
		if data, err = marshal(r); err == nil && len(data) <= MaxResultBytes {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	r.Summary = cut(summary, lo)
	return marshal(r)
}

// marshal encodes r without HTML escaping: the summary is shown to people in
// a terminal, and "<" would otherwise cost six of the 4 KiB.
func marshal(r Result) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("encode result: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// WriteResult writes the result to path, normally TerminationMessagePath.
func WriteResult(path string, r Result) error {
	data, err := r.Encode()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write result to %s: %w", path, err)
	}
	return nil
}

// cut returns the first n bytes of s, backed off to a rune boundary, with a
// mark that it was cut; "" when nothing of s is kept.
func cut(s string, n int) string {
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	if n <= 0 {
		return ""
	}
	return s[:n] + "…"
}
