package controllers

import (
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// CacheOptions configures the manager's informer cache: Jobs, Pods and
// Leases only when this operator created them (by label), so a cluster's
// other workloads cost it no memory, and each object without what the
// controllers never read (stripForCache).
func CacheOptions() cache.Options {
	ours := labels.SelectorFromSet(labels.Set{rpav1alpha1.LabelManagedBy: rpav1alpha1.ManagedBy})
	return cache.Options{
		DefaultTransform: stripForCache,
		ByObject: map[client.Object]cache.ByObject{
			&batchv1.Job{}: {Label: ours},
			&corev1.Pod{}:  {Label: ours},
			// The Leases locking exclusive credentials; not the leader
			// election Lease, nor any other component's.
			&coordinationv1.Lease{}: {Label: ours},
			// The RoleBindings giving queue robots the work-item API.
			&rbacv1.RoleBinding{}: {Label: ours},
		},
	}
}

// stripForCache drops from every cached object its managed fields, and:
//   - from Pods their spec and the run file annotation (the controllers map
//     pods to runs by the run-name annotation and read only their status);
//   - from Jobs their pod template and selector (Jobs are created, never
//     updated; the controllers read status, retry and deadline settings).
func stripForCache(obj any) (any, error) {
	if tombstone, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		return tombstone, nil
	}
	accessor, ok := obj.(metav1.Object)
	if !ok {
		return obj, nil
	}
	accessor.SetManagedFields(nil)
	switch o := obj.(type) {
	case *corev1.Pod:
		delete(o.Annotations, rpav1alpha1.AnnotationRunJSON)
		o.Spec = corev1.PodSpec{}
	case *batchv1.Job:
		o.Spec.Template = corev1.PodTemplateSpec{}
		o.Spec.Selector = nil
	}
	return obj, nil
}
