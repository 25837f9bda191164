// Package controllers holds the reconcilers that turn Robots and RobotRuns
// into Jobs and keep their status true to what happened.
package controllers

import (
	"context"
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// Options tune the controllers; the zero value is what production uses.
type Options struct{}

// Field indexes on the manager's cache, so that reconcilers look up related
// objects directly instead of scanning a namespace.
const (
	// indexRobotSecretName indexes Robots by the Secrets their credentials name.
	indexRobotSecretName = "spec.credentials.secretName"
)

// Setup registers the field indexes and every reconciler with the manager.
func Setup(mgr ctrl.Manager, _ Options) error {
	if err := registerIndexes(context.Background(), mgr); err != nil {
		return err
	}
	robots := &RobotReconciler{
		Client:   mgr.GetClient(),
		Recorder: mgr.GetEventRecorder("robot-controller"),
	}
	if err := robots.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up robot controller: %w", err)
	}
	return nil
}

func registerIndexes(ctx context.Context, mgr ctrl.Manager) error {
	err := mgr.GetFieldIndexer().IndexField(ctx, &rpav1alpha1.Robot{}, indexRobotSecretName, robotSecretNames)
	if err != nil {
		return fmt.Errorf("index robots by credential secret: %w", err)
	}
	return nil
}

// robotSecretNames lists the Secrets a Robot's credentials refer to.
func robotSecretNames(obj client.Object) []string {
	robot := obj.(*rpav1alpha1.Robot)
	names := make([]string, 0, len(robot.Spec.Credentials))
	for _, c := range robot.Spec.Credentials {
		names = append(names, c.SecretName)
	}
	return names
}
