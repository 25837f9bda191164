package sdktest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// Item states, as the work-item API names them (docs/work-queues.md).
const (
	StateNew               = "New"
	StateInProgress        = "InProgress"
	StateDone              = "Done"
	StateBusinessException = "BusinessException"
	StateFailed            = "Failed"
)

// Queue is one WorkQueue for a robot's tests: an httptest server that
// answers the calls a robot pod makes to the work-item API (add, take,
// done, businessexception, systemexception) as rpa-server does, in memory.
// Which pod calls is the bearer token; Pod gives each pod its own. The
// real API, on PostgreSQL behind kube-apiserver, is tested in
// test/integration and test/e2e; this plays its rules for a robot:
//
//   - a take gives the New item of highest priority, then the oldest,
//     whose backoff has passed; a pod that holds an item gets it again;
//   - only the holding pod reports an outcome; a repeat changes nothing;
//   - a system exception with attempts left goes back to New after a
//     backoff (10 s, doubling), the last one ends Failed;
//   - a pod that stops (StopPod) gives back what it held, the attempt
//     counted, and its token is refused from then on;
//   - with unique references, adding a known reference adds nothing.
type Queue struct {
	// Name and Namespace are the queue's.
	Name, Namespace string
	// URL is the server's address.
	URL string

	mu          sync.Mutex
	unique      bool
	maxAttempts int
	now         func() time.Time
	items       []*QueueItem
	stopped     map[string]bool
}

// QueueItem is an item as the test reads it back.
type QueueItem struct {
	ID        string
	Reference string
	Priority  int32
	Payload   json.RawMessage
	Output    json.RawMessage
	State     string
	Attempts  int
	Reason    string
	// Holder is the pod holding an InProgress item.
	Holder     string
	deferUntil time.Time
	// reportedBy is the pod that reported the last outcome.
	reportedBy string
}

// QueueOptions are a Queue's settings.
type QueueOptions struct {
	// UniqueReferences is the WorkQueue's uniqueReferences.
	UniqueReferences bool
	// MaxAttempts is the WorkQueue's maxAttempts; zero means 3.
	MaxAttempts int
	// Now is the queue's clock, for backoffs; nil means time.Now.
	Now func() time.Time
}

// NewQueue starts a queue named name; it stops when the test ends.
func NewQueue(t testing.TB, name string, opts QueueOptions) *Queue {
	t.Helper()
	q := &Queue{Name: name, Namespace: "test", unique: opts.UniqueReferences, maxAttempts: opts.MaxAttempts,
		now: opts.Now, stopped: map[string]bool{}}
	if q.maxAttempts <= 0 {
		q.maxAttempts = 3
	}
	if q.now == nil {
		q.now = time.Now
	}
	ts := httptest.NewServer(q.routes())
	t.Cleanup(ts.Close)
	q.URL = ts.URL
	return q
}

// Pod is the queue as the robot in pod sees it: an sdk.Queue whose calls
// carry the pod's token.
func (q *Queue) Pod(pod string) *sdk.Queue {
	base, _ := url.Parse(q.URL)
	return &sdk.Queue{Name: q.Name, Namespace: q.Namespace, Client: &sdk.Client{
		BaseURL: base, UserAgent: "sdktest/" + pod,
		Token: func() (string, error) { return pod, nil },
	}}
}

// StopPod plays the pod's end (a SIGKILL, an eviction): the items it holds
// go back to New at once, their attempt counted, and its calls are
// refused from then on.
func (q *Queue) StopPod(pod string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.stopped[pod] = true
	for _, it := range q.items {
		if it.State == StateInProgress && it.Holder == pod {
			it.State, it.Holder, it.Reason = StateNew, "", "pod "+pod+" stopped while holding the item"
		}
	}
}

// Add adds an item as a person would with kubectl robot queue add; it
// returns false when the queue has unique references and knew reference.
func (q *Queue) Add(t testing.TB, reference string, payload any) bool {
	t.Helper()
	data, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	_, added := q.add(reference, 0, data)
	return added
}

// Items returns the items in the order they were added.
func (q *Queue) Items() []QueueItem {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]QueueItem, 0, len(q.items))
	for _, it := range q.items {
		out = append(out, *it)
	}
	return out
}

// Count counts the items in state.
func (q *Queue) Count(state string) int {
	n := 0
	for _, it := range q.Items() {
		if it.State == state {
			n++
		}
	}
	return n
}

func (q *Queue) routes() http.Handler {
	prefix := "/apis/queue.rpa.dev/v1alpha1/namespaces/{ns}"
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+prefix+"/workitems", q.serveAdd)
	mux.HandleFunc("POST "+prefix+"/queues/{queue}/take", q.serveTake)
	mux.HandleFunc("POST "+prefix+"/workitems/{id}/{outcome}", q.serveOutcome)
	return mux
}

// caller is the pod a request comes from; it answers 403 itself for a
// stopped pod's token, as rpa-server does.
func (q *Queue) caller(w http.ResponseWriter, r *http.Request) (string, bool) {
	pod := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if pod == "" || q.stopped[pod] {
		writeStatus(w, http.StatusForbidden, "Forbidden", "", fmt.Sprintf("pod %q has stopped or is not a robot's pod", pod))
		return "", false
	}
	return pod, true
}

