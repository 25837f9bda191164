// Package itemfile reads the files people add work items from: CSV with a
// header that names the payload's fields, or JSON lines, one item a line.
// `kubectl robot queue add` and the console's upload both read with it, so
// a file means the same items whichever way it is added. It is pure: it
// turns bytes into item specs (or a line's reason to refuse it) and sends
// nothing; the API checks the items again when they are added.
package itemfile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
)

// The formats a file of items may have.
const (
	FormatCSV       = "csv"
	FormatJSONLines = "jsonl"
)

// DefaultReferenceField is the payload field or CSV column that gives an
// item's reference when none is named, if there is one.
const DefaultReferenceField = "reference"

// exampleTime is shown in the errors about times.
const exampleTime = "2026-11-23T07:00:00+01:00"

// UTF8BOM is the byte-order mark spreadsheet programs (and Windows'
// Notepad) write at the start of a UTF-8 file.
var UTF8BOM = []byte("\ufeff")

// Defaults is what every line's item gets unless the line says otherwise.
type Defaults struct {
	Queue    string
	Priority int32
	// ReferenceField is the payload field (or CSV column) whose value is
	// the reference; ReferenceRequired is set when a person named it, so a
	// line without it is refused rather than added without a reference.
	ReferenceField    string
	ReferenceRequired bool
}

// Line is one line of the input as an item to add, or why it cannot be
// one.
type Line struct {
	// Number is the line's in the file, from 1; a CSV row over several
	// lines (a quoted newline) has its first.
	Number int
	Spec   queuev1alpha1.WorkItemSpec
	Err    error
}

// Source yields an input's items line by line, skipping blank lines;
// io.EOF at the end. Other errors mean the input cannot be read further.
type Source interface {
	Next() (Line, error)
}

// NewSource reads r in format (FormatCSV or FormatJSONLines). A CSV file's
// header is read now: a file whose header cannot name a payload is
// refused whole.
func NewSource(format string, r io.Reader, d Defaults) (Source, error) {
	switch format {
	case FormatCSV:
		return newCSVSource(r, d)
	case FormatJSONLines:
		return newJSONLinesSource(r, d), nil
	}
	return nil, fmt.Errorf("format %q: want %s or %s", format, FormatCSV, FormatJSONLines)
}

