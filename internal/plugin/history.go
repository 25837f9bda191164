package plugin

import (
	"context"
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

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

func newHistoryCommand(connect connectFunc) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "history ROBOT [-o json|yaml]",
		Short: "List a robot's runs, newest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			env, err := connect()
			if err != nil {
				return err
			}
			return runHistory(cmd.Context(), env, args[0], output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "json or yaml: print the RobotRunList")
	return cmd
}

func runHistory(ctx context.Context, env *Env, name string, output string) error {
	if _, err := getRobot(ctx, env, name); err != nil {
		return err
	}
	runs, err := robotRuns(ctx, env, name)
	if err != nil {
		return err
	}
	if output != outputTable {
		return printObject(env.Out, output, runs)
	}
	return writeHistory(env.Out, runs.Items, env.Clock.Now())
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

// historyRow is one line of the history table.
func historyRow(run *rpav1alpha1.RobotRun, now time.Time) []string {
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
	return []string{run.Name, string(run.Spec.Trigger.Type), orDash(string(run.Status.Phase)),
		orDash(runReason(run)), orDash(strings.Join(run.Status.WaitingFor, ",")), items, started, dur}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// writeHistory prints the runs as a kubectl-style table.
func writeHistory(w io.Writer, runs []rpav1alpha1.RobotRun, now time.Time) error {
	tw := printers.GetNewTabWriter(w)
	fmt.Fprintln(tw, "NAME\tTRIGGER\tPHASE\tREASON\tWAITING FOR\tITEMS\tSTARTED\tDURATION")
	for i := range runs {
		row := historyRow(&runs[i], now)
		for j, cell := range row {
			if j > 0 {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprint(tw, terminalSafe(cell))
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}
