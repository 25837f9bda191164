package refs

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
	"github.com/rpa-operator/rpa-operator/controllers/schedule"
)

// RunHasLivePods reports whether a pod of the run has not stopped yet: a
// cancelled run's pod in its grace period still works, logged in with the
// run's accounts. Pods are found by the run label the operator puts on them
// and confirmed by the run-name annotation (the label is shortened for
// long names).
func RunHasLivePods(ctx context.Context, c client.Reader, namespace, run string) (bool, error) {
	var pods corev1.PodList
	err := c.List(ctx, &pods, client.InNamespace(namespace), client.MatchingLabels{
		rpav1alpha1.LabelRun: jobs.LabelValue(run), rpav1alpha1.LabelManagedBy: rpav1alpha1.ManagedBy,
	})
	if err != nil {
		return false, fmt.Errorf("list pods of run %s: %w", run, err)
	}
	for i := range pods.Items {
		pod := &pods.Items[i]
		if pod.Annotations[rpav1alpha1.AnnotationRunName] == run && pod.Status.Phase != corev1.PodSucceeded &&
			pod.Status.Phase != corev1.PodFailed {
			return true, nil
		}
	}
	return false, nil
}

// UnusableTargetSystems lists the TargetSystems the robot names that do
// not exist (missing) and those whose namespaceSelector leaves out the
// robot's namespace (notAllowed).
func UnusableTargetSystems(ctx context.Context, c client.Reader, robot *rpav1alpha1.Robot) (missing, notAllowed []string, err error) {
	var nsLabels map[string]string
	labelsRead := false
	for _, name := range robot.Spec.Systems {
		ts := &rpav1alpha1.TargetSystem{}
		err := c.Get(ctx, client.ObjectKey{Name: name}, ts)
		switch {
		case apierrors.IsNotFound(err):
			missing = append(missing, name)
			continue
		case err != nil:
			return nil, nil, fmt.Errorf("look up TargetSystem %s: %w", name, err)
		case ts.Spec.NamespaceSelector == nil:
			continue
		}
		if !labelsRead {
			if nsLabels, err = NamespaceLabels(ctx, c, robot.Namespace); err != nil {
				return nil, nil, err
			}
			labelsRead = true
		}
		if !ts.Spec.AllowsNamespace(nsLabels) {
			notAllowed = append(notAllowed, name)
		}
	}
	return missing, notAllowed, nil
}

// NamespaceLabels returns the labels of a namespace, read from the cache as
// metadata only (TargetSystems' namespaceSelector matches them). A
// namespace that does not exist has none.
func NamespaceLabels(ctx context.Context, c client.Reader, name string) (map[string]string, error) {
	ns := &metav1.PartialObjectMetadata{}
	ns.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
	if err := c.Get(ctx, client.ObjectKey{Name: name}, ns); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("read namespace %s: %w", name, err)
	}
	return ns.Labels, nil
}

// Calendar reads and compiles the RobotCalendar name of the namespace:
// missing when it does not exist, invalid when it has a date or zone only
// the operator can tell is wrong; err is for a lookup that failed.
func Calendar(ctx context.Context, c client.Reader, namespace, name string) (cal *schedule.Calendar, missing bool, invalid, err error) {
	obj := &rpav1alpha1.RobotCalendar{}
	err = c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, obj)
	switch {
	case apierrors.IsNotFound(err):
		return nil, true, nil, nil
	case err != nil:
		return nil, false, nil, fmt.Errorf("read calendar %s: %w", name, err)
	}
	cal, invalid = schedule.CompileCalendar(obj)
	return cal, false, invalid, nil
}
