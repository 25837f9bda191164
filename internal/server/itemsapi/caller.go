package itemsapi

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/authentication/serviceaccount"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/endpoints/request"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/server/queuestatus"
	"github.com/rpa-operator/rpa-operator/internal/workqueue/store"
)

var (
	workItemsResource = schema.GroupResource{Group: "queue.rpa.dev", Resource: "workitems"}
	queuesResource    = schema.GroupResource{Group: "queue.rpa.dev", Resource: "queues"}
)

// caller is who makes a request: always a user the apiserver
// authenticated, and a robot's pod when the user is a pod's bound token.
type caller struct {
	name string
	// pod is set for a robot: the live pod of a run, checked against the
	// cluster, with the robot it runs.
	pod   *corev1.Pod
	robot string
}

// holder is the pod as the store records who holds an item.
func (c caller) holder() store.Holder {
	return store.Holder{Run: c.pod.Annotations[rpav1alpha1.AnnotationRunName], Pod: c.pod.Name, PodUID: string(c.pod.UID)}
}

// callerOf reads the caller from the request. A pod-bound token's pod is
// looked up and must exist with that UID, run as that ServiceAccount in the
// request's namespace, not have stopped, and be a run's pod: extra info can
// also come from whoever may impersonate it, so none of it is taken on
// trust.
func callerOf(ctx context.Context, pods client.Reader) (caller, error) {
	u, ok := request.UserFrom(ctx)
	if !ok {
		return caller{}, apierrors.NewUnauthorized("no authenticated user")
	}
	c := caller{name: u.GetName()}
	if !podBound(u) {
		return c, nil
	}
	namespace, _ := request.NamespaceFrom(ctx)
	pod, robot, err := runPodOf(ctx, pods, u, namespace)
	if err != nil {
		return caller{}, apierrors.NewForbidden(workItemsResource, "", err)
	}
	c.pod, c.robot = pod, robot
	return c, nil
}

// podBound tells a pod's bound ServiceAccount token.
func podBound(u user.Info) bool {
	return extra(u, serviceaccount.PodNameKey) != "" && extra(u, serviceaccount.PodUIDKey) != ""
}

// runPodOf is the live run pod a pod-bound user is, in namespace, and the
// robot it runs.
func runPodOf(ctx context.Context, pods client.Reader, u user.Info, namespace string) (*corev1.Pod, string, error) {
	podName, podUID := extra(u, serviceaccount.PodNameKey), extra(u, serviceaccount.PodUIDKey)
	saNamespace, saName, err := serviceaccount.SplitUsername(u.GetName())
	if err != nil || saNamespace != namespace {
		return nil, "", fmt.Errorf("pod %s is not of namespace %s", podName, namespace)
	}
	pod := &corev1.Pod{}
	if err := pods.Get(ctx, client.ObjectKey{Namespace: namespace, Name: podName}, pod); err != nil {
		return nil, "", fmt.Errorf("pod %s is not a robot pod rpa-server knows", podName)
	}
	robot := pod.Labels[rpav1alpha1.LabelRobot]
	switch {
	case string(pod.UID) != podUID || pod.Spec.ServiceAccountName != saName:
		return nil, "", fmt.Errorf("the token does not belong to pod %s", podName)
	case pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed:
		return nil, "", fmt.Errorf("pod %s has stopped", podName)
	case robot == "" || pod.Annotations[rpav1alpha1.AnnotationRunName] == "":
		return nil, "", fmt.Errorf("pod %s is not a robot run's pod", podName)
	}
	return pod, robot, nil
}

func extra(u user.Info, key string) string {
	if values := u.GetExtra()[key]; len(values) == 1 {
		return strings.TrimSpace(values[0])
	}
	return ""
}

// queueFor reads the WorkQueue of a request, and checks that a robot
// caller's Robot may use it.
func queueFor(ctx context.Context, c client.Reader, who caller, namespace, name string) (store.Queue, error) {
	wq := &rpav1alpha1.WorkQueue{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, wq); err != nil {
		if apierrors.IsNotFound(err) {
			return store.Queue{}, apierrors.NewNotFound(schema.GroupResource{Group: "rpa.dev", Resource: "workqueues"}, name)
		}
		return store.Queue{}, apierrors.NewInternalError(err)
	}
	if who.pod != nil && !wq.Spec.AllowsRobot(who.robot) {
		return store.Queue{}, apierrors.NewForbidden(queuesResource, name, fmt.Errorf(
			"robot %s may not use queue %s: add it to the WorkQueue's spec.robots, or make it the queue's trigger robot", who.robot, name))
	}
	return queuestatus.Queue(wq), nil
}
