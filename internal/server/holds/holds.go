// Package holds returns the items of robot pods that stopped: a work item
// is held for as long as the pod that took it lives, not for a timeout.
// A pod that has stopped (Succeeded or Failed) or is gone gives its items
// back at once, the attempt counted (docs/work-queues.md). A pod still in
// its grace period keeps them: it may yet finish its item.
package holds

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/workqueue/store"
)

// Items is what the controller needs of the store.
type Items interface {
	Abandon(ctx context.Context, podUID, actor string, maxAttempts func(namespace, queue string) int) ([]store.Item, error)
	Holders(ctx context.Context) ([]string, error)
}

// Actor is who the history says returned the items.
const Actor = "rpa-server"

// podUIDIndex indexes cached pods by UID: a deleted pod is known only by it.
const podUIDIndex = "metadata.uid"

// DefaultSweepInterval is how often every holder is checked against the
// pods that exist, for pods that went while rpa-server was down.
const DefaultSweepInterval = time.Minute

// Reconciler gives back the items of stopped pods. Requests carry the
// pod's namespace and its UID in place of the name.
type Reconciler struct {
	client.Client
	Items Items
	// SweepInterval is how often all holders are checked; zero takes the
	// default.
	SweepInterval time.Duration
}

// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups=rpa.dev,resources=workqueues,verbs=get;list;watch

// Reconcile returns what the pod with the request's UID held, unless that
// pod exists and has not stopped.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	uid := req.Name
	live, err := r.podLives(ctx, uid)
	if err != nil || live {
		return ctrl.Result{}, err
	}
	returned, err := r.Items.Abandon(ctx, uid, Actor, r.maxAttempts(ctx))
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("give back the items of pod %s: %w", uid, err)
	}
	for _, it := range returned {
		log.FromContext(ctx).Info("gave back the item of a stopped pod", "queue", it.Queue, "item", it.ID,
			"state", it.State, "attempts", it.Attempts, "run", it.Reason)
	}
	return ctrl.Result{}, nil
}

// podLives reports whether a pod with the UID exists and has not stopped.
func (r *Reconciler) podLives(ctx context.Context, uid string) (bool, error) {
	var pods corev1.PodList
	if err := r.List(ctx, &pods, client.MatchingFields{podUIDIndex: uid}); err != nil {
		return false, fmt.Errorf("find pod %s: %w", uid, err)
	}
	for _, pod := range pods.Items {
		if pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed {
			return true, nil
		}
	}
	return false, nil
}

// maxAttempts reads each item's queue policy; an item of a queue that no
// longer exists gets one attempt, so it fails instead of waiting forever.
func (r *Reconciler) maxAttempts(ctx context.Context) func(namespace, queue string) int {
	return func(namespace, queue string) int {
		wq := &rpav1alpha1.WorkQueue{}
		if err := r.Get(ctx, client.ObjectKey{Namespace: namespace, Name: queue}, wq); err != nil {
			return 1
		}
		return int(wq.Spec.MaxAttempts)
	}
}

// SetupWithManager watches the operator's robot pods and sweeps all
// holders every SweepInterval.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.SweepInterval == 0 {
		r.SweepInterval = DefaultSweepInterval
	}
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &corev1.Pod{}, podUIDIndex,
		func(obj client.Object) []string { return []string{string(obj.GetUID())} }); err != nil {
		return fmt.Errorf("index pods by UID: %w", err)
	}
	sweeps := make(chan event.GenericEvent)
	if err := mgr.Add(&sweeper{items: r.Items, every: r.SweepInterval, out: sweeps}); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("holds").
		WatchesRawSource(podStops(mgr)).
		WatchesRawSource(sweepSource(sweeps)).
		Complete(r)
}

// byUID is a request for the pod's UID in its namespace.
func byUID(pod client.Object) reconcile.Request {
	return reconcile.Request{NamespacedName: types.NamespacedName{Namespace: pod.GetNamespace(), Name: string(pod.GetUID())}}
}

// stopHandler enqueues a pod when it stops or is deleted.
type stopHandler struct{}

func (stopHandler) Create(_ context.Context, e event.TypedCreateEvent[*corev1.Pod], q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	if stopped(e.Object) {
		q.Add(byUID(e.Object))
	}
}

func (stopHandler) Update(_ context.Context, e event.TypedUpdateEvent[*corev1.Pod], q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	if stopped(e.ObjectNew) && !stopped(e.ObjectOld) {
		q.Add(byUID(e.ObjectNew))
	}
}

func (stopHandler) Delete(_ context.Context, e event.TypedDeleteEvent[*corev1.Pod], q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	q.Add(byUID(e.Object))
}

func (stopHandler) Generic(context.Context, event.TypedGenericEvent[*corev1.Pod], workqueue.TypedRateLimitingInterface[reconcile.Request]) {
}

func stopped(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
}

// CacheOptions caches only the operator's robot pods, and of them only
// what tells whether they stopped and whether the robot's container has
// ended (the run recorder fetches its log then): a cluster's other pods
// cost nothing.
func CacheOptions() cache.Options {
	ours := labels.SelectorFromSet(labels.Set{rpav1alpha1.LabelManagedBy: rpav1alpha1.ManagedBy})
	return cache.Options{
		ByObject: map[client.Object]cache.ByObject{&corev1.Pod{}: {Label: ours, Transform: podSummary}},
	}
}

// podSummary keeps a pod's identity (labels, the run-name annotation, its
// ServiceAccount), phase and its robot container's state: what tells
// whether it stopped, and which robot's run a pod calling the work-item
// API is.
func podSummary(obj any) (any, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	run := pod.Annotations[rpav1alpha1.AnnotationRunName]
	pod.ManagedFields, pod.Annotations = nil, nil
	if run != "" {
		pod.Annotations = map[string]string{rpav1alpha1.AnnotationRunName: run}
	}
	pod.Spec = corev1.PodSpec{ServiceAccountName: pod.Spec.ServiceAccountName}
	var robot []corev1.ContainerStatus
	for _, c := range pod.Status.ContainerStatuses {
		if c.Name == rpav1alpha1.RobotContainerName {
			robot = append(robot, corev1.ContainerStatus{Name: c.Name, State: c.State})
		}
	}
	pod.Status = corev1.PodStatus{Phase: pod.Status.Phase, ContainerStatuses: robot}
	return pod, nil
}
