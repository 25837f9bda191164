package itemfile

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
)

// The reading of item files as table tests: what each line becomes, and
// the lines and headers refused with the reason a person can act on.

var certificates = Defaults{Queue: "certificates", ReferenceField: DefaultReferenceField}

// lineItem is the part of a parsed line the tests compare.
type lineItem struct {
	Queue, Reference, Payload string
	Priority                  int32
	DeferUntil, Deadline      string
}

func itemOf(spec queuev1alpha1.WorkItemSpec) lineItem {
	it := lineItem{Queue: spec.Queue, Reference: spec.Reference, Payload: string(spec.Payload.Raw), Priority: spec.Priority}
	if spec.DeferUntil != nil {
		it.DeferUntil = spec.DeferUntil.UTC().Format(time.RFC3339)
	}
	if spec.Deadline != nil {
		it.Deadline = spec.Deadline.UTC().Format(time.RFC3339)
	}
	return it
}

func TestParsesJSONLines(t *testing.T) {
	byCPR := Defaults{Queue: "certificates", ReferenceField: "cpr", ReferenceRequired: true}
	urgent := Defaults{Queue: "certificates", ReferenceField: DefaultReferenceField, Priority: 5}
	tests := []struct {
		name     string
		defaults Defaults
		line     string
		want     lineItem
		wantErr  string
	}{
		{
			name: "an item with every field", defaults: certificates,
			line: `{"reference":"2026-4711","priority":3,"payload":{"cpr":"0101701234"},"deferUntil":"2026-11-23T07:00:00+01:00","deadline":"2026-11-25T16:00:00+01:00"}`,
			want: lineItem{Queue: "certificates", Reference: "2026-4711", Priority: 3, Payload: `{"cpr":"0101701234"}`,
				DeferUntil: "2026-11-23T06:00:00Z", Deadline: "2026-11-25T15:00:00Z"},
		},
		{
			name: "an item without a priority takes --priority", defaults: urgent,
			line: `{"payload":{"cpr":"0101701234"}}`,
			want: lineItem{Queue: "certificates", Priority: 5, Payload: `{"cpr":"0101701234"}`},
		},
		{
			name: "a line without payload is the payload, its reference field the reference", defaults: certificates,
			line: `{"reference":"2026-4711","cpr":"0101701234"}`,
			want: lineItem{Queue: "certificates", Reference: "2026-4711", Payload: `{"reference":"2026-4711","cpr":"0101701234"}`},
		},
		{
			name: "--reference-field names the payload's field; a number is taken as written", defaults: byCPR,
			line: `{"cpr":101701234,"name":"Anne"}`,
			want: lineItem{Queue: "certificates", Reference: "101701234", Payload: `{"cpr":101701234,"name":"Anne"}`},
		},
		{
			name: "a payload without the default reference field has no reference", defaults: certificates,
			line: `{"cpr":"0101701234"}`,
			want: lineItem{Queue: "certificates", Payload: `{"cpr":"0101701234"}`},
		},
		{name: "not JSON", defaults: certificates, line: `{"cpr":"0101701234"`, wantErr: "not JSON: unexpected end of JSON input"},
		{name: "a CSV line in a JSON-lines file", defaults: certificates, line: `cpr,name`, wantErr: "not JSON: invalid character 'c'"},
		{name: "an array", defaults: certificates, line: `[{"cpr":"0101701234"}]`, wantErr: "not a JSON object"},
		{name: "null", defaults: certificates, line: `null`, wantErr: "not a JSON object"},
		{name: "a payload that is not an object", defaults: certificates, line: `{"payload":"0101701234"}`, wantErr: "payload is not a JSON object"},
		{name: "a payload of null", defaults: certificates, line: `{"payload":null}`, wantErr: "payload is not a JSON object"},
		{name: "a misspelt field next to payload", defaults: certificates, line: `{"payload":{},"defer_until":"2026-11-23T07:00:00+01:00"}`,
			wantErr: `unknown field "defer_until"`},
		{name: "a time without its offset", defaults: certificates, line: `{"payload":{},"deadline":"2026-11-25T16:00:00"}`,
			wantErr: `deadline "2026-11-25T16:00:00" is not an RFC 3339 time`},
		{name: "a date that does not exist", defaults: certificates, line: `{"payload":{},"deferUntil":"2026-13-01T07:00:00+01:00"}`,
			wantErr: `deferUntil "2026-13-01T07:00:00+01:00" is not an RFC 3339 time`},
		{name: "a time that is a number", defaults: certificates, line: `{"payload":{},"deadline":1764082800}`, wantErr: "deadline is not a string"},
		{name: "a fractional priority", defaults: certificates, line: `{"payload":{},"priority":1.5}`, wantErr: "priority 1.5 is not a whole number"},
		{name: "a priority past int32", defaults: certificates, line: `{"payload":{},"priority":3000000000}`, wantErr: "priority 3000000000 is not a whole number"},
		{name: "a reference that is not a string", defaults: certificates, line: `{"payload":{},"reference":4711}`, wantErr: "reference is not a string"},
		// FuzzJSONLines found these added without a reference.
		{name: "an envelope without a reference when one is required", defaults: byCPR, line: `{"payload":{"cpr":"0101701234"}}`,
			wantErr: `no reference: a line with "payload" gives its reference as "reference"`},
		{name: "an envelope with an empty reference when one is required", defaults: byCPR, line: `{"reference":"","payload":{}}`,
			wantErr: "no reference"},
		{name: "the named reference field missing", defaults: byCPR, line: `{"name":"Anne"}`, wantErr: `no field "cpr" to take the reference from`},
		{name: "the named reference field empty", defaults: byCPR, line: `{"cpr":""}`, wantErr: `field "cpr", the reference, is empty`},
		{name: "a reference field that is an object", defaults: byCPR, line: `{"cpr":{"number":"0101701234"}}`,
			wantErr: `field "cpr" is neither a string nor a number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := parseJSONLine([]byte(tt.line), tt.defaults)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseJSONLine(%s) = %+v, %v; want an error saying %q", tt.line, itemOf(spec), err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseJSONLine(%s): %v", tt.line, err)
			}
			NewWithT(t).Expect(itemOf(spec)).To(Equal(tt.want), "parseJSONLine(%s)", tt.line)
		})
	}
}

// parsedLine is a source line as the tests compare it.
type parsedLine struct {
	Number int
	Item   lineItem
	Err    string
}

func drain(t *testing.T, src Source) []parsedLine {
	t.Helper()
	var lines []parsedLine
	for {
		line, err := src.Next()
		if errors.Is(err, io.EOF) {
			return lines
		}
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		p := parsedLine{Number: line.Number}
		if line.Err != nil {
			p.Err = line.Err.Error()
		} else {
			p.Item = itemOf(line.Spec)
		}
		lines = append(lines, p)
		if len(lines) > 100 {
			t.Fatal("the source does not end")
		}
	}
}

func TestKeepsTheFilesLineNumbersAndSkipsBlankLines(t *testing.T) {
	input := "\ufeff{\"reference\":\"a\"}\r\n" + // a byte-order mark and a Windows line end
		"\n" +
		"   \n" +
		"{\"reference\":\"b\"\n" +
		"{\"reference\":\"c\"}" // no newline at the end
	got := drain(t, newJSONLinesSource(strings.NewReader(input), certificates))
	want := []parsedLine{
		{Number: 1, Item: lineItem{Queue: "certificates", Reference: "a", Payload: `{"reference":"a"}`}},
		{Number: 4, Err: "not JSON: unexpected end of JSON input"},
		{Number: 5, Item: lineItem{Queue: "certificates", Reference: "c", Payload: `{"reference":"c"}`}},
	}
	NewWithT(t).Expect(got).To(Equal(want), "lines")
}

func TestMakesCSVRowsPayloadsOfStrings(t *testing.T) {
	input := "\ufeffreference, cpr ,name\n" +
		"2026-4711,0101701234,Anne\n" +
		"\n" +
		"2026-4712,0202802345\n" + // a column short
		"2026-4713,0303903456,\"Bo \"\"Bobby\"\" Hansen\"\n" +
		"2026-4714,0404004567,Ca\"rl\n" + // a quote inside a field that is not quoted
		"2026-4715,0505105678,\"Dorte\nJensen\"\n" + // a quoted newline: one row over two lines
		"2026-4716,0606206789,Erik\n"
	src, err := newCSVSource(strings.NewReader(input), Defaults{Queue: "certificates", ReferenceField: DefaultReferenceField, Priority: 2})
	if err != nil {
		t.Fatal(err)
	}
	item := func(ref, payload string) lineItem {
		return lineItem{Queue: "certificates", Reference: ref, Priority: 2, Payload: payload}
	}
	want := []parsedLine{
		{Number: 2, Item: item("2026-4711", `{"cpr":"0101701234","name":"Anne","reference":"2026-4711"}`)},
		{Number: 4, Err: "2 fields, but the header has 3 columns"},
		{Number: 5, Item: item("2026-4713", `{"cpr":"0303903456","name":"Bo \"Bobby\" Hansen","reference":"2026-4713"}`)},
		{Number: 6, Err: `not CSV: bare " in non-quoted-field`},
		{Number: 7, Item: item("2026-4715", `{"cpr":"0505105678","name":"Dorte\nJensen","reference":"2026-4715"}`)},
		{Number: 9, Item: item("2026-4716", `{"cpr":"0606206789","name":"Erik","reference":"2026-4716"}`)},
	}
	NewWithT(t).Expect(drain(t, src)).To(Equal(want), "rows")
}

func TestTakesTheReferenceFromACSVColumn(t *testing.T) {
	tests := []struct {
		name     string
		defaults Defaults
		input    string
		want     []parsedLine
	}{
		{
			name: "no reference column, none named: items without a reference", defaults: certificates,
			input: "cpr\n0101701234\n",
			want:  []parsedLine{{Number: 2, Item: lineItem{Queue: "certificates", Payload: `{"cpr":"0101701234"}`}}},
		},
		{
			name: "--reference-field names the column; an empty one is refused", defaults: Defaults{Queue: "certificates", ReferenceField: "cpr", ReferenceRequired: true},
			input: "cpr,name\n0101701234,Anne\n,Bo\n",
			want: []parsedLine{
				{Number: 2, Item: lineItem{Queue: "certificates", Reference: "0101701234", Payload: `{"cpr":"0101701234","name":"Anne"}`}},
				{Number: 3, Err: `column "cpr", the reference, is empty`},
			},
		},
		{
			// FuzzCSV found the quote after the mark read as a bare quote.
			name: "a quoted column name behind a byte-order mark, as a spreadsheet saves it", defaults: Defaults{Queue: "certificates", ReferenceField: "cpr nummer", ReferenceRequired: true},
			input: "\ufeff\"cpr nummer\",navn\r\n0101701234,\"Løgstør, Anne\"\r\n",
			want:  []parsedLine{{Number: 2, Item: lineItem{Queue: "certificates", Reference: "0101701234", Payload: `{"cpr nummer":"0101701234","navn":"Løgstør, Anne"}`}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := newCSVSource(strings.NewReader(tt.input), tt.defaults)
			if err != nil {
				t.Fatal(err)
			}
			NewWithT(t).Expect(drain(t, src)).To(Equal(tt.want), "rows")
		})
	}
}

func TestRefusesCSVHeadersThatCannotNameAPayload(t *testing.T) {
	tests := []struct {
		name, input string
		defaults    Defaults
		wantErr     string
	}{
		{name: "an empty file", input: "", defaults: certificates, wantErr: "empty: the first line of a CSV file names the columns"},
		{name: "a column without a name", input: "cpr,,name\n", defaults: certificates, wantErr: "column 2 has no name"},
		{name: "a column twice", input: "cpr,name,cpr\n", defaults: certificates, wantErr: `column "cpr" appears twice`},
		{name: "semicolons, as a Danish spreadsheet saves", input: "cpr;name\n0101701234;Anne\n", defaults: certificates,
			wantErr: "separated by semicolons"},
		{name: "--reference-field naming no column", input: "cpr,name\n", defaults: Defaults{ReferenceField: "sag", ReferenceRequired: true},
			wantErr: "reference field sag: the CSV header has no such column (it has cpr, name)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newCSVSource(strings.NewReader(tt.input), tt.defaults)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("newCSVSource(%q) = %v; want an error saying %q", tt.input, err, tt.wantErr)
			}
		})
	}
}

