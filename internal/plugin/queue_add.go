package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/workqueue/itemfile"
)

// Formats of `queue add`'s input and of `audit`'s output: those
// internal/workqueue/itemfile reads.
const (
	formatCSV   = itemfile.FormatCSV
	formatJSONL = itemfile.FormatJSONLines
)

// Values of --dry-run, as kubectl's; a client-side dry run could not
// check what the server checks, so there is none.
const (
	dryRunNone   = "none"
	dryRunServer = "server"
)

// defaultReferenceField is the payload field or CSV column that gives an
// item's reference when --reference-field is not set, if there is one.
const defaultReferenceField = itemfile.DefaultReferenceField

// utf8BOM is skipped at the start of the files the commands read.
var utf8BOM = itemfile.UTF8BOM

// addOptions are the flags of `queue add`.
type addOptions struct {
	file, format string
	dryRun       string
	// defaults' ReferenceRequired is set when --reference-field is given.
	defaults itemfile.Defaults
}

func newQueueAddCommand(connect connectFunc) *cobra.Command {
	opts := addOptions{}
	cmd := &cobra.Command{
		Use:   "add QUEUE -f FILE|- [--format csv|jsonl] [--reference-field NAME] [--priority N] [--dry-run=server]",
		Short: "Add an item to a work queue for every line of a CSV or JSON-lines file",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.defaults.Queue = args[0]
			opts.defaults.ReferenceRequired = cmd.Flags().Changed("reference-field")
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
	cmd.Flags().StringVar(&opts.defaults.ReferenceField, "reference-field", defaultReferenceField,
		"the payload field (CSV column) that is the item's reference")
	cmd.Flags().Int32Var(&opts.defaults.Priority, "priority", 0, "priority of every item whose line gives none (higher is taken first)")
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
	if format := itemfile.FormatOfName(file); format != "" {
		return format, nil
	}
	return "", fmt.Errorf("-f %s: cannot tell the format from the file's name; give --format csv or --format jsonl", file)
}

// runQueueAdd adds the file's items one request at a time, in the file's
// order, and reports every line that did not add a new item.
func runQueueAdd(ctx context.Context, env *Env, stdin io.Reader, opts addOptions) error {
	if err := checkWorkQueue(ctx, env, opts.defaults.Queue); err != nil {
		return err
	}
	in, name, closeInput, err := openInput(opts.file, stdin)
	if err != nil {
		return err
	}
	defer closeInput()
	src, err := itemfile.NewSource(opts.format, in, opts.defaults)
	if err != nil {
		return fmt.Errorf("%s: %w", name, sourceError(err))
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
		tally.Count(res)
		if msg := addReportLine(res); msg != "" {
			fmt.Fprintln(env.Out, msg)
		}
		if stop != nil {
			tally.stoppedAt = line.Number
			fmt.Fprintln(env.Out, tally.summary(dryRun))
			return stop
		}
	}
	fmt.Fprintln(env.Out, tally.summary(dryRun))
	if tally.Refused > 0 {
		return fmt.Errorf("%d of %d lines refused", tally.Refused, tally.lines())
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
func addLine(ctx context.Context, env *Env, line itemfile.Line, dryRun bool) (itemfile.Answer, error) {
	if line.Err != nil {
		return itemfile.Unread(line), nil
	}
	got, err := createItem(ctx, env, line.Spec, dryRun)
	err = workItemsError(err)
	res := itemfile.AnswerOf(line.Number, line.Spec.Reference, got, err)
	if res.Outcome == itemfile.Refused && res.Message == "" {
		res.Message = err.Error() // no answer from the API: the connection's error
	}
	var unreachable *errWorkItemsAPI
	switch {
	case ctx.Err() != nil && err != nil:
		res.Message = "interrupted before the answer came: the item may have been added"
		return res, fmt.Errorf("interrupted at line %d", line.Number)
	case errors.As(err, &unreachable):
		return res, err
	case apierrors.IsUnauthorized(err), apierrors.IsForbidden(err), apierrors.IsNotFound(err):
		return res, fmt.Errorf("stopped at line %d: %s", line.Number, apiMessage(err))
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

// addReportLine is the report's line for a line that did not add a new
// item; "" for one that did. The text is the robot's or person's (the
// reference) and the API's: made safe to print.
func addReportLine(r itemfile.Answer) string {
	switch r.Outcome {
	case itemfile.Refused:
		return fmt.Sprintf("line %d: %s", r.Line, oneLine(r.Message))
	case itemfile.Existing:
		state := r.State
		if state == "" {
			state = "deleted by retention"
		}
		return fmt.Sprintf("line %d: reference %s exists as item %s (%s)", r.Line, oneLine(r.Reference), orDash(r.ID), state)
	}
	return ""
}

// addTally counts the lines' outcomes for the summary.
type addTally struct {
	itemfile.Tally
	// stoppedAt is the line after which nothing was sent, or 0.
	stoppedAt int
}

func (t *addTally) lines() int { return t.Added + t.Existing + t.Refused }

// summary is the report's last line. A dry run adds nothing and, since
// the server does not look up references then, finds nothing existing.
func (t *addTally) summary(dryRun bool) string {
	s := fmt.Sprintf("added %d, existing %d, refused %d", t.Added, t.Existing, t.Refused)
	if dryRun {
		s = fmt.Sprintf("would add %d, refused %d (dry run: nothing was added, and references were not looked up)", t.Added, t.Refused)
	}
	if t.stoppedAt > 0 {
		s += fmt.Sprintf("; stopped at line %d, the lines after it were not sent", t.stoppedAt)
	}
	return s
}

// sourceError says a file's problem in the command's terms: the reference
// column is the one --reference-field named.
func sourceError(err error) error {
	var noColumn *itemfile.NoReferenceColumnError
	if errors.As(err, &noColumn) {
		return fmt.Errorf("--reference-field %s: the CSV header has no such column (it has %s)", noColumn.Field, noColumn.Columns())
	}
	return err
}
