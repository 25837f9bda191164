package console

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/console/kube"
	"github.com/rpa-operator/rpa-operator/internal/console/session"
	"github.com/rpa-operator/rpa-operator/internal/runhistory"
)

// Need orders the overview: what needs a person first.
type Need int

// Needs, most urgent first.
const (
	NeedsPerson Need = iota
	NeedsWatching
	NeedsNothing
)

// RobotRow is a robot as the overview shows it: its health in words (a
// message key), never by colour alone.
type RobotRow struct {
	Namespace, Name string
	Need            Need
	// Health is the message key of what the robot's state means.
	Health string
	// Reason is the condition reason behind it, for the platform team.
	Reason     string
	LastRun    string
	LastPhase  rpav1alpha1.RunPhase
	LastEnded  *time.Time
	NextRun    *time.Time
	ActiveRuns int32
	// SuccessDue is when its schedules expected its next success; past
	// it, the success is overdue.
	SuccessDue *time.Time
	// FailuresToday counts its runs that failed or timed out since
	// midnight, among those the cluster keeps (failedRunsHistoryLimit).
	FailuresToday int
}

// robotRow reads a Robot's status at now.
func robotRow(r *rpav1alpha1.Robot, now time.Time) RobotRow {
	row := RobotRow{Namespace: r.Namespace, Name: r.Name, ActiveRuns: r.Status.ActiveRuns, NextRun: timeOf(r.Status.NextScheduleTime),
		SuccessDue: timeOf(r.Status.SuccessDueTime)}
	if last := r.Status.LastRun; last != nil {
		row.LastRun, row.LastPhase, row.LastEnded = last.Name, last.Phase, timeOf(last.CompletionTime)
	}
	ready := meta.FindStatusCondition(r.Status.Conditions, rpav1alpha1.ConditionReady)
	switch {
	case r.Spec.Suspend:
		row.Need, row.Health = NeedsWatching, "health.suspended"
	case ready != nil && ready.Status == metav1.ConditionFalse:
		row.Need, row.Health, row.Reason = NeedsPerson, "health.notReady", ready.Reason
	case row.LastPhase == rpav1alpha1.PhaseFailed || row.LastPhase == rpav1alpha1.PhaseTimedOut:
		row.Need, row.Health, row.Reason = NeedsPerson, "health.lastRunFailed", string(row.LastPhase)
	case row.SuccessDue != nil && now.After(*row.SuccessDue):
		row.Need, row.Health = NeedsPerson, "health.successOverdue"
	case r.Status.ActiveRuns > 0:
		row.Need, row.Health = NeedsNothing, "health.running"
	case row.LastPhase == "":
		row.Need, row.Health = NeedsNothing, "health.neverRun"
	default:
		row.Need, row.Health = NeedsNothing, "health.ok"
	}
	return row
}

// QueueRow is a work queue as the overview shows it.
type QueueRow struct {
	Namespace, Name                     string
	Need                                Need
	Health                              string
	New, InProgress, Exceptions, Failed int64
	Overdue                             int64
	OldestNew                           *time.Time
}

func queueRow(q *rpav1alpha1.WorkQueue) QueueRow {
	c := q.Status.Items
	row := QueueRow{Namespace: q.Namespace, Name: q.Name, New: c.New, InProgress: c.InProgress, Exceptions: c.BusinessException,
		Failed: c.Failed, Overdue: q.Status.Overdue, OldestNew: timeOf(q.Status.OldestNewTime)}
	switch {
	case c.BusinessException > 0 || c.Failed > 0:
		row.Need, row.Health = NeedsPerson, "queue.waitsForPerson"
	case q.Status.Overdue > 0:
		row.Need, row.Health = NeedsPerson, "queue.overdue"
	case c.New+c.InProgress > 0:
		row.Need, row.Health = NeedsNothing, "queue.working"
	default:
		row.Need, row.Health = NeedsNothing, "queue.empty"
	}
	return row
}

// failuresToday counts, per robot, the runs that ended failed or timed
// out since dayStart.
type failuresToday map[string]int

// add counts the runs of one page of failed runs.
func (f failuresToday) add(runs []rpav1alpha1.RobotRun, dayStart time.Time) {
	for i := range runs {
		run := &runs[i]
		if run.Status.CompletionTime != nil && !run.Status.CompletionTime.Time.Before(dayStart) {
			f[run.Spec.RobotName]++
		}
	}
}

