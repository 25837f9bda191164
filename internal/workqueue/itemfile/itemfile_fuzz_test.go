package itemfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/rpa-operator/rpa-operator/internal/workqueue"
)

// maxFuzzLines bounds how many lines a fuzzed file is read for; a file of
// a few KiB has no more.
const maxFuzzLines = 100_000

// fileLine is what a source made of one line, to compare two readings.
type fileLine struct {
	Number                int
	Reference, Payload    string
	Priority              int32
	Err                   string
	DeferUntil, Deadline  string
	HasDefer, HasDeadline bool
	Queue                 string
}

// readAll reads a whole source, checking what holds for every source: it
// ends with io.EOF and nothing else (an in-memory file cannot fail to
// read), stays ended, and numbers its lines upwards within the file.
func readAll(t *testing.T, src Source, input []byte) []fileLine {
	t.Helper()
	lines := bytes.Count(input, []byte("\n")) + 1
	var out []fileLine
	for {
		line, err := src.Next()
		if errors.Is(err, io.EOF) {
			if _, again := src.Next(); !errors.Is(again, io.EOF) {
				t.Fatalf("after the end, Next = %v", again)
			}
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if line.Number < 1 || line.Number > lines || len(out) > 0 && line.Number <= out[len(out)-1].Number {
			t.Fatalf("line number %d after %d, in a file of %d lines", line.Number, len(out), lines)
		}
		if len(out) == maxFuzzLines {
			t.Fatal("the source does not end")
		}
		out = append(out, describe(line))
	}
}

func describe(line Line) fileLine {
	l := fileLine{Number: line.Number}
	if line.Err != nil {
		l.Err = line.Err.Error()
		return l
	}
	s := line.Spec
	l.Queue, l.Reference, l.Payload, l.Priority = s.Queue, s.Reference, string(s.Payload.Raw), s.Priority
	if s.DeferUntil != nil {
		l.HasDefer, l.DeferUntil = true, s.DeferUntil.UTC().String()
	}
	if s.Deadline != nil {
		l.HasDeadline, l.Deadline = true, s.Deadline.UTC().String()
	}
	return l
}

// checkItems checks every line read as an item: it has the defaults' queue,
// a payload the API accepts (a JSON object), and a reference whenever
// one is required.
func checkItems(t *testing.T, lines []fileLine, d Defaults) {
	t.Helper()
	for _, l := range lines {
		if l.Err != "" {
			continue
		}
		if l.Queue != d.Queue {
			t.Fatalf("line %d: queue %q, want %q", l.Number, l.Queue, d.Queue)
		}
		if len(l.Payload) <= workqueue.MaxPayloadBytes {
			if err := workqueue.CheckDocument("payload", []byte(l.Payload)); err != nil {
				t.Fatalf("line %d: payload %q: %v", l.Number, l.Payload, err)
			}
		}
		if d.ReferenceRequired && l.Reference == "" {
			t.Fatalf("line %d: no reference, but one is required", l.Number)
		}
	}
}

func defaultsOf(referenceField string, required bool, priority int32) Defaults {
	if referenceField == "" {
		referenceField = DefaultReferenceField
	}
	return Defaults{Queue: "certificates", Priority: priority, ReferenceField: referenceField, ReferenceRequired: required}
}

// FuzzCSV reads any bytes as a CSV file of items. Besides what holds for
// every source: each row's payload maps exactly the header's columns to
// the row's strings, its reference is the reference column's value; a
// byte-order mark in front changes nothing; and the rows read as the JSON
// lines of their payloads give the same items, since a file means the
// same items in either format.
func FuzzCSV(f *testing.F) {
	// From TestMakesCSVRowsPayloadsOfStrings and the header tests.
	f.Add([]byte("\ufeffreference, cpr ,name\n"+
		"2026-4711,0101701234,Anne\n\n"+
		"2026-4712,0202802345\n"+
		"2026-4713,0303903456,\"Bo \"\"Bobby\"\" Hansen\"\n"+
		"2026-4714,0404004567,Ca\"rl\n"+
		"2026-4715,0505105678,\"Dorte\nJensen\"\n"+
		"2026-4716,0606206789,Erik\n"), "", false, int32(2))
	f.Add([]byte("cpr\n0101701234\n"), "", false, int32(0))
	f.Add([]byte("cpr,name\n0101701234,Anne\n,Bo\n"), "cpr", true, int32(0))
	f.Add([]byte(""), "", false, int32(0))
	f.Add([]byte("cpr,,name\n"), "", false, int32(0))
	f.Add([]byte("cpr,name,cpr\n"), "", false, int32(0))
	f.Add([]byte("cpr;name\n0101701234;Anne\n"), "", false, int32(0))
	f.Add([]byte("cpr,name\n"), "sag", true, int32(0))
	// Windows line ends, a quoted header, a payload column, huge numbers.
	f.Add([]byte("\"cpr nummer\",navn\r\n0101701234,\"Løgstør, Anne\"\r\n"), "cpr nummer", true, int32(-1000))
	f.Add([]byte("payload,reference\n{},a\n"), "", false, int32(1000))
	f.Add([]byte("reference,amount\n99999999999999999999,1e999999\n"), "", false, int32(0))
	f.Fuzz(func(t *testing.T, input []byte, referenceField string, required bool, priority int32) {
		d := defaultsOf(referenceField, required, priority)
		src, err := NewSource(FormatCSV, bytes.NewReader(input), d)
		if !bytes.HasPrefix(input, UTF8BOM) {
			withBOM, errBOM := NewSource(FormatCSV, bytes.NewReader(append(slices.Clone(UTF8BOM), input...)), d)
			if (err == nil) != (errBOM == nil) {
				t.Fatalf("%q: %v, with a byte-order mark %v", input, err, errBOM)
			}
			if err == nil {
				a, b := readAll(t, src, input), readAll(t, withBOM, input)
				if !equalLines(a, b) {
					t.Fatalf("%q: a byte-order mark changes the items:\n%+v\n%+v", input, a, b)
				}
				src, _ = NewSource(FormatCSV, bytes.NewReader(input), d)
			}
		}
		if err != nil {
			return
		}
		header := src.(*csvSource).header
		lines := readAll(t, src, input)
		checkItems(t, lines, d)
		for _, l := range lines {
			if l.Err != "" {
				continue
			}
			checkCSVRow(t, l, header, d)
		}
	})
}

func checkCSVRow(t *testing.T, l fileLine, header []string, d Defaults) {
	t.Helper()
	var payload map[string]string
	if err := json.Unmarshal([]byte(l.Payload), &payload); err != nil {
		t.Fatalf("line %d: payload %q is not an object of strings: %v", l.Number, l.Payload, err)
	}
	if l.Priority != d.Priority || l.HasDefer || l.HasDeadline {
		t.Fatalf("line %d: %+v has more than the defaults", l.Number, l)
	}
	// JSON text is UTF-8: a file in another encoding (Windows-1252) has its
	// invalid bytes written as U+FFFD in the payload, so compare with the
	// header and the reference only in UTF-8.
	if slices.ContainsFunc(header, invalidUTF8) || !utf8.ValidString(l.Reference) {
		return
	}
	if keys := slices.Sorted(maps.Keys(payload)); !slices.Equal(keys, slices.Sorted(slices.Values(header))) {
		t.Fatalf("line %d: payload fields %q, header %q", l.Number, keys, header)
	}
	ref, hasColumn := payload[d.ReferenceField]
	if l.Reference != ref || !hasColumn && l.Reference != "" {
		t.Fatalf("line %d: reference %q, column %q = %q (%v)", l.Number, l.Reference, d.ReferenceField, ref, hasColumn)
	}
	// The same item as a JSON line, unless a column named "payload" makes
	// that line an envelope.
	if _, ok := payload["payload"]; ok {
		return
	}
	asJSON, err := parseJSONLine([]byte(l.Payload), d)
	if err != nil || asJSON.Reference != l.Reference || string(asJSON.Payload.Raw) != l.Payload || asJSON.Priority != l.Priority {
		t.Fatalf("line %d: as CSV %+v, as a JSON line %+v, %v", l.Number, l, asJSON, err)
	}
}

func invalidUTF8(s string) bool { return !utf8.ValidString(s) }

func equalLines(a, b []fileLine) bool {
	return slices.EqualFunc(a, b, func(x, y fileLine) bool {
		return x.Number == y.Number && x.Reference == y.Reference && x.Payload == y.Payload && x.Err == y.Err &&
			x.Priority == y.Priority && x.DeferUntil == y.DeferUntil && x.Deadline == y.Deadline && x.Queue == y.Queue
	})
}

// FuzzJSONLines reads any bytes as a JSON-lines file of items. Besides
// what holds for every source: a line that is an item is a JSON object;
// a payload line's reference is its reference field's string or number;
// an envelope sets only what it names; and a byte-order mark in front
// changes nothing.
func FuzzJSONLines(f *testing.F) {
	// From TestParsesJSONLines and TestKeepsTheFilesLineNumbersAndSkipsBlankLines.
	for _, line := range []string{
		`{"reference":"2026-4711","priority":3,"payload":{"cpr":"0101701234"},"deferUntil":"2026-11-23T07:00:00+01:00","deadline":"2026-11-25T16:00:00+01:00"}`,
		`{"payload":{"cpr":"0101701234"}}`,
		`{"reference":"2026-4711","cpr":"0101701234"}`,
		`{"cpr":101701234,"name":"Anne"}`,
		`{"cpr":"0101701234"`, `cpr,name`, `[{"cpr":"0101701234"}]`, `null`,
		`{"payload":"0101701234"}`, `{"payload":null}`,
		`{"payload":{},"defer_until":"2026-11-23T07:00:00+01:00"}`,
		`{"payload":{},"deadline":"2026-11-25T16:00:00"}`,
		`{"payload":{},"deferUntil":"2026-13-01T07:00:00+01:00"}`,
		`{"payload":{},"deadline":1764082800}`,
		`{"payload":{},"priority":1.5}`, `{"payload":{},"priority":3000000000}`,
		`{"payload":{},"reference":4711}`,
		`{"name":"Anne"}`, `{"cpr":""}`, `{"cpr":{"number":"0101701234"}}`,
		// Leap days, huge numbers, duplicate keys.
		`{"payload":{},"deadline":"2028-02-29T23:59:59+01:00"}`, `{"payload":{},"deadline":"2027-02-29T12:00:00Z"}`,
		`{"cpr":123456789012345678901234567890e99999}`, `{"cpr":"a","cpr":"b"}`,
	} {
		f.Add([]byte(line+"\n"), "cpr", false, int32(0))
	}
	f.Add([]byte("\ufeff{\"reference\":\"a\"}\r\n\n   \n{\"reference\":\"b\"\n{\"reference\":\"c\"}"), "", false, int32(0))
	f.Add([]byte(""), "", true, int32(5))
	f.Fuzz(func(t *testing.T, input []byte, referenceField string, required bool, priority int32) {
		d := defaultsOf(referenceField, required, priority)
		src, err := NewSource(FormatJSONLines, bytes.NewReader(input), d)
		if err != nil {
			t.Fatalf("NewSource: %v", err)
		}
		lines := readAll(t, src, input)
		if !bytes.HasPrefix(input, UTF8BOM) {
			withBOM, _ := NewSource(FormatJSONLines, bytes.NewReader(append(slices.Clone(UTF8BOM), input...)), d)
			if b := readAll(t, withBOM, input); !equalLines(lines, b) {
				t.Fatalf("%q: a byte-order mark changes the items:\n%+v\n%+v", input, lines, b)
			}
		}
		checkItems(t, lines, d)
		texts := bytes.Split(bytes.TrimPrefix(input, UTF8BOM), []byte("\n"))
		for _, l := range lines {
			if l.Err == "" {
				checkJSONLine(t, l, bytes.TrimSpace(texts[l.Number-1]), d)
			}
		}
	})
}

// checkJSONLine checks an item against its line: a line without "payload"
// is the payload, its reference field (a string, or a number as written)
// the reference; an envelope sets only the fields it names.
func checkJSONLine(t *testing.T, l fileLine, text []byte, d Defaults) {
	t.Helper()
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(text, &fields); err != nil || fields == nil {
		t.Fatalf("line %d: %q read as an item, but it is not an object: %v", l.Number, text, err)
	}
	if _, envelope := fields["payload"]; envelope {
		_, hasPriority := fields["priority"]
		_, hasReference := fields["reference"]
		_, hasDefer := fields["deferUntil"]
		_, hasDeadline := fields["deadline"]
		if !hasPriority && l.Priority != d.Priority || !hasReference && l.Reference != "" || l.HasDefer != hasDefer || l.HasDeadline != hasDeadline {
			t.Fatalf("line %d: %q read as %+v", l.Number, text, l)
		}
		return
	}
	if l.Payload != string(text) || l.Priority != d.Priority || l.HasDefer || l.HasDeadline {
		t.Fatalf("line %d: %q read as %+v", l.Number, text, l)
	}
	want := ""
	if value, ok := fields[d.ReferenceField]; ok {
		var s string
		var n json.Number
		switch {
		case json.Unmarshal(value, &s) == nil:
			want = s
		case json.Unmarshal(value, &n) == nil:
			want = n.String()
		}
	}
	if l.Reference != want {
		t.Fatalf("line %d: %q: reference %q, field %q is %q", l.Number, text, l.Reference, d.ReferenceField, want)
	}
}
