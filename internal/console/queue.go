package console

import (
	"net/http"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"sigs.k8s.io/controller-runtime/pkg/client"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/console/kube"
	"github.com/rpa-operator/rpa-operator/internal/console/session"
	"github.com/rpa-operator/rpa-operator/internal/workqueue"
)

// queueStates are the states the queue page filters by, the inbox first.
var queueStates = []workqueue.State{
	workqueue.BusinessException, workqueue.Failed, workqueue.New, workqueue.InProgress, workqueue.Done, workqueue.Handled,
}

// The decisions a person makes on an item waiting for one: the names of
// the work-item subresources they are posted to.
const (
	retryDecision  = "retry"
	handleDecision = "handle"
)

// maxItemsShown bounds a page of items.
const maxItemsShown = 200

// queueData is the queue page's.
type queueData struct {
	Queue     *rpav1alpha1.WorkQueue
	Row       QueueRow
	State     string
	States    []string
	Reference string
	Items     []queuev1alpha1.WorkItem
	// CanDecide draws the retry and handle controls: one item's, edit and
	// retry, and the bulk form.
	CanDecide bool
	// CanAdd draws the upload form.
	CanAdd bool
	// Limits are said on the forms they bound.
	MaxBulk, MaxUploadLines, MaxUploadMiB int
}

// Waiting says some item shown waits for a person: the bulk form is
// drawn only then, as its checkboxes are.
func (d *queueData) Waiting() bool {
	return slices.ContainsFunc(d.Items, func(it queuev1alpha1.WorkItem) bool { return waitsForPerson(it.Status.State) })
}

// waitsForPerson says an item is in the inbox: a person retries or
// handles it.
func waitsForPerson(state string) bool {
	return state == string(workqueue.BusinessException) || state == string(workqueue.Failed)
}

func queuePath(namespace, name string) string {
	return "/namespaces/" + namespace + "/queues/" + name
}

// queuePage lists the queue's items in one state (the business
// exceptions, which wait for a person, unless another is asked for), or
// those of one reference, as the user.
func (s *Server) queuePage(w http.ResponseWriter, r *http.Request, sess session.Session, users *kube.Clients) {
	ctx := r.Context()
	ns, name := r.PathValue("namespace"), r.PathValue("queue")
	wq := &rpav1alpha1.WorkQueue{}
	if err := users.Kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, wq); err != nil {
		s.clusterFailure(w, r, sess, err)
		return
	}
	data := &queueData{Queue: wq, Row: queueRow(wq), State: string(workqueue.BusinessException),
		Reference: strings.TrimSpace(r.URL.Query().Get("reference")),
		MaxBulk:   maxBulkItems, MaxUploadLines: maxUploadLines, MaxUploadMiB: maxUploadBytes >> 20}
	for _, st := range queueStates {
		data.States = append(data.States, string(st))
	}
	if st := r.URL.Query().Get("state"); slices.Contains(data.States, st) {
		data.State = st
	}
	// fields.Set escapes the values: a reference with a comma or an equals
	// sign stays one value, not another requirement.
	selection := fields.Set{"spec.queue": name}
	if data.Reference != "" {
		selection["spec.reference"] = data.Reference
	} else {
		selection["status.state"] = data.State
	}
	selector := selection.AsSelector().String()
	list := &queuev1alpha1.WorkItemList{}
	err := users.Queue.Get().Namespace(ns).Resource("workitems").Param("fieldSelector", selector).
		Param("limit", "200").Do(ctx).Into(list)
	if err != nil {
		s.clusterFailure(w, r, sess, err)
		return
	}
	data.Items = list.Items[:min(len(list.Items), maxItemsShown)]
	if data.CanDecide, err = users.Can(ctx, ns, "create", queuev1alpha1.GroupName, "workitems", handleDecision); err != nil {
		s.clusterFailure(w, r, sess, err)
		return
	}
	if data.CanAdd, err = users.Can(ctx, ns, "create", queuev1alpha1.GroupName, "workitems", ""); err != nil {
		s.clusterFailure(w, r, sess, err)
		return
	}
	s.render(w, r, http.StatusOK, "queue", sess.Lang, sess.CSRF, data)
}

// decideItem retries or handles an item as the user, with their comment;
// the item's history records them.
func (s *Server) decideItem(w http.ResponseWriter, r *http.Request, sess session.Session, users *kube.Clients) {
	ns, name, id, action := r.PathValue("namespace"), r.PathValue("queue"), r.PathValue("item"), r.PathValue("action")
	if _, ok := itemID(id); !ok || (action != retryDecision && action != handleDecision) {
		s.fail(w, r, http.StatusNotFound, "error.notFound", sess.Lang, sess.CSRF)
		return
	}
	comment := strings.TrimSpace(r.PostFormValue("comment"))
	if action == handleDecision && comment == "" {
		s.fail(w, r, http.StatusBadRequest, "queue.commentNeeded", sess.Lang, sess.CSRF)
		return
	}
	body := &queuev1alpha1.WorkItemDecision{
		TypeMeta: metaTypeOf("WorkItemDecision"), Comment: comment,
	}
	err := users.Queue.Post().Namespace(ns).Resource("workitems").Name(id).SubResource(action).Body(body).
		Do(r.Context()).Into(&queuev1alpha1.WorkItem{})
	if err != nil {
		s.clusterFailure(w, r, sess, err)
		return
	}
	http.Redirect(w, r, queuePath(ns, name), http.StatusSeeOther)
}

func metaTypeOf(kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: queuev1alpha1.SchemeGroupVersion.String(), Kind: kind}
}
