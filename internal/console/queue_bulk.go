package console

import (
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/console/kube"
	"github.com/rpa-operator/rpa-operator/internal/console/session"
)

// maxBulkItems bounds the items one bulk request decides on: a page of
// the inbox (maxItemsShown), so that one click makes a bounded number of
// requests to the apiserver.
const maxBulkItems = maxItemsShown

// maxDecisionFormBytes bounds a decision's form: a comment and, for a
// bulk one, the ids.
const maxDecisionFormBytes = 64 << 10

// reportData is the report page's: what became of each item of a bulk
// decision or each line of an upload, or why none was tried.
type reportData struct {
	Namespace, Queue string
	// Problem is why nothing was tried, as a message key with its values;
	// Detail is the file reader's own words, when it has some.
	Problem     string
	ProblemData map[string]any
	Detail      string
	Bulk        *bulkReport
	Upload      *uploadReport
}

// bulkReport is what became of each item selected.
type bulkReport struct {
	// Action is retry or handle.
	Action, Comment string
	Results         []decisionResult
	// Forbidden counts the refusals that were the apiserver's 403.
	Done, Refused, Forbidden int
}

// decisionResult is one item's outcome: done (its state now), or refused
// in the API's words.
type decisionResult struct {
	ID, Reference, State string
	Refused              bool
	// Message is what the API said; empty when it said nothing (no
	// answer at all).
	Message string
}

// bulkDecide retries or handles the selected items, one request each as
// the user, and reports each: one refused does not stop the others, and
// nothing is decided without being reported.
func (s *Server) bulkDecide(w http.ResponseWriter, r *http.Request, sess session.Session, users *kube.Clients) {
	ns, queue := r.PathValue("namespace"), r.PathValue("queue")
	data := &reportData{Namespace: ns, Queue: queue}
	action, comment := r.PostFormValue("action"), strings.TrimSpace(r.PostFormValue("comment"))
	ids, problem := selectedItems(r.PostForm["item"])
	switch {
	case action != retryDecision && action != handleDecision:
		problem = "queue.bulkNoAction"
	case problem == "" && action == handleDecision && comment == "":
		problem = "queue.commentNeeded"
	}
	if problem != "" {
		data.Problem, data.ProblemData = problem, map[string]any{"Max": maxBulkItems}
		s.render(w, r, http.StatusBadRequest, "queuereport", sess.Lang, sess.CSRF, data)
		return
	}
	report := &bulkReport{Action: action, Comment: comment}
	body := &queuev1alpha1.WorkItemDecision{TypeMeta: metaTypeOf("WorkItemDecision"), Comment: comment}
	for _, id := range ids {
		got := &queuev1alpha1.WorkItem{}
		err := users.Queue.Post().Namespace(ns).Resource("workitems").Name(id).SubResource(action).Body(body).
			Do(r.Context()).Into(got)
		if apierrors.IsUnauthorized(err) {
			// The session's token has ended: every later request would fail
			// the same way, and what was done so far is in the inbox.
			s.clusterFailure(w, r, sess, err)
			return
		}
		report.add(decisionResultOf(id, got, err), apierrors.IsForbidden(err))
	}
	data.Bulk = report
	s.render(w, r, report.status(), "queuereport", sess.Lang, sess.CSRF, data)
}

// selectedItems are the ids ticked, each once, in the page's order; or
// why they cannot be decided on together.
func selectedItems(values []string) ([]string, string) {
	seen := map[string]bool{}
	var ids []string
	for _, v := range values {
		id, ok := itemID(strings.TrimSpace(v))
		if !ok {
			return nil, "queue.bulkBadItem"
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	switch {
	case len(ids) == 0:
		return nil, "queue.bulkNoneSelected"
	case len(ids) > maxBulkItems:
		return nil, "queue.bulkTooMany"
	}
	return ids, ""
}

// decisionResultOf reads the API's answer for one item.
func decisionResultOf(id string, got *queuev1alpha1.WorkItem, err error) decisionResult {
	if err != nil {
		return decisionResult{ID: id, Refused: true, Message: apiMessage(err)}
	}
	return decisionResult{ID: id, Reference: got.Spec.Reference, State: got.Status.State}
}

func (b *bulkReport) add(res decisionResult, forbidden bool) {
	b.Results = append(b.Results, res)
	if !res.Refused {
		b.Done++
		return
	}
	b.Refused++
	if forbidden {
		b.Forbidden++
	}
}

// status is the report's HTTP status: 403 when the apiserver refused the
// user every item (they may not decide on items here), else 200, the
// report saying which were refused and why.
func (b *bulkReport) status() int {
	if b.Done == 0 && b.Forbidden == len(b.Results) {
		return http.StatusForbidden
	}
	return http.StatusOK
}
