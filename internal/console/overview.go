package console

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

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

// overviewRun is the part of a RobotRun the overview counts.
type overviewRun struct {
	Spec struct {
		RobotName string `json:"robotName"`
	} `json:"spec"`
	Status struct {
		Phase          rpav1alpha1.RunPhase `json:"phase"`
		CompletionTime *metav1.Time         `json:"completionTime"`
	} `json:"status"`
}

// add counts, of one page of runs, those that failed or timed out since
// dayStart.
func (f failuresToday) add(runs []overviewRun, dayStart time.Time) {
	for i := range runs {
		run := &runs[i]
		failed := run.Status.Phase == rpav1alpha1.PhaseFailed || run.Status.Phase == rpav1alpha1.PhaseTimedOut
		if failed && run.Status.CompletionTime != nil && !run.Status.CompletionTime.Before(&metav1.Time{Time: dayStart}) {
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

// overviewPage bounds one list the overview reads: rows and counts are
// kept, the objects are not.
const overviewPage = 500

// countFailuresToday reads, as the user, the namespace's runs that did not
// succeed, a page at a time: kube-apiserver selects them by status.phase
// (a selectable field of the CRD), so the runs that succeeded, most of
// them, are not read; add counts those that failed or timed out.
func countFailuresToday(ctx context.Context, users *kube.Clients, ns string, dayStart time.Time) (failuresToday, error) {
	counts := failuresToday{}
	notSucceeded := fields.OneTermNotEqualSelector(runhistory.PhaseField, string(rpav1alpha1.PhaseSucceeded))
	err := listPages(ctx, users, ns, "robotruns", notSucceeded, func(runs []overviewRun) { counts.add(runs, dayStart) })
	return counts, err
}

// overviewList is a list as the overview decodes it: its items, and where
// the next page starts.
type overviewList[T any] struct {
	Metadata struct {
		Continue string `json:"continue"`
	} `json:"metadata"`
	Items []T `json:"items"`
}

// overviewRobot is the part of a Robot the overview shows. Decoding only
// this skips the pod template and the managed fields, most of a Robot's
// JSON (docs/benchmarks.md, "Console overview").
type overviewRobot struct {
	Metadata struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		Suspend bool `json:"suspend"`
	} `json:"spec"`
	Status rpav1alpha1.RobotStatus `json:"status"`
}

func (r *overviewRobot) robot() *rpav1alpha1.Robot {
	return &rpav1alpha1.Robot{
		ObjectMeta: metav1.ObjectMeta{Name: r.Metadata.Name, Namespace: r.Metadata.Namespace},
		Spec:       rpav1alpha1.RobotSpec{Suspend: r.Spec.Suspend},
		Status:     r.Status,
	}
}

// listPages lists an rpa.dev resource of the namespace as the user,
// overviewPage objects at a time, and hands each page to each: only the
// page in hand is kept, decoded into what the overview reads of it
// (encoding/json skips the rest).
func listPages[T any](ctx context.Context, users *kube.Clients, ns, resource string, selector fields.Selector, each func([]T)) error {
	next := ""
	for {
		req := users.RPA.Get().Namespace(ns).Resource(resource).Param("limit", strconv.Itoa(overviewPage))
		if selector != nil {
			req = req.Param("fieldSelector", selector.String())
		}
		if next != "" {
			req = req.Param("continue", next)
		}
		raw, err := req.DoRaw(ctx)
		if err != nil {
			return err
		}
		var page overviewList[T]
		if err := json.Unmarshal(raw, &page); err != nil {
			return fmt.Errorf("decode the %s of namespace %s: %w", resource, ns, err)
		}
		each(page.Items)
		if next = page.Metadata.Continue; next == "" {
			return nil
		}
	}
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
	now := s.Clock.Now()
	dayStart := startOfDay(now, s.Location)
	parts := make([]namespaceOverview, len(s.Namespaces))
	group, groupCtx := errgroup.WithContext(ctx)
	group.SetLimit(OverviewParallelism)
	for i, ns := range s.Namespaces {
		group.Go(func() (err error) {
			parts[i], err = readNamespace(groupCtx, users, ns, now, dayStart)
			return err
		})
	}
	if err := group.Wait(); err != nil {
		s.clusterFailure(w, r, sess, err)
		return
	}
	data := overviewData{User: who.Username}
	for i, part := range parts {
		if part.hidden {
			data.Hidden = true
			continue
		}
		data.Namespaces = append(data.Namespaces, s.Namespaces[i])
		data.Robots = append(data.Robots, part.robots...)
		data.Queues = append(data.Queues, part.queues...)
	}
	sortRobots(data.Robots)
	sortQueues(data.Queues)
	s.render(w, r, http.StatusOK, "overview", sess.Lang, sess.CSRF, data)
}

// OverviewParallelism is how many namespaces the overview reads at once:
// their lists wait on kube-apiserver, which answers several in parallel.
const OverviewParallelism = 4

// namespaceOverview is one namespace's part of the overview; hidden when
// the user may not list its robots.
type namespaceOverview struct {
	hidden bool
	robots []RobotRow
	queues []QueueRow
}

// readNamespace reads, as the user, a namespace's robots, the runs that
// failed today and its queues.
func readNamespace(ctx context.Context, users *kube.Clients, ns string, now, dayStart time.Time) (namespaceOverview, error) {
	var part namespaceOverview
	err := listPages(ctx, users, ns, "robots", nil, func(robots []overviewRobot) {
		for i := range robots {
			part.robots = append(part.robots, robotRow(robots[i].robot(), now))
		}
	})
	if apierrors.IsForbidden(err) {
		return namespaceOverview{hidden: true}, nil
	} else if err != nil {
		return namespaceOverview{}, err
	}
	failures, err := countFailuresToday(ctx, users, ns, dayStart)
	if err != nil && !apierrors.IsForbidden(err) {
		return namespaceOverview{}, err
	}
	failures.markRows(part.robots)
	var queues rpav1alpha1.WorkQueueList
	if err := users.Kube.List(ctx, &queues, client.InNamespace(ns)); err != nil && !apierrors.IsForbidden(err) {
		return namespaceOverview{}, err
	}
	for i := range queues.Items {
		part.queues = append(part.queues, queueRow(&queues.Items[i]))
	}
	return part, nil
}
