package console

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"sigs.k8s.io/controller-runtime/pkg/client"

	recordsv1alpha1 "github.com/rpa-operator/rpa-operator/api/records/v1alpha1"
	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
	"github.com/rpa-operator/rpa-operator/controllers/schedule"
	"github.com/rpa-operator/rpa-operator/internal/apipages"
	"github.com/rpa-operator/rpa-operator/internal/console/kube"
	"github.com/rpa-operator/rpa-operator/internal/console/session"
	"github.com/rpa-operator/rpa-operator/internal/robotcalendars"
	"github.com/rpa-operator/rpa-operator/internal/runhistory"
)

// AnnotationSuspendReason is why a Robot was suspended or resumed, as the
// person wrote it in the console (their words: shown escaped). Who did it
// is stamped by the admission policy rpa-robot-suspender.
const AnnotationSuspendReason = "rpa.dev/suspend-reason"

// maxReasonBytes bounds a suspension's reason.
const maxReasonBytes = 512

// truncateRunes cuts s to at most n bytes without splitting a character
// (æ, ø and å are two bytes each).
func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// recentRuns is how many of a robot's runs its page lists.
const recentRuns = 20

// argumentField prefixes a parameter's form field.
const argumentField = "arg."

// robotData is the robot page's.
type robotData struct {
	Robot *rpav1alpha1.Robot
	Row   RobotRow
	Runs  []RunRow
	// Next are the robot's next times over all its schedules; Problems the
	// schedules that start none, and why.
	Next     []NextTime
	Problems []ScheduleProblem
	// RecordsNote is the message key of why the recorded runs are not
	// listed, when they are not.
	RecordsNote string
	// CanStart and CanSuspend say which controls to draw: kube-apiserver
	// decides again when the user acts.
	CanStart, CanSuspend bool
	// FormError is the message key of what was wrong with the start form,
	// Missing the parameters it lacked, Values what the user typed.
	FormError string
	Missing   []string
	Values    map[string]string
}

// RunRow is a run as the robot page lists it: one the cluster has, or one
// only the run records keep.
type RunRow struct {
	Name, Trigger, RequestedBy, Reason string
	Phase                              rpav1alpha1.RunPhase
	Created                            time.Time
	// Items is how many items the robot says it processed, if it says;
	// Duration how long it ran, once it has.
	Items    *int64
	Duration string
	// Kept is the message key of where the run is kept: the cluster, the
	// run records, or both.
	Kept string
}

// robotPath is a robot page's path.
func robotPath(namespace, name string) string {
	return "/namespaces/" + namespace + "/robots/" + name
}

func (s *Server) robotPage(w http.ResponseWriter, r *http.Request, sess session.Session, users *kube.Clients) {
	data, err := s.loadRobot(r, users)
	if err != nil {
		s.clusterFailure(w, r, sess, err)
		return
	}
	s.render(w, r, http.StatusOK, "robot", sess.Lang, sess.CSRF, data)
}

// loadRobot reads, as the user, the robot of the request's path, its
// recent runs and what the user may do with it.
func (s *Server) loadRobot(r *http.Request, users *kube.Clients) (*robotData, error) {
	ctx := r.Context()
	ns, name := r.PathValue("namespace"), r.PathValue("robot")
	robot := &rpav1alpha1.Robot{}
	if err := users.Kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, robot); err != nil {
		return nil, err
	}
	data := &robotData{Robot: robot, Row: robotRow(robot, s.Clock.Now())}
	var err error
	if data.Runs, data.RecordsNote, err = robotHistory(ctx, users, ns, name); err != nil {
		return nil, err
	}
	calendars, err := robotcalendars.Read(ctx, users.Kube, robot)
	if err != nil {
		return nil, err
	}
	data.Next, data.Problems = mergeNextTimes(schedule.RobotUpcoming(robot, calendars, s.Clock.Now(), nextTimesShown), nextTimesShown)
	if data.CanStart, err = users.Can(ctx, ns, "create", rpav1alpha1.GroupVersion.Group, "robotruns", ""); err != nil {
		return nil, err
	}
	if data.CanSuspend, err = users.Can(ctx, ns, "patch", rpav1alpha1.GroupVersion.Group, "robots", ""); err != nil {
		return nil, err
	}
	return data, nil
}

// robotHistory is the robot's newest runs: those the cluster has and the
// recorded ones it has pruned. When the user may not read the run records,
// or rpa-server does not answer, the page lists the cluster's runs and
// note (a message key) says why the rest is missing.
func robotHistory(ctx context.Context, users *kube.Clients, ns, robot string) (rows []RunRow, note string, err error) {
	runs, err := runhistory.ListRuns(ctx, users.Kube, ns, robot)
	if err != nil {
		return nil, "", err
	}
	entries := runhistory.Live(runs.Items)
	records, err := apipages.All(ctx, users.Records, ns, "runrecords",
		fields.OneTermEqualSelector(runhistory.RobotNameField, robot).String(), recentRuns,
		func() *recordsv1alpha1.RunRecordList { return &recordsv1alpha1.RunRecordList{} },
		func(l *recordsv1alpha1.RunRecordList) ([]recordsv1alpha1.RunRecord, string) {
			return l.Items, l.Continue
		})
	switch {
	case err == nil:
		entries = runhistory.Merge(entries, records)
	case apierrors.IsForbidden(err):
		note = "robot.recordsForbidden"
	case apierrors.IsNotFound(err), apierrors.IsServiceUnavailable(err), apierrors.IsTimeout(err):
		note = "robot.recordsUnavailable"
	default:
		return nil, "", err
	}
	for _, e := range entries[:min(len(entries), recentRuns)] {
		rows = append(rows, runRowOf(e))
	}
	return rows, note, nil
}

