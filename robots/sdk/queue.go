package sdk

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Where a robot pod finds what it needs to call the work-item API: the
// queue (RPA_QUEUE, set for queue-triggered runs), the apiserver, the
// token the operator projects for robots that use a queue, and the
// cluster's CA.
const (
	DefaultQueueTokenFile = "/var/run/secrets/rpa.dev/queue/token"
	clusterCAFile         = "/var/run/secrets/rpa.dev/queue/ca.crt"
	queueAPIGroupVersion  = "queue.rpa.dev/v1alpha1"
)

// Queue is a WorkQueue the robot takes items from and reports them to,
// through the Kubernetes API (docs/work-queues.md). Every call may be
// repeated: a pod holds one item of a queue at a time and gets it again,
// and an outcome already recorded changes nothing, so the Client's
// retries are safe.
type Queue struct {
	Name, Namespace string
	// Client calls the apiserver with the pod's token.
	Client *Client
}

// WorkItem is an item the robot holds.
type WorkItem struct {
	// ID names the item (a number, as text).
	ID        string
	Reference string
	Payload   json.RawMessage
	// Attempt is how many times the item has been taken, this time
	// included: more than 1 means an earlier attempt did not finish, and
	// the robot should check what it already did in the target system.
	Attempt int
	// Output is what ProcessQueue reports with Done: a Loop's Handle may
	// set it (anything that encodes as a JSON object).
	Output any
}

// Decode reads the item's payload into v.
func (w *WorkItem) Decode(v any) error { return json.Unmarshal(w.Payload, v) }

// QueueFromEnv is the queue of a queue-triggered run (RPA_QUEUE), called
// the way OpenQueue calls it; tokenFile empty means DefaultQueueTokenFile.
func QueueFromEnv(tokenFile string) (*Queue, error) {
	name := os.Getenv("RPA_QUEUE")
	if name == "" {
		return nil, errors.New("RPA_QUEUE is not set: the run was not started by a WorkQueue's trigger; use OpenQueue with the queue's name")
	}
	return OpenQueue(name, tokenFile)
}

// OpenQueue is a WorkQueue of the run's namespace, for a robot the queue
// names in spec.robots (a producer, or a run started by hand), called the
// way a pod calls the apiserver: KUBERNETES_SERVICE_HOST and _PORT, and
// the token and CA the operator projects into the pod of a robot that uses
// a queue (tokenFile empty means DefaultQueueTokenFile).
func OpenQueue(name, tokenFile string) (*Queue, error) {
	namespace := os.Getenv("RPA_NAMESPACE")
	host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
	if namespace == "" || host == "" || port == "" {
		return nil, errors.New("RPA_NAMESPACE, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set, as they are in a robot's pod")
	}
	if tokenFile == "" {
		tokenFile = DefaultQueueTokenFile
	}
	httpClient, err := clusterHTTPClient(clusterCAFile)
	if err != nil {
		return nil, err
	}
	base := &url.URL{Scheme: "https", Host: net.JoinHostPort(host, port)}
	return &Queue{Name: name, Namespace: namespace, Client: &Client{
		BaseURL: base, HTTP: httpClient, UserAgent: "rpa-robot/" + name,
		Token: func() (string, error) { return readToken(tokenFile) },
	}}, nil
}

func readToken(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("the queue token (is the robot allowed on a queue?): %w", err)
	}
	return strings.TrimSpace(string(data)), nil
}

