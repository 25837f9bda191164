package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
	"github.com/rpa-operator/rpa-operator/controllers/schedule"
	"github.com/rpa-operator/rpa-operator/internal/console/kube"
	"github.com/rpa-operator/rpa-operator/internal/console/session"
	"github.com/rpa-operator/rpa-operator/internal/robotcalendars"
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
	// CanStart and CanSuspend say which controls to draw: kube-apiserver
	// decides again when the user acts.
	CanStart, CanSuspend bool
	// FormError is the message key of what was wrong with the start form,
	// Missing the parameters it lacked, Values what the user typed.
	FormError string
	Missing   []string
	Values    map[string]string
}

// RunRow is a run as the robot page lists it.
type RunRow struct {
	Name, Trigger, RequestedBy, Reason string
	Phase                              rpav1alpha1.RunPhase
	Created                            time.Time
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
	var runs rpav1alpha1.RobotRunList
	if err := users.Kube.List(ctx, &runs, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	data := &robotData{Robot: robot, Row: robotRow(robot), Runs: runRows(runs.Items, name)}
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

// runRows are the robot's newest runs.
func runRows(runs []rpav1alpha1.RobotRun, robot string) []RunRow {
	rows := make([]RunRow, 0, len(runs))
	for i := range runs {
		run := &runs[i]
		if run.Spec.RobotName != robot {
			continue
		}
		row := RunRow{Name: run.Name, Trigger: string(run.Spec.Trigger.Type), Phase: run.Status.Phase, Created: run.CreationTimestamp.Time}
		if run.Spec.RequestedBy != nil {
			row.RequestedBy = run.Spec.RequestedBy.Username
		}
		if c := findSucceeded(run); c != nil {
			row.Reason = c.Reason
		}
		rows = append(rows, row)
	}
	slices.SortFunc(rows, func(a, b RunRow) int { return b.Created.Compare(a.Created) })
	return rows[:min(len(rows), recentRuns)]
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
