package controllers

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// missingTargetSystems lists the TargetSystems the robot names that do not
// exist, so that the Robot, not only its stuck runs, says what is wrong.
func missingTargetSystems(ctx context.Context, c client.Reader, robot *rpav1alpha1.Robot) ([]string, error) {
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

// robotsForTargetSystem maps a TargetSystem (created or deleted) to the
// Robots that name it.
func (r *RobotReconciler) robotsForTargetSystem(ctx context.Context, obj client.Object) []reconcile.Request {
	var robots rpav1alpha1.RobotList
	if err := r.List(ctx, &robots, client.MatchingFields{indexRobotSystem: obj.GetName()}); err != nil {
		log.FromContext(ctx).Error(err, "list robots of TargetSystem", "targetSystem", obj.GetName())
		return nil
	}
	requests := make([]reconcile.Request, 0, len(robots.Items))
	for i := range robots.Items {
		requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&robots.Items[i])})
	}
	return requests
}
