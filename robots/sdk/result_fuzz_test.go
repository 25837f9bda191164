package sdk

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzResultEncode checks Encode on any result: it fits MaxResultBytes, is
// one line of JSON with the counts unchanged, and keeps the summary whole
// when it fits; otherwise the summary is the longest start of the
// original, cut at a rune boundary, that fits, marked with "…".
func FuzzResultEncode(f *testing.F) {
	// From TestEncode.
	f.Add(int64(40), int64(38), int64(0), int64(2), "40 welcome letters, 2 protected addresses")
	f.Add(int64(1), int64(0), int64(0), int64(0), strings.Repeat("x", 10000))
	f.Add(int64(0), int64(0), int64(0), int64(0), strings.Repeat("æøå", 3000))
	f.Add(int64(0), int64(0), int64(0), int64(0), strings.Repeat("\"<>", 3000))
	// Just under and over the limit, huge counts, escapes and invalid UTF-8.
	f.Add(int64(0), int64(0), int64(0), int64(0), strings.Repeat("y", MaxResultBytes-100))
	f.Add(int64(-9223372036854775808), int64(9223372036854775807), int64(0), int64(0), strings.Repeat("\u2028\x00", 1000))
	f.Add(int64(1), int64(1), int64(0), int64(0), "\xff\xfe"+strings.Repeat("ø\x1b", 2000))
	f.Fuzz(func(t *testing.T, processed, succeeded, failed, exceptions int64, summary string) {
		r := Result{ItemsProcessed: processed, ItemsSucceeded: succeeded, ItemsFailed: failed, BusinessExceptions: exceptions, Summary: summary}
		data, err := r.Encode()
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		if len(data) > MaxResultBytes || strings.ContainsAny(string(data), "\n\r") {
			t.Fatalf("Encode is %d bytes: %q", len(data), data)
		}
		var got Result
		if err := json.Unmarshal(data, &got); err != nil {
			t.Fatalf("Encode = %q, not JSON: %v", data, err)
		}
		if got.ItemsProcessed != processed || got.ItemsSucceeded != succeeded || got.ItemsFailed != failed || got.BusinessExceptions != exceptions {
			t.Fatalf("counts %+v encoded as %+v", r, got)
		}
		whole, err := marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if len(whole) <= MaxResultBytes {
			if string(data) != string(whole) {
				t.Fatalf("a result that fits was changed: %q, whole %q", data, whole)
			}
			return
		}
		kept, cut := strings.CutSuffix(got.Summary, "…")
		if got.Summary != "" && !cut {
			t.Fatalf("summary shortened without the mark: %q", got.Summary)
		}
		if !utf8.ValidString(summary) {
			// encoding/json writes invalid bytes as U+FFFD, so the summary
			// read back is no longer a prefix of the bytes written.
			return
		}
		if !strings.HasPrefix(summary, kept) {
			t.Fatalf("summary %q is not the start of the one written", got.Summary)
		}
		// One rune more would not fit.
		_, size := utf8.DecodeRuneInString(summary[len(kept):])
		longer := r
		longer.Summary = summary[:len(kept)+size] + "…"
		if data, err := marshal(longer); err == nil && len(data) <= MaxResultBytes {
			t.Fatalf("summary cut to %d bytes, but %d bytes fit", len(kept), len(kept)+size)
		}
	})
}
