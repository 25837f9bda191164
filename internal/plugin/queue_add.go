package plugin

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
)

// Formats of `queue add`'s input and of `audit`'s output.
const (
	formatCSV   = "csv"
	formatJSONL = "jsonl"
)

// Values of --dry-run, as kubectl's; a client-side dry run could not
// check what the server checks, so there is none.
const (
	dryRunNone   = "none"
	dryRunServer = "server"
)

// defaultReferenceField is the payload field or CSV column that gives an
// item's reference when --reference-field is not set, if there is one.
const defaultReferenceField = "reference"

// existingAnnotation marks the answer to an add whose reference the queue
// (with uniqueReferences) already has: the answer is that item, not a new
// one (internal/server/itemsapi, ItemStorage.Create).
const existingAnnotation = queuev1alpha1.GroupName + "/existing"

// exampleTime is shown in the errors about times.
const exampleTime = "2026-11-23T07:00:00+01:00"

var utf8BOM = []byte("\ufeff")

// addOptions are the flags of `queue add`.
type addOptions struct {
	file, format string
	dryRun       string
	defaults     itemDefaults
}

// itemDefaults is what every line's item gets unless the line says
// otherwise.
type itemDefaults struct {
	queue    string
	priority int32
	// referenceField is the payload field (or CSV column) whose value is
	// the reference; referenceRequired is set when the user named it, so a
	// line without it is refused rather than added without a reference.
	referenceField    string
	referenceRequired bool
}

