package plugin

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/rpa-operator/rpa-operator/internal/auditexport"

	recordsv1alpha1 "github.com/rpa-operator/rpa-operator/api/records/v1alpha1"
	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

func newUsageCommand(connect connectFunc) *cobra.Command {
	var month, zone string
	cmd := &cobra.Command{
		Use:   "usage --month YYYY-MM",
		Short: "A month's use of the namespace's robots, per robot, as CSV: runs by outcome, robot-minutes, items, business exceptions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := monthPeriod(month, zone)
			if err != nil {
				return err
			}
			env, err := connect()
			if err != nil {
				return err
			}
			records, err := periodRecords(cmd.Context(), env, p)
			if err != nil {
				return err
			}
			return writeUsage(env.Out, env.Namespace, month, usageOf(records))
		},
	}
	cmd.Flags().StringVar(&month, "month", "", "the month, as 2026-11")
	cmd.Flags().StringVar(&zone, "time-zone", "Local", "time zone the month begins and ends in, for example Europe/Copenhagen")
	return cmd
}

// monthPeriod is the month's span in the time zone.
func monthPeriod(month, zone string) (period, error) {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return period{}, fmt.Errorf("--time-zone %q: %w", zone, err)
	}
	start, err := time.ParseInLocation("2006-01", month, loc)
	if err != nil {
		return period{}, fmt.Errorf("--month %q: give a month as 2026-11", month)
	}
	return period{from: start, before: start.AddDate(0, 1, 0)}, nil
}

// robotUsage is one robot's month.
type robotUsage struct {
	robot                              string
	runs, succeeded, failed, timedOut  int
	cancelled                          int
	robotSeconds                       float64
	itemsProcessed, businessExceptions int64
}

// usageOf sums the records per robot: robot-minutes are the runs' time
// from their pod's start to their end, retries included.
func usageOf(records []recordsv1alpha1.RunRecord) []robotUsage {
	byRobot := map[string]*robotUsage{}
	for i := range records {
		r := &records[i]
		u := byRobot[r.Spec.RobotName]
		if u == nil {
			u = &robotUsage{robot: r.Spec.RobotName}
			byRobot[r.Spec.RobotName] = u
		}
		u.runs++
		switch rpav1alpha1.RunPhase(r.Status.Phase) {
		case rpav1alpha1.PhaseSucceeded:
			u.succeeded++
		case rpav1alpha1.PhaseFailed:
			u.failed++
		case rpav1alpha1.PhaseTimedOut:
			u.timedOut++
		case rpav1alpha1.PhaseCancelled:
			u.cancelled++
		}
		if r.Status.StartTime != nil {
			u.robotSeconds += r.Status.CompletionTime.Sub(r.Status.StartTime.Time).Seconds()
		}
		if r.Status.Result != nil {
			var result rpav1alpha1.RunResult
			if json.Unmarshal(r.Status.Result.Raw, &result) == nil {
				u.itemsProcessed += deref(result.ItemsProcessed)
				u.businessExceptions += deref(result.BusinessExceptions)
			}
		}
	}
	out := make([]robotUsage, 0, len(byRobot))
	for _, u := range byRobot {
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].robot < out[j].robot })
	return out
}

func deref(n *int64) int64 {
	if n == nil {
		return 0
	}
	return *n
}

var usageHeader = []string{"month", auditexport.ColumnNamespace, auditexport.ColumnRobot, "runs", "succeeded", "failed", "timed_out", "cancelled",
	"robot_minutes", "items_processed", "business_exceptions"}

func writeUsage(w io.Writer, namespace, month string, usage []robotUsage) error {
	rows := make([][]string, 0, len(usage))
	for _, u := range usage {
		rows = append(rows, []string{month, namespace, u.robot, strconv.Itoa(u.runs), strconv.Itoa(u.succeeded), strconv.Itoa(u.failed),
			strconv.Itoa(u.timedOut), strconv.Itoa(u.cancelled), strconv.FormatFloat(u.robotSeconds/60, 'f', 1, 64),
			strconv.FormatInt(u.itemsProcessed, 10), strconv.FormatInt(u.businessExceptions, 10)})
	}
	return auditexport.CSV(w, usageHeader, rows)
}
