package plugin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/rpa-operator/rpa-operator/internal/auditexport"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	recordsv1alpha1 "github.com/rpa-operator/rpa-operator/api/records/v1alpha1"
)

// period is a span of finish times: from inclusive, before exclusive.
type period struct{ from, before time.Time }

// parsePeriod reads --from and --before as dates in the time zone, or
// RFC 3339 times.
func parsePeriod(from, before, zone string) (period, error) {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return period{}, fmt.Errorf("--time-zone %q: %w", zone, err)
	}
	var p period
	for _, f := range []struct {
		flag, value string
		into        *time.Time
	}{{"--from", from, &p.from}, {"--before", before, &p.before}} {
		if f.value == "" {
			return period{}, fmt.Errorf("%s is required: a date (2026-11-01) or an RFC 3339 time", f.flag)
		}
		if *f.into, err = parseInstant(f.value, loc); err != nil {
			return period{}, fmt.Errorf("%s %q: give a date (2026-11-01) or an RFC 3339 time (2026-11-01T00:00:00+01:00)", f.flag, f.value)
		}
	}
	if !p.before.After(p.from) {
		return period{}, errors.New("--before must be after --from")
	}
	return p, nil
}

func parseInstant(value string, loc *time.Location) (time.Time, error) {
	if t, err := time.ParseInLocation(time.DateOnly, value, loc); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, value)
}

// periodRecords lists the namespace's records of runs that finished in
// the period, newest first.
func periodRecords(ctx context.Context, env *Env, p period) ([]recordsv1alpha1.RunRecord, error) {
	return listAll(ctx, env.Records, recordsError, env.Namespace, "runrecords", periodSelector(p), 0,
		func() *recordsv1alpha1.RunRecordList { return &recordsv1alpha1.RunRecordList{} },
		func(l *recordsv1alpha1.RunRecordList) ([]recordsv1alpha1.RunRecord, string) {
			return l.Items, l.Continue
		})
}

func periodSelector(p period) string {
	return fields.Set{"from": p.from.Format(time.RFC3339), "before": p.before.Format(time.RFC3339)}.AsSelector().String()
}

func newAuditCommand(connect connectFunc) *cobra.Command {
	var from, before, zone, format string
	var changes, decisions bool
	cmd := &cobra.Command{
		Use: "audit --from DATE --before DATE [--changes|--decisions] [-o csv|jsonl]",
		Short: "Export the namespace's run records of a period for supervision: every run with who requested it, its account and " +
			"image digest; with --changes, every suspension and resumption of its robots; with --decisions, every retry and handling of a work item",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != formatCSV && format != formatJSONL {
				return fmt.Errorf("-o %q: use csv or jsonl", format)
			}
			p, err := parsePeriod(from, before, zone)
			if err != nil {
				return err
			}
			env, err := connect()
			if err != nil {
				return err
			}
			if changes && decisions {
				return errors.New("--changes and --decisions are two exports: give one")
			}
			if decisions {
				list, err := periodDecisions(cmd.Context(), env, p)
				if err != nil {
					return err
				}
				return auditexport.Decisions(env.Out, format, list)
			}
			if changes {
				list, err := periodChanges(cmd.Context(), env, p)
				if err != nil {
					return err
				}
				return auditexport.Changes(env.Out, format, list)
			}
			records, err := periodRecords(cmd.Context(), env, p)
			if err != nil {
				return err
			}
			return auditexport.Runs(env.Out, format, records)
		},
	}
	addPeriodFlags(cmd, &from, &before, &zone)
	cmd.Flags().StringVarP(&format, "output", "o", formatCSV, "csv or jsonl (JSON lines)")
	cmd.Flags().BoolVar(&changes, "changes", false, "export the robots' suspensions and resumptions instead of the runs")
	cmd.Flags().BoolVar(&decisions, "decisions", false, "export people's retries and handlings of work items instead of the runs")
	return cmd
}

// periodChanges lists the namespace's robot changes seen in the period,
// oldest first.
func periodChanges(ctx context.Context, env *Env, p period) ([]recordsv1alpha1.RobotChange, error) {
	return listAll(ctx, env.Records, recordsError, env.Namespace, "robotchanges", periodSelector(p), 0,
		func() *recordsv1alpha1.RobotChangeList { return &recordsv1alpha1.RobotChangeList{} },
		func(l *recordsv1alpha1.RobotChangeList) ([]recordsv1alpha1.RobotChange, string) {
			return l.Items, l.Continue
		})
}

func addPeriodFlags(cmd *cobra.Command, from, before, zone *string) {
	cmd.Flags().StringVar(from, "from", "", "first day (or RFC 3339 time) of the period, inclusive")
	cmd.Flags().StringVar(before, "before", "", "the day (or time) after the period, exclusive")
	cmd.Flags().StringVar(zone, "time-zone", "Local", "time zone of dates, for example Europe/Copenhagen")
}

// periodDecisions lists the namespace's work-item decisions made in the
// period, oldest first, from the work-item API.
func periodDecisions(ctx context.Context, env *Env, p period) ([]queuev1alpha1.ItemDecision, error) {
	return listAll(ctx, env.WorkItems, workItemsError, env.Namespace, "itemdecisions", periodSelector(p), 0,
		func() *queuev1alpha1.ItemDecisionList { return &queuev1alpha1.ItemDecisionList{} },
		func(l *queuev1alpha1.ItemDecisionList) ([]queuev1alpha1.ItemDecision, string) {
			return l.Items, l.Continue
		})
}