func newQueueAddCommand(connect connectFunc) *cobra.Command {
	opts := addOptions{}
	cmd := &cobra.Command{
		Use:   "add QUEUE -f FILE|- [--format csv|jsonl] [--reference-field NAME] [--priority N] [--dry-run=server]",
		Short: "Add an item to a work queue for every line of a CSV or JSON-lines file",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.defaults.queue = args[0]
			opts.defaults.referenceRequired = cmd.Flags().Changed("reference-field")
			format, err := inputFormat(opts.file, opts.format)
			if err != nil {
				return err
			}
			opts.format = format
			if opts.dryRun != dryRunNone && opts.dryRun != dryRunServer {
				return fmt.Errorf("--dry-run=%s: want none or server (the server checks each item and adds none)", opts.dryRun)
			}
			env, err := connect()
			if err != nil {
				return err
			}
			return runQueueAdd(cmd.Context(), env, cmd.InOrStdin(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.file, "filename", "f", "", "the file of items, - for stdin")
	cmd.Flags().StringVar(&opts.format, "format", "", "csv or jsonl (default: from the file's extension, .csv, .jsonl or .ndjson)")
	cmd.Flags().StringVar(&opts.defaults.referenceField, "reference-field", defaultReferenceField,
		"the payload field (CSV column) that is the item's reference")
	cmd.Flags().Int32Var(&opts.defaults.priority, "priority", 0, "priority of every item whose line gives none (higher is taken first)")
	cmd.Flags().StringVar(&opts.dryRun, "dry-run", dryRunNone, "server: have the server check every item without adding any")
	cmd.Flags().Lookup("dry-run").NoOptDefVal = dryRunServer
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}

// inputFormat is --format, or the format the file's extension names.
// Standard input has no name, so it needs --format.
func inputFormat(file, format string) (string, error) {
	switch format {
	case formatCSV, formatJSONL:
		return format, nil
	case "":
	default:
		return "", fmt.Errorf("--format %q: want csv or jsonl", format)
	}
	if file == "-" {
		return "", errors.New("-f - reads standard input: say what it holds with --format csv or --format jsonl")
	}
	switch strings.ToLower(filepath.Ext(file)) {
	case ".csv":
		return formatCSV, nil
	case ".jsonl", ".ndjson":
		return formatJSONL, nil
	}
	return "", fmt.Errorf("-f %s: cannot tell the format from the file's name; give --format csv or --format jsonl", file)
}

// runQueueAdd adds the file's items one request at a time, in the file's
// order, and reports every line that did not add a new item.
func runQueueAdd(ctx context.Context, env *Env, stdin io.Reader, opts addOptions) error {
	if err := checkWorkQueue(ctx, env, opts.defaults.queue); err != nil {
		return err
	}
	in, name, closeInput, err := openInput(opts.file, stdin)
	if err != nil {
		return err
	}
	defer closeInput()
	src, err := newItemSource(opts.format, in, opts.defaults)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	dryRun := opts.dryRun == dryRunServer
	var tally addTally
	for {
		line, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Fprintln(env.Out, tally.summary(dryRun))
			return fmt.Errorf("read %s: %w", name, err)
		}
		res, stop := addLine(ctx, env, line, dryRun)
		tally.count(res)
		if msg := addReportLine(res); msg != "" {
			fmt.Fprintln(env.Out, msg)
		}
		if stop != nil {
			tally.stoppedAt = line.number
			fmt.Fprintln(env.Out, tally.summary(dryRun))
			return stop
		}
	}
	fmt.Fprintln(env.Out, tally.summary(dryRun))
	if tally.refused > 0 {
		return fmt.Errorf("%d of %d lines refused", tally.refused, tally.lines())
	}
	return nil
}

// openInput opens the file, or standard input for "-".
func openInput(file string, stdin io.Reader) (io.Reader, string, func(), error) {
	if file == "-" {
		return stdin, "standard input", func() {}, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, "", nil, err
	}
	return f, file, func() { _ = f.Close() }, nil
}

// addLine sends one line's item, unless the line was refused already. A
// non-nil stop says no later line can succeed either (no access, no API,
// the queue gone, interrupted): the answer repeated for every line would
// only hide it.
func addLine(ctx context.Context, env *Env, line sourceLine, dryRun bool) (addResult, error) {
	if line.err != nil {
		return addResult{line: line.number, outcome: lineRefused, message: line.err.Error()}, nil
	}
	got, err := createItem(ctx, env, line.spec, dryRun)
	err = workItemsError(err)
	res := addResultOf(line.number, line.spec.Reference, got, err)
	var unreachable *errWorkItemsAPI
	switch {
	case ctx.Err() != nil && err != nil:
		res.message = "interrupted before the answer came: the item may have been added"
		return res, fmt.Errorf("interrupted at line %d", line.number)
	case errors.As(err, &unreachable):
		return res, err
	case apierrors.IsUnauthorized(err), apierrors.IsForbidden(err), apierrors.IsNotFound(err):
		return res, fmt.Errorf("stopped at line %d: %s", line.number, apiMessage(err))
	}
	return res, nil
}

// createItem posts one item. With dryRun the server checks it as it
// would add it (the queue, the caller, the payload and the reference)
// and adds nothing.
func createItem(ctx context.Context, env *Env, spec queuev1alpha1.WorkItemSpec, dryRun bool) (*queuev1alpha1.WorkItem, error) {
	body := &queuev1alpha1.WorkItem{Spec: spec}
	req := env.WorkItems.Post().Namespace(env.Namespace).Resource("workitems").Body(body)
	if dryRun {
		req = req.Param("dryRun", metav1.DryRunAll)
	}
	got := &queuev1alpha1.WorkItem{}
	return got, req.Do(ctx).Into(got)
}

// addOutcome is what became of one line.
type addOutcome int

const (
	lineAdded addOutcome = iota
	lineExisting
	lineRefused
)

// addResult is one line's outcome, for the report.
type addResult struct {
	line      int
	outcome   addOutcome
	reference string
	// id and state are the item's: the new one, or the one that has the
	// reference. An existing item that retention deleted has no state.
	id, state string
	message   string
}

// addResultOf reads the API's answer to an add. A reference the queue
// has seen answers with that item and the existingAnnotation; if retention
// has deleted the item, the answer is AlreadyExists naming its id.
func addResultOf(line int, reference string, got *queuev1alpha1.WorkItem, err error) addResult {
	res := addResult{line: line, reference: reference}
	switch {
	case apierrors.IsAlreadyExists(err):
		res.outcome = lineExisting
		var status apierrors.APIStatus
		if errors.As(err, &status) && status.Status().Details != nil {
			res.id = status.Status().Details.Name
		}
	case err != nil:
		// The API numbers the items of a batch; a line is a batch of one.
		res.outcome, res.message = lineRefused, strings.TrimPrefix(apiMessage(err), "item 1: ")
	case got.Annotations[existingAnnotation] == "true":
		res.outcome, res.id, res.state = lineExisting, got.Name, got.Status.State
	default:
		res.outcome, res.id, res.state = lineAdded, got.Name, got.Status.State
	}
	return res
}

// addReportLine is the report's line for a line that did not add a new
// item; "" for one that did. The text is the robot's or person's (the
// reference) and the API's: made safe to print.
func addReportLine(r addResult) string {
	switch r.outcome {
	case lineRefused:
		return fmt.Sprintf("line %d: %s", r.line, oneLine(r.message))
	case lineExisting:
		state := r.state
		if state == "" {
			state = "deleted by retention"
		}
		return fmt.Sprintf("line %d: reference %s exists as item %s (%s)", r.line, oneLine(r.reference), orDash(r.id), state)
	}
	return ""
}

// addTally counts the lines' outcomes for the summary.
type addTally struct {
	added, existing, refused int
	// stoppedAt is the line after which nothing was sent, or 0.
	stoppedAt int
}

func (t *addTally) count(r addResult) {
	switch r.outcome {
	case lineAdded:
		t.added++
	case lineExisting:
		t.existing++
	default:
		t.refused++
	}
}

func (t *addTally) lines() int { return t.added + t.existing + t.refused }

// summary is the report's last line. A dry run adds nothing and, since
// the server does not look up references then, finds nothing existing.
func (t *addTally) summary(dryRun bool) string {
	s := fmt.Sprintf("added %d, existing %d, refused %d", t.added, t.existing, t.refused)
	if dryRun {
		s = fmt.Sprintf("would add %d, refused %d (dry run: nothing was added, and references were not looked up)", t.added, t.refused)
	}
	if t.stoppedAt > 0 {
		s += fmt.Sprintf("; stopped at line %d, the lines after it were not sent", t.stoppedAt)
	}
	return s
}

// sourceLine is one line of the input as an item to add, or why it cannot
// be one.
type sourceLine struct {
	number int // in the file, from 1
	spec   queuev1alpha1.WorkItemSpec
	err    error
}

// itemSource yields an input's items line by line, skipping blank lines;
// io.EOF at the end. Other errors mean the input cannot be read further.
type itemSource interface {
	Next() (sourceLine, error)
}

func newItemSource(format string, r io.Reader, d itemDefaults) (itemSource, error) {
	if format == formatCSV {
		return newCSVSource(r, d)
	}
	return &jsonLinesSource{r: bufio.NewReader(r), defaults: d}, nil
}

// jsonLinesSource reads one JSON object per line.
type jsonLinesSource struct {
	r        *bufio.Reader
	number   int
	defaults itemDefaults
}

func (s *jsonLinesSource) Next() (sourceLine, error) {
	for {
		raw, err := s.r.ReadBytes('\n')
		if err != nil && (!errors.Is(err, io.EOF) || len(raw) == 0) {
			return sourceLine{}, err
		}
		s.number++
		if s.number == 1 {
			raw = bytes.TrimPrefix(raw, utf8BOM)
		}
		text := bytes.TrimSpace(raw)
		if len(text) == 0 {
			continue
		}
		spec, perr := parseJSONLine(text, s.defaults)
		return sourceLine{number: s.number, spec: spec, err: perr}, nil
	}
}

// parseJSONLine reads one line of JSON lines. A line with a "payload" key
// describes the item (envelopeItem); any other object is the payload
// itself (payloadItem).
func parseJSONLine(text []byte, d itemDefaults) (queuev1alpha1.WorkItemSpec, error) {
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
// silently dropped.
func envelopeItem(fields map[string]json.RawMessage, d itemDefaults) (queuev1alpha1.WorkItemSpec, error) {
	spec := queuev1alpha1.WorkItemSpec{Queue: d.queue, Priority: d.priority}
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
	return spec, nil
}

// payloadItem is a line that is the payload; its referenceField, if it
// has one, is the reference.
func payloadItem(text []byte, fields map[string]json.RawMessage, d itemDefaults) (queuev1alpha1.WorkItemSpec, error) {
	spec := queuev1alpha1.WorkItemSpec{Queue: d.queue, Priority: d.priority, Payload: runtime.RawExtension{Raw: text}}
	value, ok := fields[d.referenceField]
	if !ok || string(value) == "null" {
		if d.referenceRequired {
			return queuev1alpha1.WorkItemSpec{}, fmt.Errorf("no field %q to take the reference from", d.referenceField)
		}
		return spec, nil
	}
	ref, err := referenceText(d.referenceField, value)
	if err != nil {
		return queuev1alpha1.WorkItemSpec{}, err
	}
	if ref == "" && d.referenceRequired {
		return queuev1alpha1.WorkItemSpec{}, fmt.Errorf("field %q, the reference, is empty", d.referenceField)
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

// csvSource reads a CSV file whose header names the columns; every row is
// a payload of strings.
type csvSource struct {
	r        *csv.Reader
	header   []string
	refCol   int // -1 when no column is the reference
	defaults itemDefaults
}

func newCSVSource(r io.Reader, d itemDefaults) (*csvSource, error) {
	cr := csv.NewReader(r)
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
	refCol := slices.Index(header, d.referenceField)
	if refCol < 0 && d.referenceRequired {
		return nil, fmt.Errorf("--reference-field %s: the CSV header has no such column (it has %s)", d.referenceField, strings.Join(header, ", "))
	}
	cr.FieldsPerRecord = len(header)
	return &csvSource{r: cr, header: header, refCol: refCol, defaults: d}, nil
}

// cleanHeader trims the column names (and the byte-order mark spreadsheet
// programs write) and refuses a header that cannot name a payload's fields.
func cleanHeader(header []string) error {
	header[0] = strings.TrimPrefix(header[0], string(utf8BOM))
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

func (s *csvSource) Next() (sourceLine, error) {
	row, err := s.r.Read()
	var perr *csv.ParseError
	switch {
	case errors.As(err, &perr) && errors.Is(perr.Err, csv.ErrFieldCount):
		return sourceLine{number: perr.StartLine, err: fmt.Errorf("%d fields, but the header has %d columns", len(row), len(s.header))}, nil
	case errors.As(err, &perr):
		return sourceLine{number: perr.StartLine, err: fmt.Errorf("not CSV: %w", perr.Err)}, nil
	case err != nil:
		return sourceLine{}, err
	}
	number, _ := s.r.FieldPos(0)
	spec, err := csvItem(s.header, row, s.refCol, s.defaults)
	return sourceLine{number: number, spec: spec, err: err}, nil
}

// csvItem is one row as an item: the payload maps the header's names to
// the row's values, the reference column included.
func csvItem(header, row []string, refCol int, d itemDefaults) (queuev1alpha1.WorkItemSpec, error) {
	payload := make(map[string]string, len(header))
	for i, name := range header {
		payload[name] = row[i]
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return queuev1alpha1.WorkItemSpec{}, err
	}
	spec := queuev1alpha1.WorkItemSpec{Queue: d.queue, Priority: d.priority, Payload: runtime.RawExtension{Raw: raw}}
	if refCol >= 0 {
		spec.Reference = row[refCol]
	}
	if spec.Reference == "" && d.referenceRequired {
		return queuev1alpha1.WorkItemSpec{}, fmt.Errorf("column %q, the reference, is empty", d.referenceField)
	}
	return spec, nil
}