// markRows adds the counts to the namespace's rows: a robot that works now
// but failed earlier today is one to watch.
func (f failuresToday) markRows(rows []RobotRow) {
	for i := range rows {
		rows[i].FailuresToday = f[rows[i].Name]
		if rows[i].FailuresToday > 0 && rows[i].Need == NeedsNothing {
			rows[i].Need = NeedsWatching
		}
	}
}

// startOfDay is the midnight that began t's day in loc.
func startOfDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// failedRunsPage bounds one list of failed runs: the counts are kept, the
// runs are not.
const failedRunsPage = 500

// countFailuresToday reads, as the user, the namespace's runs that ended
// failed or timed out, a page at a time: kube-apiserver selects them by
// status.phase (a selectable field of the CRD), so the runs that
// succeeded are not read.
func countFailuresToday(ctx context.Context, users *kube.Clients, ns string, dayStart time.Time) (failuresToday, error) {
	counts := failuresToday{}
	for _, phase := range []rpav1alpha1.RunPhase{rpav1alpha1.PhaseFailed, rpav1alpha1.PhaseTimedOut} {
		next := ""
		for {
			var runs rpav1alpha1.RobotRunList
			if err := users.Kube.List(ctx, &runs, client.InNamespace(ns), client.MatchingFields{runhistory.PhaseField: string(phase)},
				client.Limit(failedRunsPage), client.Continue(next)); err != nil {
				return nil, err
			}
			counts.add(runs.Items, dayStart)
			if next = runs.Continue; next == "" {
				break
			}
		}
	}
	return counts, nil
}

// sortRobots puts what needs a person first, then by namespace and name.
func sortRobots(rows []RobotRow) {
	slices.SortFunc(rows, func(a, b RobotRow) int {
		return cmp.Or(cmp.Compare(a.Need, b.Need), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
}

func sortQueues(rows []QueueRow) {
	slices.SortFunc(rows, func(a, b QueueRow) int {
		return cmp.Or(cmp.Compare(a.Need, b.Need), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
}

func timeOf(t *metav1.Time) *time.Time {
	if t == nil {
		return nil
	}
	return &t.Time
}

// overviewData is the overview page's.
type overviewData struct {
	User       string
	Robots     []RobotRow
	Queues     []QueueRow
	Namespaces []string
	// Hidden is true when the user may not see some of the console's
	// namespaces: they are left out, not shown as empty.
	Hidden bool
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	s.withSession(s.showOverview)(w, r)
}

// showOverview lists, as the user, the robots and queues of each of the
// console's namespaces the user may list robots in.
func (s *Server) showOverview(w http.ResponseWriter, r *http.Request, sess session.Session, users *kube.Clients) {
	ctx := r.Context()
	who, err := users.WhoAmI(ctx)
	if err != nil {
		s.clusterFailure(w, r, sess, err)
		return
	}
	data := overviewData{User: who.Username}
	now := s.Clock.Now()
	for _, ns := range s.Namespaces {
		var robots rpav1alpha1.RobotList
		if err := users.Kube.List(ctx, &robots, client.InNamespace(ns)); apierrors.IsForbidden(err) {
			data.Hidden = true
			continue
		} else if err != nil {
			s.clusterFailure(w, r, sess, err)
			return
		}
		data.Namespaces = append(data.Namespaces, ns)
		rows := make([]RobotRow, 0, len(robots.Items))
		for i := range robots.Items {
			rows = append(rows, robotRow(&robots.Items[i], now))
		}
		failures, err := countFailuresToday(ctx, users, ns, startOfDay(now, s.Location))
		if err != nil && !apierrors.IsForbidden(err) {
			s.clusterFailure(w, r, sess, err)
			return
		}
		failures.markRows(rows)
		data.Robots = append(data.Robots, rows...)
		var queues rpav1alpha1.WorkQueueList
		if err := users.Kube.List(ctx, &queues, client.InNamespace(ns)); err != nil && !apierrors.IsForbidden(err) {
			s.clusterFailure(w, r, sess, err)
			return
		}
		for i := range queues.Items {
			data.Queues = append(data.Queues, queueRow(&queues.Items[i]))
		}
	}
	sortRobots(data.Robots)
	sortQueues(data.Queues)
	s.render(w, r, http.StatusOK, "overview", sess.Lang, sess.CSRF, data)
}
