package refs

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
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

// MissingTargetSystems lists the TargetSystems the robot names that do not
// exist.
func MissingTargetSystems(ctx context.Context, c client.Reader, robot *rpav1alpha1.Robot) ([]string, error) {
	var missing []string
	for _, name := range robot.Spec.Systems {
		err := c.Get(ctx, client.ObjectKey{Name: name}, &rpav1alpha1.TargetSystem{})
		switch {
		case apierrors.IsNotFound(err):
			missing = append(missing, name)
		case err != nil:
			return nil, fmt.Errorf("look up TargetSystem %s: %w", name, err)
		}
	}
	return missing, nil
}
