package workqueue

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

var (
	states  = []State{New, InProgress, Done, BusinessException, Failed, Handled}
	actions = []Action{ActionTake, ActionDone, ActionBusinessException, ActionSystemException, ActionAbandon, ActionRetry, ActionHandle}
)

// FuzzItem checks the rules on what an item carries and how it moves, on
// any input: a document is accepted exactly when it is a JSON object of at
// most MaxPayloadBytes; an accepted reference is bounded and has no
// control character, C1 included (Printable leaves valid UTF-8 of it alone);
// a reason is bounded; a priority within ±MaxPriority; Printable leaves no
// control character and keeps the text's length in runes; every transition
// either is refused with ErrIllegalTransition naming the state and action,
// or leads to a state of the diagram (a finished one only by the rules);
// every refusal is ErrInvalidItem.
func FuzzItem(f *testing.F) {
	// From the table tests.
	f.Add([]byte(`{"cpr":"0101701234","letter":"welcome"}`), "CPR 010170-1234 / sag 2026-4711", "ESDH answered 503\n\x1b[2Jgo\u009b away", int32(0), uint8(0), uint8(0), 1)
	f.Add([]byte(" \n{}\n"), "a\nb", "æøå, Løgstør", int32(-1000), uint8(1), uint8(1), 1)
	f.Add([]byte(`{"cpr":`), "a\x1b[2Jb", "", int32(1001), uint8(2), uint8(3), 3)
	f.Add([]byte(`[1,2]`), strings.Repeat("r", MaxReferenceBytes+1), strings.Repeat("x", MaxReasonBytes+1), int32(1<<30), uint8(3), uint8(3), 2)
	f.Add([]byte(`"x"`), "", "", int32(1000), uint8(4), uint8(5), 0)
	f.Add([]byte(``), "\u0085NEL and \u009bCSI", "\x7f", int32(-2147483648), uint8(5), uint8(6), -1)
	// A BOM, huge numbers, duplicate keys, an object with trailing data.
	f.Add([]byte("\ufeff{}"), "\ufeffref", "\u2028", int32(2147483647), uint8(0), uint8(4), 3)
	f.Add([]byte(`{"n":1e999999,"n":-0}`), "\xff\xfe", "\xff", int32(7), uint8(1), uint8(4), 5)
	f.Add([]byte(`{} {}`), "ø", "ø", int32(1), uint8(1), uint8(2), 1)
	f.Fuzz(func(t *testing.T, doc []byte, reference, reason string, priority int32, state, action uint8, attempts int) {
		checkDocument(t, doc)
		checkReference(t, reference)
		if err := CheckReason(reason); (err != nil) != (len(reason) > MaxReasonBytes) || err != nil && !errors.Is(err, ErrInvalidItem) {
			t.Fatalf("CheckReason(%d bytes) = %v", len(reason), err)
		}
		if err := CheckPriority(priority); (err != nil) != (priority < -MaxPriority || priority > MaxPriority) || err != nil && !errors.Is(err, ErrInvalidItem) {
			t.Fatalf("CheckPriority(%d) = %v", priority, err)
		}
		checkPrintable(t, reason)
		checkPrintable(t, reference)
		checkNext(t, states[int(state)%len(states)], actions[int(action)%len(actions)], attempts)
		if d := Backoff(attempts); d < Backoff(1) || d > Backoff(1000) || d < Backoff(attempts-1) {
			t.Fatalf("Backoff(%d) = %s", attempts, d)
		}
	})
}

func checkDocument(t *testing.T, doc []byte) {
	t.Helper()
	err := CheckDocument("payload", doc)
	var object map[string]json.RawMessage
	isObject := json.Unmarshal(doc, &object) == nil && object != nil
	if want := isObject && len(doc) <= MaxPayloadBytes; (err == nil) != want {
		t.Fatalf("CheckDocument(%q) = %v; an object of at most %d bytes: %v", doc, err, MaxPayloadBytes, want)
	}
	if err != nil && (!errors.Is(err, ErrInvalidItem) || !strings.Contains(err.Error(), "payload")) {
		t.Fatalf("CheckDocument(%q) = %v, want ErrInvalidItem naming the payload", doc, err)
	}
	if err != nil && len(err.Error()) > 512 {
		t.Fatalf("CheckDocument(%q): an error of %d bytes", doc, len(err.Error()))
	}
	if err == nil && !bytes.HasPrefix(bytes.TrimSpace(doc), []byte("{")) {
		t.Fatalf("CheckDocument(%q) accepted what is not an object", doc)
	}
}

func checkReference(t *testing.T, reference string) {
	t.Helper()
	err := CheckReference(reference)
	if len(reference) > MaxReferenceBytes && err == nil {
		t.Fatalf("CheckReference accepted %d bytes", len(reference))
	}
	if err != nil {
		if !errors.Is(err, ErrInvalidItem) || strings.Contains(err.Error(), reference) && reference != "" {
			t.Fatalf("CheckReference(%q) = %v, want ErrInvalidItem not quoting it", reference, err)
		}
		return
	}
	// Printable also turns invalid UTF-8 into U+FFFD, which is no control
	// character (and JSON, the only way a reference arrives, has none).
	if slices.ContainsFunc([]rune(reference), unicode.IsControl) || utf8.ValidString(reference) && Printable(reference) != reference {
		t.Fatalf("CheckReference accepted %q, which has a control character", reference)
	}
}

func checkPrintable(t *testing.T, text string) {
	t.Helper()
	p := Printable(text)
	if slices.ContainsFunc([]rune(p), unicode.IsControl) {
		t.Fatalf("Printable(%q) = %q has a control character", text, p)
	}
	if utf8.RuneCountInString(p) != utf8.RuneCountInString(text) || Printable(p) != p {
		t.Fatalf("Printable(%q) = %q", text, p)
	}
}

func checkNext(t *testing.T, from State, action Action, attempts int) {
	t.Helper()
	const maxAttempts = 3
	to, err := Next(from, action, attempts, maxAttempts)
	if err != nil {
		if !errors.Is(err, ErrIllegalTransition) || !strings.Contains(err.Error(), string(from)) || !strings.Contains(err.Error(), string(action)) {
			t.Fatalf("Next(%s, %s) = %v, want ErrIllegalTransition naming both", from, action, err)
		}
		return
	}
	if !slices.Contains(states, to) {
		t.Fatalf("Next(%s, %s) = %q, not a state", from, action, to)
	}
	switch {
	case from.Finished() && action != ActionRetry && action != ActionHandle:
		t.Fatalf("Next(%s, %s) = %s: a finished item moved without a person", from, action, to)
	case action == ActionTake && to != InProgress, to == InProgress && action != ActionTake:
		t.Fatalf("Next(%s, %s) = %s: only taking holds an item", from, action, to)
	case to == Failed && attempts < maxAttempts:
		t.Fatalf("Next(%s, %s) after %d of %d attempts = Failed", from, action, attempts, maxAttempts)
	case (action == ActionSystemException || action == ActionAbandon) && to == New && attempts >= maxAttempts:
		t.Fatalf("Next(%s, %s) after %d of %d attempts = New", from, action, attempts, maxAttempts)
	}
}