func runRowOf(e runhistory.Entry) RunRow {
	if e.Run == nil {
		return recordRowOf(e.Record)
	}
	run := e.Run
	row := RunRow{Name: run.Name, Trigger: string(run.Spec.Trigger.Type), Phase: run.Status.Phase, Created: run.CreationTimestamp.Time,
		Duration: run.Status.Duration, Kept: "kept.run"}
	if e.Recorded {
		row.Kept = "kept.both"
	}
	if run.Spec.RequestedBy != nil {
		row.RequestedBy = run.Spec.RequestedBy.Username
	}
	if c := findSucceeded(run); c != nil {
		row.Reason = c.Reason
	}
	if r := run.Status.Result; r != nil {
		row.Items = r.ItemsProcessed
	}
	return row
}

func recordRowOf(r *recordsv1alpha1.RunRecord) RunRow {
	row := RunRow{Name: r.Name, Trigger: r.Spec.Trigger.Type, RequestedBy: r.Spec.RequestedBy, Reason: r.Status.Reason,
		Phase: rpav1alpha1.RunPhase(r.Status.Phase), Created: r.CreationTimestamp.Time, Kept: "kept.record"}
	if n, ok := runhistory.RecordedItems(r); ok {
		row.Items = &n
	}
	row.Duration = runhistory.RecordedDuration(r)
	return row
}

func findSucceeded(run *rpav1alpha1.RobotRun) *metav1.Condition {
	for i := range run.Status.Conditions {
		if run.Status.Conditions[i].Type == rpav1alpha1.ConditionSucceeded {
			return &run.Status.Conditions[i]
		}
	}
	return nil
}

// startRun creates a manual run as the user, with the form's arguments,
// checked against the robot's parameters first so that a mistake is told
// on the form and not as a failed run.
func (s *Server) startRun(w http.ResponseWriter, r *http.Request, sess session.Session, users *kube.Clients) {
	ns, name := r.PathValue("namespace"), r.PathValue("robot")
	robot := &rpav1alpha1.Robot{}
	if err := users.Kube.Get(r.Context(), client.ObjectKey{Namespace: ns, Name: name}, robot); err != nil {
		s.clusterFailure(w, r, sess, err)
		return
	}
	args := argumentsOf(r, robot.Spec.Parameters)
	if _, err := jobs.ResolveArguments(robot.Spec.Parameters, args); err != nil {
		s.refuseStartForm(w, r, sess, users, args, err)
		return
	}
	run := &rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: name + "-console-"},
		Spec:       rpav1alpha1.RobotRunSpec{RobotName: name, Arguments: args},
	}
	if err := users.Kube.Create(r.Context(), run); err != nil {
		s.clusterFailure(w, r, sess, err)
		return
	}
	http.Redirect(w, r, robotPath(ns, name), http.StatusSeeOther)
}

// refuseStartForm shows the robot page again with what the form lacked
// and what was typed.
func (s *Server) refuseStartForm(w http.ResponseWriter, r *http.Request, sess session.Session, users *kube.Clients,
	args map[string]string, cause error) {
	data, err := s.loadRobot(r, users)
	if err != nil {
		s.clusterFailure(w, r, sess, err)
		return
	}
	var invalid *jobs.InvalidArgumentsError
	if errors.As(cause, &invalid) {
		data.FormError, data.Missing = "robot.missingArguments", invalid.Missing
	}
	data.Values = args
	s.render(w, r, http.StatusBadRequest, "robot", sess.Lang, sess.CSRF, data)
}

// argumentsOf reads the form's values of the robot's parameters; a field
// left empty is not an argument, so the parameter's default applies.
func argumentsOf(r *http.Request, params []rpav1alpha1.Parameter) map[string]string {
	args := map[string]string{}
	for _, p := range params {
		if v := strings.TrimSpace(r.PostFormValue(argumentField + p.Name)); v != "" {
			args[p.Name] = v
		}
	}
	if len(args) == 0 {
		return nil
	}
	return args
}

// setSuspend suspends or resumes the robot as the user; the admission
// policy stamps who did.
func (s *Server) setSuspend(w http.ResponseWriter, r *http.Request, sess session.Session, users *kube.Clients) {
	ns, name := r.PathValue("namespace"), r.PathValue("robot")
	suspend := r.PostFormValue("suspend") == "true"
	reason := truncateRunes(strings.TrimSpace(r.PostFormValue("reason")), maxReasonBytes)
	robot := &rpav1alpha1.Robot{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"annotations": map[string]any{AnnotationSuspendReason: nullIfEmpty(reason)}},
		"spec":     map[string]any{"suspend": suspend},
	})
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "error.cluster", sess.Lang, sess.CSRF)
		return
	}
	if err := users.Kube.Patch(r.Context(), robot, client.RawPatch("application/merge-patch+json", patch)); err != nil {
		s.clusterFailure(w, r, sess, err)
		return
	}
	http.Redirect(w, r, robotPath(ns, name), http.StatusSeeOther)
}