func (q *Queue) serveAdd(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Spec struct {
			Queue     string          `json:"queue"`
			Reference string          `json:"reference"`
			Priority  int32           `json:"priority"`
			Payload   json.RawMessage `json:"payload"`
		} `json:"spec"`
	}
	data, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(data, &body); err != nil || body.Spec.Queue != q.Name {
		writeStatus(w, http.StatusBadRequest, "BadRequest", "", "not a WorkItem of queue "+q.Name)
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, ok := q.caller(w, r); !ok {
		return
	}
	it, added := q.add(body.Spec.Reference, body.Spec.Priority, body.Spec.Payload)
	status := http.StatusCreated
	if !added {
		status = http.StatusOK
	}
	writeItem(w, status, it, !added)
}

// add adds an item; q.mu is held.
func (q *Queue) add(reference string, priority int32, payload json.RawMessage) (*QueueItem, bool) {
	if q.unique && reference != "" {
		for _, it := range q.items {
			if it.Reference == reference {
				return it, false
			}
		}
	}
	it := &QueueItem{ID: strconv.Itoa(len(q.items) + 1), Reference: reference, Priority: priority, Payload: payload, State: StateNew}
	q.items = append(q.items, it)
	return it, true
}

func (q *Queue) serveTake(w http.ResponseWriter, r *http.Request) {
	q.mu.Lock()
	defer q.mu.Unlock()
	pod, ok := q.caller(w, r)
	if !ok {
		return
	}
	if r.PathValue("queue") != q.Name {
		writeStatus(w, http.StatusNotFound, "NotFound", "workqueues", "no queue "+r.PathValue("queue"))
		return
	}
	it := q.next(pod)
	if it == nil {
		writeStatus(w, http.StatusNotFound, "NotFound", "workitems", "no item of queue "+q.Name+" waits")
		return
	}
	writeItem(w, http.StatusCreated, it, false)
}

// next is the item pod gets: the one it holds, or the next New one, taken.
// q.mu is held.
func (q *Queue) next(pod string) *QueueItem {
	for _, it := range q.items {
		if it.State == StateInProgress && it.Holder == pod {
			return it
		}
	}
	var best *QueueItem
	now := q.now()
	for _, it := range q.items {
		if it.State != StateNew || now.Before(it.deferUntil) {
			continue
		}
		if best == nil || it.Priority > best.Priority {
			best = it
		}
	}
	if best != nil {
		best.State, best.Holder = StateInProgress, pod
		best.Attempts++
	}
	return best
}

func (q *Queue) serveOutcome(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Reason string          `json:"reason"`
		Output json.RawMessage `json:"output"`
	}
	data, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(data, &body)
	q.mu.Lock()
	defer q.mu.Unlock()
	pod, ok := q.caller(w, r)
	if !ok {
		return
	}
	id, outcome := r.PathValue("id"), r.PathValue("outcome")
	i := slices.IndexFunc(q.items, func(it *QueueItem) bool { return it.ID == id })
	if i < 0 {
		writeStatus(w, http.StatusNotFound, "NotFound", "workitems", "no item "+id)
		return
	}
	it := q.items[i]
	if it.State != StateInProgress || it.Holder != pod {
		// An outcome this pod already recorded is answered as it is.
		if it.reportedBy == pod && it.State != StateNew && it.State != StateInProgress {
			writeItem(w, http.StatusOK, it, false)
			return
		}
		writeStatus(w, http.StatusConflict, "Conflict", "workitems", "the item is not held by this pod")
		return
	}
	it.Reason, it.Output, it.Holder, it.reportedBy = body.Reason, body.Output, "", pod
	switch outcome {
	case "done":
		it.State = StateDone
	case "businessexception":
		it.State = StateBusinessException
	case "systemexception":
		it.State = StateFailed
		if it.Attempts < q.maxAttempts {
			it.State, it.deferUntil = StateNew, q.now().Add(backoff(it.Attempts))
		}
	default:
		writeStatus(w, http.StatusNotFound, "NotFound", "", "no outcome "+outcome)
		return
	}
	writeItem(w, http.StatusCreated, it, false)
}

// backoff is how long an item waits after its attempt-th system exception.
func backoff(attempt int) time.Duration {
	return min(10*time.Second<<min(attempt-1, 10), 10*time.Minute)
}

// keyKind is the Kubernetes objects' "kind".
const keyKind = "kind"

func writeItem(w http.ResponseWriter, status int, it *QueueItem, existing bool) {
	item := map[string]any{
		"apiVersion": "queue.rpa.dev/v1alpha1", keyKind: "WorkItem",
		"metadata": map[string]any{"name": it.ID},
		"spec":     map[string]any{"reference": it.Reference, "payload": it.Payload},
		"status":   map[string]any{"state": it.State, "attempts": it.Attempts},
	}
	if existing {
		item["metadata"] = map[string]any{"name": it.ID, "annotations": map[string]string{"queue.rpa.dev/existing": "true"}}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(item)
}

// writeStatus answers with a Kubernetes Status, as kube-apiserver does.
func writeStatus(w http.ResponseWriter, code int, reason, kind, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{
		keyKind: "Status", "apiVersion": "v1", "status": "Failure", "code": code,
		"reason": reason, "message": message, "details": map[string]string{keyKind: kind},
	})
}