// FormatOfName is the format a file's name says (.csv; .jsonl or
// .ndjson, in any case), or "" when it says none.
func FormatOfName(name string) string {
	// Names from Windows (a browser's upload, a path typed in PowerShell)
	// use backslashes, which filepath.Ext does not split on elsewhere.
	name = name[strings.LastIndexAny(name, `/\`)+1:]
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return FormatCSV
	case ".jsonl", ".ndjson":
		return FormatJSONLines
	}
	return ""
}

// jsonLinesSource reads one JSON object per line.
type jsonLinesSource struct {
	r        *bufio.Reader
	number   int
	defaults Defaults
}

func newJSONLinesSource(r io.Reader, d Defaults) *jsonLinesSource {
	return &jsonLinesSource{r: bufio.NewReader(r), defaults: d}
}

func (s *jsonLinesSource) Next() (Line, error) {
	for {
		raw, err := s.r.ReadBytes('\n')
		if err != nil && (!errors.Is(err, io.EOF) || len(raw) == 0) {
			return Line{}, err
		}
		s.number++
		if s.number == 1 {
			raw = bytes.TrimPrefix(raw, UTF8BOM)
		}
		text := bytes.TrimSpace(raw)
		if len(text) == 0 {
			continue
		}
		spec, perr := parseJSONLine(text, s.defaults)
		return Line{Number: s.number, Spec: spec, Err: perr}, nil
	}
}

// parseJSONLine reads one line of JSON lines. A line with a "payload" key
// describes the item (envelopeItem); any other object is the payload
// itself (payloadItem).
func parseJSONLine(text []byte, d Defaults) (queuev1alpha1.WorkItemSpec, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(text, &fields); err != nil || fields == nil {
		if json.Valid(text) {
			return queuev1alpha1.WorkItemSpec{}, errors.New("not a JSON object: each line is one item, {...}")
		}
		return queuev1alpha1.WorkItemSpec{}, fmt.Errorf("not JSON: %w", err)
	}
	if _, ok := fields["payload"]; ok {
		return envelopeItem(fields, d)
	}
	return payloadItem(text, fields, d)
}

// envelopeItem is a line {"reference", "priority", "payload", "deferUntil",
// "deadline"}. Any other key is refused, so that a misspelt deadline is not
// silently dropped, and so is a line without a reference when one is
// required.
func envelopeItem(fields map[string]json.RawMessage, d Defaults) (queuev1alpha1.WorkItemSpec, error) {
	spec := queuev1alpha1.WorkItemSpec{Queue: d.Queue, Priority: d.Priority}
	for _, key := range slices.Sorted(maps.Keys(fields)) {
		value := fields[key]
		var err error
		switch key {
		case "payload":
			spec.Payload, err = objectField(key, value)
		case "reference":
			if err = json.Unmarshal(value, &spec.Reference); err != nil {
				err = errors.New("reference is not a string")
			}
		case "priority":
			if err = json.Unmarshal(value, &spec.Priority); err != nil {
				err = fmt.Errorf("priority %s is not a whole number from -2147483648 to 2147483647", value)
			}
		case "deferUntil":
			spec.DeferUntil, err = timeField(key, value)
		case "deadline":
			spec.Deadline, err = timeField(key, value)
		default:
			err = fmt.Errorf(`unknown field %q: a line with "payload" may have reference, priority, payload, deferUntil and deadline`, key)
		}
		if err != nil {
			return queuev1alpha1.WorkItemSpec{}, err
		}
	}
	if spec.Reference == "" && d.ReferenceRequired {
		return queuev1alpha1.WorkItemSpec{}, errors.New(`no reference: a line with "payload" gives its reference as "reference"`)
	}
	return spec, nil
}

// payloadItem is a line that is the payload; its reference field, if it
// has one, is the reference.
func payloadItem(text []byte, fields map[string]json.RawMessage, d Defaults) (queuev1alpha1.WorkItemSpec, error) {
	spec := queuev1alpha1.WorkItemSpec{Queue: d.Queue, Priority: d.Priority, Payload: runtime.RawExtension{Raw: text}}
	value, ok := fields[d.ReferenceField]
	if !ok || string(value) == "null" {
		if d.ReferenceRequired {
			return queuev1alpha1.WorkItemSpec{}, fmt.Errorf("no field %q to take the reference from", d.ReferenceField)
		}
		return spec, nil
	}
	ref, err := referenceText(d.ReferenceField, value)
	if err != nil {
		return queuev1alpha1.WorkItemSpec{}, err
	}
	if ref == "" && d.ReferenceRequired {
		return queuev1alpha1.WorkItemSpec{}, fmt.Errorf("field %q, the reference, is empty", d.ReferenceField)
	}
	spec.Reference = ref
	return spec, nil
}

// referenceText is a payload field's value as a reference: a string, or
// a number as it is written (case numbers are often numbers).
func referenceText(field string, value json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(value, &s); err == nil {
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(value, &n); err == nil {
		return n.String(), nil
	}
	return "", fmt.Errorf("field %q is neither a string nor a number, so it cannot be the reference", field)
}

func objectField(key string, value json.RawMessage) (runtime.RawExtension, error) {
	if !bytes.HasPrefix(bytes.TrimSpace(value), []byte("{")) {
		return runtime.RawExtension{}, fmt.Errorf("%s is not a JSON object", key)
	}
	return runtime.RawExtension{Raw: value}, nil
}

func timeField(key string, value json.RawMessage) (*metav1.Time, error) {
	var s string
	if err := json.Unmarshal(value, &s); err != nil {
		return nil, fmt.Errorf("%s is not a string: want an RFC 3339 time such as %s", key, exampleTime)
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, fmt.Errorf("%s %q is not an RFC 3339 time such as %s", key, s, exampleTime)
	}
	return &metav1.Time{Time: t}, nil
}

// NoReferenceColumnError says the reference column a person named is not
// in the CSV header. It is its own type so that each front end can say it
// in its own terms (a flag, a form field).
type NoReferenceColumnError struct {
	Field  string
	Header []string
}

func (e *NoReferenceColumnError) Error() string {
	return fmt.Sprintf("reference field %s: the CSV header has no such column (it has %s)", e.Field, e.Columns())
}

// Columns are the header's column names, as a list to show.
func (e *NoReferenceColumnError) Columns() string { return strings.Join(e.Header, ", ") }

// csvSource reads a CSV file whose header names the columns; every row is
// a payload of strings.
type csvSource struct {
	r        *csv.Reader
	header   []string
	refCol   int // -1 when no column is the reference
	defaults Defaults
}

func newCSVSource(r io.Reader, d Defaults) (*csvSource, error) {
	cr := csv.NewReader(skipBOM(r))
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("empty: the first line of a CSV file names the columns")
	}
	if err != nil {
		return nil, fmt.Errorf("CSV header: %w", err)
	}
	if err := cleanHeader(header); err != nil {
		return nil, err
	}
	refCol := slices.Index(header, d.ReferenceField)
	if refCol < 0 && d.ReferenceRequired {
		return nil, &NoReferenceColumnError{Field: d.ReferenceField, Header: header}
	}
	cr.FieldsPerRecord = len(header)
	return &csvSource{r: cr, header: header, refCol: refCol, defaults: d}, nil
}

// skipBOM drops the byte-order mark spreadsheet programs write before the
// CSV reader sees it: behind one, a quoted first column name ("cpr
// nummer") is a bare quote in an unquoted field.
func skipBOM(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	if start, err := br.Peek(len(UTF8BOM)); err == nil && bytes.Equal(start, UTF8BOM) {
		_, _ = br.Discard(len(UTF8BOM))
	}
	return br
}

// cleanHeader trims the column names and refuses a header that cannot name
// a payload's fields.
func cleanHeader(header []string) error {
	seen := map[string]bool{}
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
		switch {
		case header[i] == "":
			return fmt.Errorf("CSV header: column %d has no name", i+1)
		case seen[header[i]]:
			return fmt.Errorf("CSV header: column %q appears twice", header[i])
		}
		seen[header[i]] = true
	}
	if len(header) == 1 && strings.Contains(header[0], ";") {
		return fmt.Errorf("CSV header: one column, %q: the file is separated by semicolons; save it with commas", header[0])
	}
	return nil
}

func (s *csvSource) Next() (Line, error) {
	row, err := s.r.Read()
	var perr *csv.ParseError
	switch {
	case errors.As(err, &perr) && errors.Is(perr.Err, csv.ErrFieldCount):
		return Line{Number: perr.StartLine, Err: fmt.Errorf("%d fields, but the header has %d columns", len(row), len(s.header))}, nil
	case errors.As(err, &perr):
		return Line{Number: perr.StartLine, Err: fmt.Errorf("not CSV: %w", perr.Err)}, nil
	case err != nil:
		return Line{}, err
	}
	number, _ := s.r.FieldPos(0)
	spec, err := csvItem(s.header, row, s.refCol, s.defaults)
	return Line{Number: number, Spec: spec, Err: err}, nil
}

// csvItem is one row as an item: the payload maps the header's names to
// the row's values, the reference column included.
func csvItem(header, row []string, refCol int, d Defaults) (queuev1alpha1.WorkItemSpec, error) {
	payload := make(map[string]string, len(header))
	for i, name := range header {
		payload[name] = row[i]
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return queuev1alpha1.WorkItemSpec{}, err
	}
	spec := queuev1alpha1.WorkItemSpec{Queue: d.Queue, Priority: d.Priority, Payload: runtime.RawExtension{Raw: raw}}
	if refCol >= 0 {
		spec.Reference = row[refCol]
	}
	if spec.Reference == "" && d.ReferenceRequired {
		return queuev1alpha1.WorkItemSpec{}, fmt.Errorf("column %q, the reference, is empty", d.ReferenceField)
	}
	return spec, nil
}
