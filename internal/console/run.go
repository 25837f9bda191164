package console

import (
	"context"
	"net/http"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	recordsv1alpha1 "github.com/rpa-operator/rpa-operator/api/records/v1alpha1"
	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/console/kube"
	"github.com/rpa-operator/rpa-operator/internal/console/session"
	"github.com/rpa-operator/rpa-operator/internal/runhistory"
)

// maxLogBytesShown bounds the log a page shows of one attempt.
const maxLogBytesShown = 256 << 10

// runData is the run page's: the run the cluster has, or, once pruned,
// its record.
type runData struct {
	Run    *rpav1alpha1.RobotRun
	Record *recordsv1alpha1.RunRecord
	// Logs are each attempt's, oldest first; LogsHidden says the user may
	// not read them (a log may hold personal data: its own permission).
	Logs       []attemptLog
	LogsHidden bool
	CanCancel  bool
	// Items are the work items the run took, at most maxItemsShown
	// (ItemsCut when there are more);
	// ItemsNote is the message key of why they are not shown, when they
	// are not; Gone how many the run record names that retention has
	// deleted since.
	Items     []queuev1alpha1.WorkItem
	ItemsNote string
	Gone      int
	// ItemsCut says the run took more items than the page lists (MaxItems).
	ItemsCut bool
	MaxItems int
	// PhaseText is a live run's state line (phaseText).
	PhaseText string
	// Live: the run has not finished, so the page follows it
	// (run_live.go).
	Live bool
}

type attemptLog struct {
	Pod  string
	Text string
}

func runPath(namespace, name string) string {
	return "/namespaces/" + namespace + "/runs/" + name
}

// runPage shows a run, as the user: from the cluster while it is there,
// from the run records after.
func (s *Server) runPage(w http.ResponseWriter, r *http.Request, sess session.Session, users *kube.Clients) {
	ctx := r.Context()
	ns, name := r.PathValue("namespace"), r.PathValue("run")
	data := &runData{MaxItems: maxItemsShown}
	run := &rpav1alpha1.RobotRun{}
	err := users.Kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, run)
	switch {
	case err == nil:
		data.Run, data.PhaseText = run, phaseText(run, s.translator(sess.Lang))
		err = s.liveRun(ctx, users, data)
	case apierrors.IsNotFound(err):
		err = s.recordedRun(ctx, users, ns, name, data)
	}
	if err == nil {
		err = runItems(ctx, users, ns, name, data)
	}
	if err != nil {
		s.clusterFailure(w, r, sess, err)
		return
	}
	s.render(w, r, http.StatusOK, "run", sess.Lang, sess.CSRF, data)
}

// liveRun adds the logs of the run's pods, if the user may read pod
// logs, and whether they may cancel it.
func (s *Server) liveRun(ctx context.Context, users *kube.Clients, data *runData) error {
	run := data.Run
	var err error
	data.Live = !run.Status.Phase.Finished()
	if data.Live {
		if data.CanCancel, err = users.Can(ctx, run.Namespace, "patch", rpav1alpha1.GroupVersion.Group, "robotruns", ""); err != nil {
			return err
		}
	}
	canRead, err := canReadPodLogs(ctx, users, run.Namespace)
	if err != nil || !canRead {
		data.LogsHidden = !canRead
		return err
	}
	pods, err := runPods(ctx, users, run)
	if err != nil {
		return err
	}
	limit := int64(maxLogBytesShown)
	for _, pod := range pods {
		text, err := users.Clientset.CoreV1().Pods(run.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{
			Container: rpav1alpha1.RobotContainerName, LimitBytes: &limit,
		}).DoRaw(ctx)
		if err != nil {
			text = nil // a pod not started yet, or its node gone: no log to show
		}
		data.Logs = append(data.Logs, attemptLog{Pod: pod.Name, Text: string(text)})
	}
	return nil
}

// canReadPodLogs says the user may find a run's pods and read their logs
// (list pods, get pods/log): a log may hold personal data, so it has its
// own permission, which none of the rpa roles gives.
func canReadPodLogs(ctx context.Context, users *kube.Clients, ns string) (bool, error) {
	canList, err := users.Can(ctx, ns, "list", "", "pods", "")
	if err != nil || !canList {
		return false, err
	}
	return users.Can(ctx, ns, "get", "", "pods", "log")
}

// runPods lists, as the user, the run's pods in attempt order.
func runPods(ctx context.Context, users *kube.Clients, run *rpav1alpha1.RobotRun) ([]corev1.Pod, error) {
	pods, err := users.Clientset.CoreV1().Pods(run.Namespace).List(ctx, metav1.ListOptions{
		LabelSelector: labels.SelectorFromSet(runhistory.PodLabels(run.Name)).String(),
	})
	if err != nil {
		return nil, err
	}
	return runhistory.Attempts(pods.Items, run.Name), nil
}

// runItems lists, as the user, the work items the run took. A user who may
// not read items (they hold personal data) is told so; so is one whose
// cluster has no work-item API answering.
func runItems(ctx context.Context, users *kube.Clients, ns, run string, data *runData) error {
	list := &queuev1alpha1.WorkItemList{}
	err := users.Queue.Get().Namespace(ns).Resource("workitems").
		Param("fieldSelector", fields.OneTermEqualSelector(queuev1alpha1.FieldRun, run).String()).
		Param("limit", strconv.Itoa(maxItemsShown)).Do(ctx).Into(list)
	switch {
	case apierrors.IsForbidden(err):
		data.ItemsNote = "run.itemsForbidden"
		return nil
	case apierrors.IsNotFound(err), apierrors.IsServiceUnavailable(err), apierrors.IsTimeout(err):
		data.ItemsNote = "run.itemsUnavailable"
		return nil
	case err != nil:
		return err
	}
	data.Items, data.ItemsCut = list.Items, list.Continue != ""
	if data.Record != nil && list.Continue == "" {
		data.Gone = max(0, len(data.Record.Status.WorkItems)-len(list.Items))
	}
	return nil
}

// recordedRun reads the run's record and, if the user may, its log.
func (s *Server) recordedRun(ctx context.Context, users *kube.Clients, namespace, name string, data *runData) error {
	record := &recordsv1alpha1.RunRecord{}
	if err := users.Records.Get().Namespace(namespace).Resource("runrecords").Name(name).Do(ctx).Into(record); err != nil {
		return err
	}
	data.Record = record
	text, err := users.Records.Get().Namespace(namespace).Resource("runrecords").Name(name).SubResource("log").DoRaw(ctx)
	switch {
	case apierrors.IsForbidden(err):
		data.LogsHidden = true
	case err != nil:
		return err
	default:
		data.Logs = []attemptLog{{Text: string(text)}}
	}
	return nil
}

// cancelRun cancels the run as the user; the admission policy stamps who.
func (s *Server) cancelRun(w http.ResponseWriter, r *http.Request, sess session.Session, users *kube.Clients) {
	ns, name := r.PathValue("namespace"), r.PathValue("run")
	run := &rpav1alpha1.RobotRun{}
	run.Namespace, run.Name = ns, name
	patch := client.RawPatch("application/merge-patch+json", []byte(`{"spec":{"cancel":true}}`))
	if err := users.Kube.Patch(r.Context(), run, patch); err != nil {
		s.clusterFailure(w, r, sess, err)
		return
	}
	http.Redirect(w, r, runPath(ns, name), http.StatusSeeOther)
}
