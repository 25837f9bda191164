package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/cli-runtime/pkg/printers"
	"sigs.k8s.io/controller-runtime/pkg/client"

	recordsv1alpha1 "github.com/rpa-operator/rpa-operator/api/records/v1alpha1"
	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

func newHistoryCommand(connect connectFunc) *cobra.Command {
	var output string
	var limit int
	cmd := &cobra.Command{
		Use:   "history ROBOT [--limit N] [-o json|yaml]",
		Short: "List a robot's runs, newest first: those the cluster has and, from the run records, those pruned",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			env, err := connect()
			if err != nil {
				return err
			}
			return runHistory(cmd.Context(), env, args[0], output, limit)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "json or yaml: print the RobotRunList (the runs the cluster has; kubectl get runrecords for the records)")
	cmd.Flags().IntVar(&limit, "limit", defaultHistoryLimit, "print at most this many runs, newest first; 0 prints all")
	return cmd
}

// defaultHistoryLimit keeps a year of a robot's runs off the screen.
const defaultHistoryLimit = 50

func runHistory(ctx context.Context, env *Env, name string, output string, limit int) error {
	_, robotErr := getRobot(ctx, env, name)
	if robotErr != nil && output != outputTable {
		return robotErr
	}
	runs, err := robotRuns(ctx, env, name)
	if err != nil {
		return err
	}
	if output != outputTable {
		return printObject(env.Out, output, runs)
	}
	rows := liveRows(runs.Items)
	records, err := robotRecords(ctx, env, name, limit)
	switch {
	case errors.Is(err, errNoRecords):
		fmt.Fprintf(env.ErrOut, "%v; showing the runs the cluster still has\n", err)
	case err != nil:
		return err
	default:
		rows = mergeRecords(rows, records)
	}
	if robotErr != nil && len(rows) == 0 {
		return robotErr
	}
	if robotErr != nil {
		fmt.Fprintf(env.ErrOut, "robot %q no longer exists; its recorded runs:\n", name)
	}
	if limit > 0 && len(rows) > limit {
		fmt.Fprintf(env.ErrOut, "showing the newest %d runs; --limit 0 shows all\n", limit)
		rows = rows[:limit]
	}
	return writeHistory(env.Out, rows, env.Clock.Now())
}

// robotRuns lists the robot's runs, newest first. Runs are selected by
// spec.robotName rather than by the rpa.dev/robot label: runs created with
// kubectl create or by other systems need not carry the label, and the CRD
// declares no selectable field, so the namespace's runs are filtered here.
func robotRuns(ctx context.Context, env *Env, robot string) (*rpav1alpha1.RobotRunList, error) {
	var all rpav1alpha1.RobotRunList
	if err := env.Client.List(ctx, &all, client.InNamespace(env.Namespace)); err != nil {
		return nil, fmt.Errorf("list robotruns in namespace %s: %w", env.Namespace, err)
	}
	out := &rpav1alpha1.RobotRunList{ListMeta: all.ListMeta}
	out.APIVersion, out.Kind = rpav1alpha1.GroupVersion.String(), "RobotRunList"
	for _, run := range all.Items {
		if run.Spec.RobotName == robot {
			run.APIVersion, run.Kind = rpav1alpha1.GroupVersion.String(), "RobotRun"
			out.Items = append(out.Items, run)
		}
	}
	sortNewestFirst(out.Items)
	return out, nil
}

// sortNewestFirst orders runs by creation, newest first; the name breaks
// ties within a second so the order is stable from one call to the next.
func sortNewestFirst(runs []rpav1alpha1.RobotRun) {
	sort.SliceStable(runs, func(i, j int) bool {
		a, b := runs[i].CreationTimestamp, runs[j].CreationTimestamp
		if !a.Equal(&b) {
			return b.Before(&a)
		}
		return runs[i].Name > runs[j].Name
	})
}

// historyEntry is a run of the history: one the cluster has, or one only
// the run records keep (pruned).
type historyEntry struct {
	run    *rpav1alpha1.RobotRun
	record *recordsv1alpha1.RunRecord
	// recorded is true for a live run whose record exists.
	recorded bool
}