func TestFormatOfName(t *testing.T) {
	tests := []struct{ name, file, want string }{
		{name: "a .csv file", file: "certificates.csv", want: FormatCSV},
		{name: "a .CSV file from Windows", file: `C:\udtraek\ATTESTER.CSV`, want: FormatCSV},
		{name: "a .jsonl file", file: "items.jsonl", want: FormatJSONLines},
		{name: "a .ndjson file", file: "items.ndjson", want: FormatJSONLines},
		{name: "a Windows folder with a dot, a file without", file: `C:\udtraek.csv\attester`, want: ""},
		{name: "an extension that says nothing", file: "items.txt", want: ""},
		{name: "no name", file: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatOfName(tt.file); got != tt.want {
				t.Errorf("FormatOfName(%q) = %q, want %q", tt.file, got, tt.want)
			}
		})
	}
}

func TestNewSourceReadsEitherFormatAndRefusesOthers(t *testing.T) {
	for format, input := range map[string]string{FormatCSV: "reference\na\n", FormatJSONLines: `{"reference":"a"}` + "\n"} {
		src, err := NewSource(format, strings.NewReader(input), certificates)
		if err != nil {
			t.Fatalf("NewSource(%s): %v", format, err)
		}
		got := drain(t, src)
		NewWithT(t).Expect(got).To(HaveLen(1), format)
		NewWithT(t).Expect(got[0].Item.Reference).To(Equal("a"), format)
	}
	if _, err := NewSource("xlsx", strings.NewReader(""), certificates); err == nil || !strings.Contains(err.Error(), `format "xlsx": want csv or jsonl`) {
		t.Errorf("NewSource(xlsx) = %v; want the formats named", err)
	}
}

func TestNoReferenceColumnErrorNamesTheColumns(t *testing.T) {
	_, err := NewSource(FormatCSV, strings.NewReader("cpr,name\n"), Defaults{ReferenceField: "sag", ReferenceRequired: true})
	var noColumn *NoReferenceColumnError
	if !errors.As(err, &noColumn) {
		t.Fatalf("NewSource = %v; want a NoReferenceColumnError", err)
	}
	if noColumn.Field != "sag" || noColumn.Columns() != "cpr, name" {
		t.Errorf("NoReferenceColumnError = %q, %q; want sag, \"cpr, name\"", noColumn.Field, noColumn.Columns())
	}
}
