package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/authentication/serviceaccount"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/server/queuestatus"
	"github.com/rpa-operator/rpa-operator/internal/workqueue"
	"github.com/rpa-operator/rpa-operator/internal/workqueue/store"
	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// The queue every measurement uses, of a namespace of its own, and the
// robot whose runs' pods take from it.
const (
	queueName      = "certificates"
	robotName      = "journal"
	serviceAccount = "robot"
	// create is the verb of every work-item API call a robot makes.
	create = "create"
)

// taker is one robot: it takes the next item (ok false when none waits)
// and reports it done.
type taker interface {
	take(ctx context.Context) (id string, ok bool, err error)
	done(ctx context.Context, id string) error
}

// storeTaker calls the store's transactions directly: the floor.
type storeTaker struct {
	items  *store.Store
	queue  store.Queue
	holder store.Holder
}

func (t storeTaker) take(ctx context.Context) (string, bool, error) {
	it, err := t.items.Take(ctx, t.queue, "bench", t.holder)
	if err != nil || it == nil {
		return "", false, err
	}
	return fmt.Sprint(it.ID), true, nil
}

func (t storeTaker) done(ctx context.Context, id string) error {
	var n int64
	if _, err := fmt.Sscan(id, &n); err != nil {
		return err
	}
	_, err := t.items.Complete(ctx, t.queue, n, "bench", t.holder, store.Outcome{Action: workqueue.ActionDone})
	return err
}

// floorTakers are 16 (robots) takers of a queue of the store's own, in a
// namespace no WorkQueue has, as BenchmarkTakeAndCompleteSixteenTakers
// takes.
func floorTakers(e *environment, run, robots int) (store.Queue, []taker) {
	q := store.Queue{Namespace: fmt.Sprintf("floor-%d", run), Name: queueName, MaxAttempts: 3}
	takers := make([]taker, robots)
	for i := range takers {
		takers[i] = storeTaker{items: e.items, queue: q, holder: store.Holder{
			Run: fmt.Sprintf("run-%d", i), Pod: fmt.Sprintf("pod-%d", i), PodUID: fmt.Sprintf("floor-%d-uid-%d", run, i),
		}}
	}
	return q, takers
}

// sdkTaker is a robot pod calling the API through the SDK, as a robot's
// work-item loop does.
type sdkTaker struct {
	queue *sdk.Queue
}

func (t sdkTaker) take(ctx context.Context) (string, bool, error) {
	item, err := t.queue.Next(ctx)
	if err != nil || item == nil {
		return "", false, err
	}
	return item.ID, true, nil
}

func (t sdkTaker) done(ctx context.Context, id string) error {
	return t.queue.Done(ctx, &sdk.WorkItem{ID: id}, nil)
}

// apiTakers sets up what a queue-using robot has in a cluster, in a new
// namespace: a WorkQueue, the RBAC of the work-item API's robot verbs,
// robots pods of runs of the queue's robot, each with a token bound to it;
// and returns the queue and an SDK client per pod, calling baseURL (rpa-server
// or kube-apiserver) and trusting roots. It returns once kube-apiserver
// allows the robots and rpa-server's cache has the pods and the queue, so
// no request is refused (a refusal would be cached).
func apiTakers(ctx context.Context, e *environment, robots int, baseURL string, roots *x509.CertPool) (store.Queue, []taker, error) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "bench-"}}
	if err := e.Kube.Create(ctx, ns); err != nil {
		return store.Queue{}, nil, err
	}
	wq := &rpav1alpha1.WorkQueue{ObjectMeta: objectMeta(ns.Name, queueName), Spec: rpav1alpha1.WorkQueueSpec{Robots: []string{robotName}}}
	for _, obj := range append([]client.Object{&corev1.ServiceAccount{ObjectMeta: objectMeta(ns.Name, serviceAccount)}, wq}, robotRBAC(ns.Name)...) {
		if err := e.Kube.Create(ctx, obj); err != nil {
			return store.Queue{}, nil, fmt.Errorf("create %T %s: %w", obj, obj.GetName(), err)
		}
	}
	base, err := url.Parse(baseURL)
	if err != nil {
		return store.Queue{}, nil, err
	}
	takers := make([]taker, robots)
	pods := make([]*corev1.Pod, robots)
	for i := range takers {
		if pods[i], err = createRunPod(ctx, e.Kube, ns.Name, fmt.Sprintf("%s-run-%d", robotName, i)); err != nil {
			return store.Queue{}, nil, err
		}
		token, err := podToken(ctx, e, pods[i])
		if err != nil {
			return store.Queue{}, nil, err
		}
		takers[i] = sdkTaker{queue: robotQueue(ns.Name, base, roots, token)}
	}
	if err := waitAllowed(ctx, e, ns.Name); err != nil {
		return store.Queue{}, nil, err
	}
	if err := waitCached(ctx, e.api, wq, pods); err != nil {
		return store.Queue{}, nil, err
	}
	return queuestatus.Queue(wq), takers, nil
}