func (e historyEntry) created() time.Time {
	if e.run != nil {
		return e.run.CreationTimestamp.Time
	}
	return e.record.CreationTimestamp.Time
}

func (e historyEntry) name() string {
	if e.run != nil {
		return e.run.Name
	}
	return e.record.Name
}

func liveRows(runs []rpav1alpha1.RobotRun) []historyEntry {
	rows := make([]historyEntry, 0, len(runs))
	for i := range runs {
		rows = append(rows, historyEntry{run: &runs[i]})
	}
	return rows
}

// mergeRecords adds the records of runs the cluster no longer has and
// marks the live runs that are recorded, newest first.
func mergeRecords(rows []historyEntry, records []recordsv1alpha1.RunRecord) []historyEntry {
	live := map[string]int{}
	for i, r := range rows {
		live[string(r.run.UID)] = i
	}
	for i := range records {
		if at, ok := live[string(records[i].UID)]; ok {
			rows[at].recorded = true
			continue
		}
		rows = append(rows, historyEntry{record: &records[i]})
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i].created(), rows[j].created()
		if !a.Equal(b) {
			return a.After(b)
		}
		return rows[i].name() > rows[j].name()
	})
	return rows
}

// historyRow is one line of the history table.
func historyRow(e historyEntry, now time.Time) []string {
	if e.run == nil {
		return recordRow(e.record, now)
	}
	run := e.run
	items, started, dur := "-", "-", "-"
	if r := run.Status.Result; r != nil && r.ItemsProcessed != nil {
		items = strconv.FormatInt(*r.ItemsProcessed, 10)
	}
	if run.Status.StartTime != nil {
		started = duration.HumanDuration(now.Sub(run.Status.StartTime.Time)) + " ago"
	}
	if run.Status.Duration != "" {
		dur = run.Status.Duration
	}
	kept := "run"
	if e.recorded {
		kept = "run, record"
	}
	return []string{run.Name, string(run.Spec.Trigger.Type), orDash(string(run.Status.Phase)),
		orDash(runReason(run)), orDash(requester(run.Spec.RequestedBy)), orDash(strings.Join(run.Status.WaitingFor, ",")),
		items, started, dur, kept}
}

// recordRow is the line of a run only the records keep.
func recordRow(r *recordsv1alpha1.RunRecord, now time.Time) []string {
	items, started, dur := "-", "-", "-"
	if r.Status.Result != nil {
		var result rpav1alpha1.RunResult
		if json.Unmarshal(r.Status.Result.Raw, &result) == nil && result.ItemsProcessed != nil {
			items = strconv.FormatInt(*result.ItemsProcessed, 10)
		}
	}
	if r.Status.StartTime != nil {
		started = duration.HumanDuration(now.Sub(r.Status.StartTime.Time)) + " ago"
		dur = r.Status.CompletionTime.Sub(r.Status.StartTime.Time).Round(time.Second).String()
	}
	return []string{r.Name, r.Spec.Trigger.Type, orDash(r.Status.Phase), orDash(r.Status.Reason), orDash(r.Spec.RequestedBy), "-",
		items, started, dur, "record"}
}

func requester(r *rpav1alpha1.RunRequester) string {
	if r == nil {
		return ""
	}
	return r.Username
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// writeHistory prints the runs as a kubectl-style table. KEPT says where
// a run is: in the cluster (run), in the run records (record), or both.
func writeHistory(w io.Writer, rows []historyEntry, now time.Time) error {
	tw := printers.GetNewTabWriter(w)
	fmt.Fprintln(tw, "NAME\tTRIGGER\tPHASE\tREASON\tREQUESTED BY\tWAITING FOR\tITEMS\tSTARTED\tDURATION\tKEPT")
	for _, e := range rows {
		for j, cell := range historyRow(e, now) {
			if j > 0 {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprint(tw, terminalSafe(cell))
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}
