// Package auditexport writes what supervision asks for (the run records,
// the robots' suspensions, people's decisions on work items) as CSV or
// JSON lines, oldest first, for `kubectl robot audit` and the console's
// audit page (docs/audit.md). A CSV cell a spreadsheet would read as a
// formula is defused.
package auditexport

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	recordsv1alpha1 "github.com/rpa-operator/rpa-operator/api/records/v1alpha1"
)

// Formats of an export.
const (
	FormatCSV   = "csv"
	FormatJSONL = "jsonl"
)

// changeLine is one robot change of the export.
type changeLine struct {
	Seen       time.Time `json:"seen"`
	Namespace  string    `json:"namespace"`
	Robot      string    `json:"robot"`
	Action     string    `json:"action"`
	Actor      string    `json:"actor"`
	Generation int64     `json:"robotGeneration"`
}

// Changes writes the robots' suspensions and resumptions.
func Changes(w io.Writer, format string, changes []recordsv1alpha1.RobotChange) error {
	lines := make([]changeLine, 0, len(changes))
	for _, c := range changes {
		lines = append(lines, changeLine{Seen: c.ObservedTime.UTC(), Namespace: c.Namespace, Robot: c.RobotName, Action: c.Action,
			Actor: c.Actor, Generation: c.RobotGeneration})
	}
	if format == FormatJSONL {
		return jsonLines(w, lines)
	}
	rows := make([][]string, 0, len(lines))
	for _, l := range lines {
		rows = append(rows, []string{l.Seen.Format(time.RFC3339), l.Namespace, l.Robot, l.Action, l.Actor, strconv.FormatInt(l.Generation, 10)})
	}
	return CSV(w, []string{"seen", ColumnNamespace, ColumnRobot, "action", "actor", "robot_generation"}, rows)
}

// RunLine is one run of the export. The result's summary is left out:
// it is the robot's own words, and the export goes to people's
// spreadsheets.
type RunLine struct {
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

func runLineOf(r *recordsv1alpha1.RunRecord) RunLine {
	l := RunLine{
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
	ColumnNamespace = "namespace"
	ColumnRobot     = "robot"
	ColumnQueue     = "queue"
)

// RunHeader is the header of the runs' CSV.
var RunHeader = []string{"finished", ColumnNamespace, ColumnRobot, "run", "uid", "trigger", "schedule", ColumnQueue, "requested_by",
	"cancelled_by", "phase", "reason", "attempts", "image", "image_id", "accounts", "secrets", "systems", "work_items"}

func (l RunLine) cells() []string {
	return []string{l.Finished.Format(time.RFC3339), l.Namespace, l.Robot, l.Run, l.UID, l.Trigger, l.Schedule, l.Queue,
		l.RequestedBy, l.CancelledBy, l.Phase, l.Reason, strconv.Itoa(int(l.Attempts)), l.Image, l.ImageID,
		strings.Join(l.Accounts, ";"), strings.Join(l.Secrets, ";"), strings.Join(l.Systems, ";"), strconv.Itoa(l.WorkItems)}
}

// Runs writes the records oldest first, as a log is read.
func Runs(w io.Writer, format string, records []recordsv1alpha1.RunRecord) error {
	lines := make([]RunLine, 0, len(records))
	for i := len(records) - 1; i >= 0; i-- {
		lines = append(lines, runLineOf(&records[i]))
	}
	if format == FormatJSONL {
		return jsonLines(w, lines)
	}
	rows := make([][]string, 0, len(lines))
	for _, l := range lines {
		rows = append(rows, l.cells())
	}
	return CSV(w, RunHeader, rows)
}

// CSV writes a spreadsheet-safe CSV: encoding/csv quotes, and a cell
// that a spreadsheet would read as a formula (=, +, -, @, tab, CR) gets a
// leading apostrophe, since user names and robot names come from others.
func CSV(w io.Writer, header []string, rows [][]string) error {
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

// Decisions writes people's retries and handlings of work items.
func Decisions(w io.Writer, format string, decisions []queuev1alpha1.ItemDecision) error {
	lines := make([]keptDecisionLine, 0, len(decisions))
	for _, d := range decisions {
		lines = append(lines, keptDecisionLine{Time: d.Time.UTC(), Namespace: d.Namespace, Queue: d.Queue, Item: d.Item, Action: d.Action,
			Actor: d.Actor, From: d.From, To: d.To, PayloadEdited: d.PayloadEdited})
	}
	if format == FormatJSONL {
		return jsonLines(w, lines)
	}
	rows := make([][]string, 0, len(lines))
	for _, l := range lines {
		rows = append(rows, []string{l.Time.Format(time.RFC3339), l.Namespace, l.Queue, l.Item, l.Action, l.Actor, l.From, l.To,
			strconv.FormatBool(l.PayloadEdited)})
	}
	return CSV(w, []string{"time", ColumnNamespace, ColumnQueue, "item", "action", "actor", "from", "to", "payload_edited"}, rows)
}

// jsonLines writes each line as one JSON object.
func jsonLines[T any](w io.Writer, lines []T) error {
	enc := json.NewEncoder(w)
	for _, l := range lines {
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	return nil
}
