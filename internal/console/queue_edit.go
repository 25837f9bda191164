package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/console/kube"
	"github.com/rpa-operator/rpa-operator/internal/console/session"
	"github.com/rpa-operator/rpa-operator/internal/workqueue"
)

// maxEditFormBytes bounds the edit form's body: more than a payload may
// be, so that a payload too large is told as such, with the text kept.
const maxEditFormBytes = 1 << 20

// itemData is the item page's: one item, and the form that edits its
// payload and retries it.
type itemData struct {
	Namespace, Queue string
	Item             *queuev1alpha1.WorkItem
	// Payload is the textarea's text: the item's payload, indented, or
	// what the person typed when it was refused.
	Payload, Comment string
	// CanEdit draws the form: the item waits for a person and the user
	// may retry it.
	CanEdit bool
	// Problem is what is wrong with the payload typed, as a message key
	// with its values.
	Problem     string
	ProblemData map[string]any
	MaxKiB      int
}

// itemPage shows an item and, if it waits for a person and the user may
// retry it, its payload to edit.
func (s *Server) itemPage(w http.ResponseWriter, r *http.Request, sess session.Session, users *kube.Clients) {
	data, err := s.itemData(r, users)
	if err != nil {
		s.clusterFailure(w, r, sess, err)
		return
	}
	data.Payload = indentedPayload(data.Item.Spec.Payload.Raw)
	s.render(w, r, http.StatusOK, "item", sess.Lang, sess.CSRF, data)
}

// editAndRetry checks the payload typed and, if it may be sent, retries
// the item with it as the user. A payload refused here is told in the
// user's language on the form, with their text; one the API refuses is
// told in the API's words.
func (s *Server) editAndRetry(w http.ResponseWriter, r *http.Request, sess session.Session, users *kube.Clients) {
	ns, queue, id := r.PathValue("namespace"), r.PathValue("queue"), r.PathValue("item")
	if _, ok := itemID(id); !ok {
		s.fail(w, r, http.StatusNotFound, "error.notFound", sess.Lang, sess.CSRF)
		return
	}
	typed, comment := r.PostFormValue("payload"), strings.TrimSpace(r.PostFormValue("comment"))
	payload, problem, values := checkPayload(typed)
	if problem != "" {
		data, err := s.itemData(r, users)
		if err != nil {
			s.clusterFailure(w, r, sess, err)
			return
		}
		data.Payload, data.Comment, data.Problem, data.ProblemData = typed, comment, problem, values
		s.render(w, r, http.StatusBadRequest, "item", sess.Lang, sess.CSRF, data)
		return
	}
	body := &queuev1alpha1.WorkItemDecision{
		TypeMeta: metaTypeOf("WorkItemDecision"), Comment: comment, Payload: &runtime.RawExtension{Raw: payload},
	}
	err := users.Queue.Post().Namespace(ns).Resource("workitems").Name(id).SubResource(retryDecision).Body(body).
		Do(r.Context()).Into(&queuev1alpha1.WorkItem{})
	if err != nil {
		s.clusterFailure(w, r, sess, err)
		return
	}
	http.Redirect(w, r, queuePath(ns, queue), http.StatusSeeOther)
}

// itemData reads the item as the user and whether they may edit it. An
// item of another queue is not found under this queue's address.
func (s *Server) itemData(r *http.Request, users *kube.Clients) (*itemData, error) {
	ctx := r.Context()
	ns, queue, id := r.PathValue("namespace"), r.PathValue("queue"), r.PathValue("item")
	if _, ok := itemID(id); !ok {
		return nil, notFound(id)
	}
	item := &queuev1alpha1.WorkItem{}
	if err := users.Queue.Get().Namespace(ns).Resource("workitems").Name(id).Do(ctx).Into(item); err != nil {
		return nil, err
	}
	if item.Spec.Queue != queue {
		return nil, notFound(id)
	}
	data := &itemData{Namespace: ns, Queue: queue, Item: item, MaxKiB: workqueue.MaxPayloadBytes >> 10}
	if !waitsForPerson(item.Status.State) {
		return data, nil
	}
	var err error
	data.CanEdit, err = users.Can(ctx, ns, "create", queuev1alpha1.GroupName, "workitems", retryDecision)
	return data, err
}

// notFound is the answer for an address that names no item of the queue,
// as the API answers for an item it does not have.
func notFound(id string) error {
	return apierrors.NewNotFound(schema.GroupResource{Group: queuev1alpha1.GroupName, Resource: "workitems"}, id)
}

// itemID checks an item's name is one the API gives: a positive decimal
// number, written without sign or leading zeros. Anything else names no
// item, and is not put in a request's path.
func itemID(name string) (string, bool) {
	id, err := strconv.ParseInt(name, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != name {
		return "", false
	}
	return name, true
}

// indentedPayload is a payload as a person reads and edits it.
func indentedPayload(raw []byte) string {
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return string(raw)
	}
	return out.String()
}

// checkPayload checks a payload typed in the console as rpa-server will
// (workqueue.CheckDocument: a JSON object of at most MaxPayloadBytes), so
// that a person is told what is wrong in their own language and keeps
// their text. It returns the payload compacted, as it is sent and
// stored, or the problem as a message key with its values.
func checkPayload(typed string) ([]byte, string, map[string]any) {
	text := strings.TrimPrefix(typed, string(utf8BOM))
	var doc any
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		var syntax *json.SyntaxError
		if strings.TrimSpace(text) == "" || !errors.As(err, &syntax) {
			return nil, "item.payloadNotJSON", nil
		}
		line, column := lineAndColumn(text, syntax.Offset)
		return nil, "item.payloadNotJSONAt", map[string]any{"Line": line, "Column": column}
	}
	if _, ok := doc.(map[string]any); !ok {
		return nil, "item.payloadNotObject", nil
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(text)); err != nil {
		return nil, "item.payloadNotJSON", nil
	}
	if compact.Len() > workqueue.MaxPayloadBytes {
		return nil, "item.payloadTooLarge", map[string]any{
			"KiB": (compact.Len() + 1023) >> 10, "MaxKiB": workqueue.MaxPayloadBytes >> 10,
		}
	}
	return compact.Bytes(), "", nil
}

// utf8BOM is what a payload pasted from some editors starts with.
const utf8BOM = "\ufeff"

// lineAndColumn are where, counted from 1 as an editor counts, the JSON
// decoder stopped: the character after offset bytes (the one it could
// not read).
func lineAndColumn(text string, offset int64) (int, int) {
	before := text[:min(int(offset), len(text))]
	line := strings.Count(before, "\n") + 1
	lastLine := before[strings.LastIndexByte(before, '\n')+1:]
	return line, utf8.RuneCountInString(strings.ReplaceAll(lastLine, "\r", ""))
}
