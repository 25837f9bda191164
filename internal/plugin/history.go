package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/cli-runtime/pkg/printers"

	recordsv1alpha1 "github.com/rpa-operator/rpa-operator/api/records/v1alpha1"
	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/runhistory"
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
	rows := runhistory.Live(runs.Items)
	records, err := robotRecords(ctx, env, name, limit)
	switch {
	case errors.Is(err, errNoRecords):
		fmt.Fprintf(env.ErrOut, "%v; showing the runs the cluster still has\n", err)
	case err != nil:
		return err
	default:
		rows = runhistory.Merge(rows, records)
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

// robotRuns lists the robot's runs, newest first, as a RobotRunList for
// -o json|yaml. kube-apiserver selects them by spec.robotName (the CRD's
// selectable field), not by the rpa.dev/robot label: runs created with
// kubectl create or by other systems need not carry the label.
func robotRuns(ctx context.Context, env *Env, robot string) (*rpav1alpha1.RobotRunList, error) {
	runs, err := runhistory.ListRuns(ctx, env.Client, env.Namespace, robot)
	if err != nil {
		return nil, err
	}
	runs.APIVersion, runs.Kind = rpav1alpha1.GroupVersion.String(), "RobotRunList"
	for i := range runs.Items {
		runs.Items[i].APIVersion, runs.Items[i].Kind = rpav1alpha1.GroupVersion.String(), "RobotRun"
	}
	return runs, nil
}

// historyRow is one line of the history table.
func historyRow(e runhistory.Entry, now time.Time) []string {
	if e.Run == nil {
		return recordRow(e.Record, now)
	}
	run := e.Run
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
	if e.Recorded {
		kept = "run, record"
	}
	return []string{run.Name, string(run.Spec.Trigger.Type), orDash(string(run.Status.Phase)),
		orDash(runReason(run)), orDash(requester(run.Spec.RequestedBy)), orDash(strings.Join(run.Status.WaitingFor, ",")),
		items, started, dur, kept}
}

// recordRow is the line of a run only the records keep.
func recordRow(r *recordsv1alpha1.RunRecord, now time.Time) []string {
	items, started, dur := "-", "-", "-"
	if n, ok := runhistory.RecordedItems(r); ok {
		items = strconv.FormatInt(n, 10)
	}
	if r.Status.StartTime != nil {
		started = duration.HumanDuration(now.Sub(r.Status.StartTime.Time)) + " ago"
		dur = runhistory.RecordedDuration(r)
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
func writeHistory(w io.Writer, rows []runhistory.Entry, now time.Time) error {
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
