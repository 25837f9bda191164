package plugin

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

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
	return "from=" + p.from.Format(time.RFC3339) + ",before=" + p.before.Format(time.RFC3339)
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
				return writeDecisions(env.Out, format, list)
			}
			if changes {
				list, err := periodChanges(cmd.Context(), env, p)
				if err != nil {
					return err
				}
				return writeChanges(env.Out, format, list)
			}
			records, err := periodRecords(cmd.Context(), env, p)
			if err != nil {
				return err
			}
			return writeAudit(env.Out, format, records)
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

// changeLine is one robot change of the export.
type changeLine struct {
	Seen       time.Time `json:"seen"`
	Namespace  string    `json:"namespace"`
	Robot      string    `json:"robot"`
	Action     string    `json:"action"`
	Actor      string    `json:"actor"`
	Generation int64     `json:"robotGeneration"`
}

func writeChanges(w io.Writer, format string, changes []recordsv1alpha1.RobotChange) error {
	lines := make([]changeLine, 0, len(changes))
	for _, c := range changes {
		lines = append(lines, changeLine{Seen: c.ObservedTime.UTC(), Namespace: c.Namespace, Robot: c.RobotName, Action: c.Action,
			Actor: c.Actor, Generation: c.RobotGeneration})
	}
	if format == formatJSONL {
		enc := json.NewEncoder(w)
		for _, l := range lines {
			if err := enc.Encode(l); err != nil {
				return err
			}
		}
		return nil
	}
	rows := make([][]string, 0, len(lines))
	for _, l := range lines {
		rows = append(rows, []string{l.Seen.Format(time.RFC3339), l.Namespace, l.Robot, l.Action, l.Actor, strconv.FormatInt(l.Generation, 10)})
	}
	return writeCSV(w, []string{"seen", columnNamespace, columnRobot, "action", "actor", "robot_generation"}, rows)
}

func addPeriodFlags(cmd *cobra.Command, from, before, zone *string) {
	cmd.Flags().StringVar(from, "from", "", "first day (or RFC 3339 time) of the period, inclusive")
	cmd.Flags().StringVar(before, "before", "", "the day (or time) after the period, exclusive")
	cmd.Flags().StringVar(zone, "time-zone", "Local", "time zone of dates, for example Europe/Copenhagen")
}

// auditLine is one run of the export. The result's summary is left out:
// it is the robot's own words, and the export goes to people's
// spreadsheets.
type auditLine struct {
	Finished    time.Time `json:"finished"`
	Namespace   string    `json:"namespace"`
	Robot       string    `json:"robot"`
	Run         string    `json:"run"`
	UID         string    `json:"uid"`
	Trigger     string    `json:"trigger"`
	Schedule    string    `json:"schedule,omitempty"`
	Queue       string    `json:"queue,omitempty"`
	RequestedBy string    `json:"requestedBy"`
	CancelledBy string    `json:"cancelledBy,omitempty"`
	Phase       string    `json:"phase"`
	Reason      string    `json:"reason"`
	Attempts    int32     `json:"attempts"`
	Image       string    `json:"image"`
	ImageID     string    `json:"imageID"`
	Accounts    []string  `json:"accounts"`
	Secrets     []string  `json:"secrets"`
	Systems     []string  `json:"systems"`
	WorkItems   int       `json:"workItems"`
}

func auditLineOf(r *recordsv1alpha1.RunRecord) auditLine {
	l := auditLine{
		Finished: r.Status.CompletionTime.UTC(), Namespace: r.Namespace, Robot: r.Spec.RobotName, Run: r.Name, UID: string(r.UID),
		Trigger: r.Spec.Trigger.Type, Schedule: r.Spec.Trigger.Schedule, Queue: r.Spec.Trigger.Queue,
		RequestedBy: r.Spec.RequestedBy, CancelledBy: r.Spec.CancelledBy, Phase: r.Status.Phase, Reason: r.Status.Reason,
		Attempts: r.Status.Attempts, Image: r.Status.Image, ImageID: r.Status.ImageID, Systems: r.Status.Systems,
		WorkItems: len(r.Status.WorkItems), Accounts: []string{}, Secrets: []string{},
	}
	for _, c := range r.Status.Credentials {
		l.Accounts = append(l.Accounts, c.Account)
		l.Secrets = append(l.Secrets, c.SecretName)
	}
	if l.Systems == nil {
		l.Systems = []string{}
	}
	return l
}