// robotRBAC is the Role and RoleBinding that let the robots' ServiceAccount
// take items of the queue and report them done.
func robotRBAC(ns string) []client.Object {
	role := &rbacv1.Role{
		ObjectMeta: objectMeta(ns, "queue-robot"),
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{queuev1alpha1.GroupName}, Resources: []string{"queues/take"}, ResourceNames: []string{queueName}, Verbs: []string{create}},
			{APIGroups: []string{queuev1alpha1.GroupName}, Resources: []string{"workitems/done"}, Verbs: []string{create}},
		},
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: objectMeta(ns, "queue-robot"),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: serviceAccount}},
	}
	return []client.Object{role, binding}
}

// createRunPod creates the pod of a run of the queue's robot as the Job
// controller would: labelled as the operator's (rpa-server caches only
// those) and as the robot's, with the run's name. No kubelet runs it: the
// API checks only that it exists and has not stopped.
func createRunPod(ctx context.Context, kube client.Client, ns, run string) (*corev1.Pod, error) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: run + "-pod",
			Labels:      map[string]string{rpav1alpha1.LabelManagedBy: rpav1alpha1.ManagedBy, rpav1alpha1.LabelRobot: robotName},
			Annotations: map[string]string{rpav1alpha1.AnnotationRunName: run},
		},
		Spec: corev1.PodSpec{ServiceAccountName: serviceAccount, Containers: []corev1.Container{{Name: "robot", Image: "example.com/robot:bench"}}},
	}
	if err := kube.Create(ctx, pod); err != nil {
		return nil, fmt.Errorf("create pod %s: %w", pod.Name, err)
	}
	return pod, nil
}

// podToken is a ServiceAccount token bound to the pod, as the kubelet
// projects into a robot pod that uses a queue; it outlives the benchmark.
func podToken(ctx context.Context, e *environment, pod *corev1.Pod) (string, error) {
	tr, err := e.Clientset.CoreV1().ServiceAccounts(pod.Namespace).CreateToken(ctx, serviceAccount, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{
			ExpirationSeconds: ptr.To[int64](3600),
			BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("token for pod %s: %w", pod.Name, err)
	}
	return tr.Status.Token, nil
}

// robotQueue is the SDK's queue as a robot pod holds it: its own HTTPS
// connection and its own token.
func robotQueue(ns string, base *url.URL, roots *x509.CertPool, token string) *sdk.Queue {
	return &sdk.Queue{Name: queueName, Namespace: ns, Client: &sdk.Client{
		BaseURL: base,
		HTTP: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		}},
		UserAgent: "rpa-robot/" + robotName,
		Token:     func() (string, error) { return token, nil },
	}}
}

// waitAllowed waits until kube-apiserver's RBAC has the new RoleBinding,
// asked as rpa-server asks (SubjectAccessReview) for a take and a done.
func waitAllowed(ctx context.Context, e *environment, ns string) error {
	user := serviceaccount.MakeUsername(ns, serviceAccount)
	groups := serviceaccount.MakeGroupNames(ns)
	checks := []authorizationv1.ResourceAttributes{
		{Namespace: ns, Verb: create, Group: queuev1alpha1.GroupName, Resource: "queues", Subresource: "take", Name: queueName},
		{Namespace: ns, Verb: create, Group: queuev1alpha1.GroupName, Resource: "workitems", Subresource: "done", Name: "1"},
	}
	return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		for _, attrs := range checks {
			sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
				User: user, Groups: groups, ResourceAttributes: &attrs,
			}}
			got, err := e.Clientset.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
			if err != nil || !got.Status.Allowed {
				return false, err
			}
		}
		return true, nil
	})
}

// waitCached waits until rpa-server's cache has the queue and every pod.
func waitCached(ctx context.Context, api *apiServer, wq *rpav1alpha1.WorkQueue, pods []*corev1.Pod) error {
	return wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		if err := api.cache.Get(ctx, client.ObjectKeyFromObject(wq), &rpav1alpha1.WorkQueue{}); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		for _, p := range pods {
			got := &corev1.Pod{}
			if err := api.cache.Get(ctx, client.ObjectKeyFromObject(p), got); err != nil || got.UID != p.UID {
				return false, client.IgnoreNotFound(err)
			}
		}
		return true, nil
	})
}

// addItems fills the queue with n items, in batches as a producer adds
// them, then has PostgreSQL analyze the tables.
func addItems(ctx context.Context, e *environment, q store.Queue, n int) error {
	items := e.items
	const batchSize = 1000
	batch := make([]store.NewItem, 0, batchSize)
	for i := range n {
		batch = append(batch, store.NewItem{Payload: json.RawMessage(fmt.Sprintf(`{"certificate":%d}`, i))})
		if len(batch) == batchSize || i == n-1 {
			if _, err := items.Add(ctx, q, "bench", batch); err != nil {
				return fmt.Errorf("add items: %w", err)
			}
			batch = batch[:0]
		}
	}
	return e.postgres.analyze(ctx)
}

func objectMeta(ns, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name}
}