// workItemJSON is the API's WorkItem, as far as a robot reads it.
type workItemJSON struct {
	Metadata struct {
		Name        string            `json:"name"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Spec struct {
		Reference string          `json:"reference"`
		Payload   json.RawMessage `json:"payload"`
	} `json:"spec"`
	Status struct {
		Attempts int `json:"attempts"`
	} `json:"status"`
}

func (w workItemJSON) item() *WorkItem {
	return &WorkItem{ID: w.Metadata.Name, Reference: w.Spec.Reference, Payload: w.Spec.Payload, Attempt: w.Status.Attempts}
}

func (q *Queue) path(parts ...string) string {
	return "/apis/" + queueAPIGroupVersion + "/namespaces/" + url.PathEscape(q.Namespace) + "/" + strings.Join(parts, "/")
}

// apiObject is the start of a request body of the work-item API.
func apiObject(kind string) map[string]any {
	return map[string]any{"apiVersion": queueAPIGroupVersion, "kind": kind}
}

// NewItem is an item a producer robot adds to a queue.
type NewItem struct {
	// Reference names the case (a certificate or case number, a CPR
	// number), at most 256 bytes: on a queue with unique references, a
	// reference the queue has seen adds nothing.
	Reference string
	// Priority orders the queue, higher first: -1000 to 1000.
	Priority int32
	// Payload is what the robot that takes the item needs; it must encode
	// as a JSON object of at most 64 KiB.
	Payload any
	// DeferUntil keeps the item from being taken before then; Deadline is
	// when it is due.
	DeferUntil, Deadline *time.Time
}

// Added is what Add did.
type Added struct {
	// ID names the item added, or the one that already has the reference.
	// Empty when retention has deleted that one.
	ID string
	// Existing is true when the queue has unique references and had seen
	// the reference: nothing was added.
	Existing bool
}

func reasonIs(err error, reason string) bool {
	r, _ := StatusReasonOf(err)
	return r == reason
}

// existingAnnotation marks the answer to an add whose reference the queue
// had seen.
const existingAnnotation = "queue.rpa.dev/existing"

// Add adds an item to the queue, as a producer robot (a mailbox reader, a
// robot that finds the day's cases) does. The client retries a lost
// answer: on a queue with unique references that is safe, since the
// repeat finds the item the first call added; without them an item may be
// added twice, so give producers' queues unique references.
func (q *Queue) Add(ctx context.Context, item NewItem) (Added, error) {
	spec := map[string]any{"queue": q.Name, "payload": item.Payload}
	if item.Reference != "" {
		spec["reference"] = item.Reference
	}
	if item.Priority != 0 {
		spec["priority"] = item.Priority
	}
	if item.DeferUntil != nil {
		spec["deferUntil"] = item.DeferUntil.UTC().Format(time.RFC3339)
	}
	if item.Deadline != nil {
		spec["deadline"] = item.Deadline.UTC().Format(time.RFC3339)
	}
	body := apiObject("WorkItem")
	body["spec"] = spec
	var out workItemJSON
	err := q.Client.Do(ctx, http.MethodPost, q.path("workitems"), nil, "", body, &out)
	switch {
	case reasonIs(err, "AlreadyExists"):
		return Added{Existing: true}, nil
	case err != nil:
		return Added{}, err
	}
	return Added{ID: out.Metadata.Name, Existing: out.Metadata.Annotations[existingAnnotation] == "true"}, nil
}

// Next takes the queue's next item; nil when none waits.
func (q *Queue) Next(ctx context.Context) (*WorkItem, error) {
	var out workItemJSON
	err := q.Client.Do(ctx, http.MethodPost, q.path("queues", url.PathEscape(q.Name), "take"), nil, "",
		apiObject("WorkItemTake"), &out)
	// NotFound for workitems: the queue exists and no item waits; for
	// workqueues, the queue does not exist, which is an error.
	if reason, kind := StatusReasonOf(err); reason == "NotFound" && kind == "workitems" {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return out.item(), nil
}

// Done reports the item handled, with the robot's output for it (nil for
// none; otherwise anything that encodes as a JSON object).
func (q *Queue) Done(ctx context.Context, item *WorkItem, output any) error {
	return q.report(ctx, item, "done", "", output)
}

// BusinessException hands the item to people, saying why.
func (q *Queue) BusinessException(ctx context.Context, item *WorkItem, reason string, output any) error {
	return q.report(ctx, item, "businessexception", reason, output)
}

// SystemException reports that the item failed for a reason a later
// attempt may not meet; it is taken again after a backoff while attempts
// are left.
func (q *Queue) SystemException(ctx context.Context, item *WorkItem, cause error) error {
	reason := "system exception"
	if cause != nil {
		reason = cause.Error()
	}
	return q.report(ctx, item, "systemexception", reason, nil)
}

func (q *Queue) report(ctx context.Context, item *WorkItem, outcome, reason string, output any) error {
	body := apiObject("WorkItemOutcome")
	if reason != "" {
		body["reason"] = truncateReason(reason)
	}
	if output != nil {
		body["output"] = output
	}
	return q.Client.Do(ctx, http.MethodPost, q.path("workitems", url.PathEscape(item.ID), outcome), nil, "", body, nil)
}

// maxReasonBytes is what the API takes of a reason.
const maxReasonBytes = 1024

func truncateReason(s string) string {
	if len(s) <= maxReasonBytes {
		return s
	}
	return strings.ToValidUTF8(s[:maxReasonBytes-3], "") + "..."
}

// clusterHTTPClient trusts the cluster's CA, as a pod's client must.
func clusterHTTPClient(caFile string) (*http.Client, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("the cluster CA, which the operator mounts for robots a WorkQueue names: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("the cluster CA %s holds no certificate", caFile)
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}}, nil
}