// Columns several exports have.
const (
	columnNamespace = "namespace"
	columnRobot     = "robot"
	columnQueue     = "queue"
)

var auditHeader = []string{"finished", columnNamespace, columnRobot, "run", "uid", "trigger", "schedule", columnQueue, "requested_by",
	"cancelled_by", "phase", "reason", "attempts", "image", "image_id", "accounts", "secrets", "systems", "work_items"}

func (l auditLine) cells() []string {
	return []string{l.Finished.Format(time.RFC3339), l.Namespace, l.Robot, l.Run, l.UID, l.Trigger, l.Schedule, l.Queue,
		l.RequestedBy, l.CancelledBy, l.Phase, l.Reason, strconv.Itoa(int(l.Attempts)), l.Image, l.ImageID,
		strings.Join(l.Accounts, ";"), strings.Join(l.Secrets, ";"), strings.Join(l.Systems, ";"), strconv.Itoa(l.WorkItems)}
}

// writeAudit writes the records oldest first, as a log is read.
func writeAudit(w io.Writer, format string, records []recordsv1alpha1.RunRecord) error {
	if format == formatJSONL {
		enc := json.NewEncoder(w)
		for i := len(records) - 1; i >= 0; i-- {
			if err := enc.Encode(auditLineOf(&records[i])); err != nil {
				return err
			}
		}
		return nil
	}
	rows := make([][]string, 0, len(records))
	for i := len(records) - 1; i >= 0; i-- {
		rows = append(rows, auditLineOf(&records[i]).cells())
	}
	return writeCSV(w, auditHeader, rows)
}

// writeCSV writes a spreadsheet-safe CSV: encoding/csv quotes, and a cell
// that a spreadsheet would read as a formula (=, +, -, @, tab, CR) gets a
// leading apostrophe, since user names and robot names come from others.
func writeCSV(w io.Writer, header []string, rows [][]string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, row := range rows {
		safe := make([]string, len(row))
		for i, cell := range row {
			safe[i] = spreadsheetSafe(cell)
		}
		if err := cw.Write(safe); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func spreadsheetSafe(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
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

// keptDecisionLine is one decision of the export.
type keptDecisionLine struct {
	Time          time.Time `json:"time"`
	Namespace     string    `json:"namespace"`
	Queue         string    `json:"queue"`
	Item          string    `json:"item"`
	Action        string    `json:"action"`
	Actor         string    `json:"actor"`
	From          string    `json:"from"`
	To            string    `json:"to"`
	PayloadEdited bool      `json:"payloadEdited"`
}

func writeDecisions(w io.Writer, format string, decisions []queuev1alpha1.ItemDecision) error {
	lines := make([]keptDecisionLine, 0, len(decisions))
	for _, d := range decisions {
		lines = append(lines, keptDecisionLine{Time: d.Time.UTC(), Namespace: d.Namespace, Queue: d.Queue, Item: d.Item, Action: d.Action,
			Actor: d.Actor, From: d.From, To: d.To, PayloadEdited: d.PayloadEdited})
	}
	if format == formatJSONL {
		enc := json.NewEncoder(w)
		for _, l := range lines {
			if err := enc.Encode(l); err != nil {
				return err
			}
		}
		return nil
	}
	rows := make([][]string, 0, len(lines))
	for _, l := range lines {
		rows = append(rows, []string{l.Time.Format(time.RFC3339), l.Namespace, l.Queue, l.Item, l.Action, l.Actor, l.From, l.To,
			strconv.FormatBool(l.PayloadEdited)})
	}
	return writeCSV(w, []string{"time", columnNamespace, columnQueue, "item", "action", "actor", "from", "to", "payload_edited"}, rows)
}
