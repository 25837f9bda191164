package controllers

import (
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rpa-operator/rpa-operator/controllers/jobs"
)

// CacheOptions configures the manager's informer cache.
//
// Jobs, Pods and Leases are cached only when this operator created them (by label):
// a cluster's other workloads cost the operator no memory.
//
// Managed fields are dropped from every cached object: the controllers never
// read them and they are often the larger part of an object. Objects watched
// as metadata only (the credential Secrets) also lose their annotations,
// because `kubectl apply` stores a Secret's whole content, values included,
// in the last-applied-configuration annotation; without this the operator
// would hold secret values in memory after all. The run file annotation on
// Pods is dropped too, and a Job's pod template with it: it can be large
// and only the robot reads it.
func CacheOptions() cache.Options {
	ours := labels.SelectorFromSet(labels.Set{jobs.LabelManagedBy: jobs.ManagedBy})
	return cache.Options{
		DefaultTransform: stripForCache,
		ByObject: map[client.Object]cache.ByObject{
			&batchv1.Job{}: {Label: ours},
			&corev1.Pod{}:  {Label: ours},
			// The Leases locking exclusive credentials; not the leader
			// election Lease, nor any other component's.
			&coordinationv1.Lease{}: {Label: ours},
		},
	}
}

// stripForCache is the cache transform described on CacheOptions.
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
	case *metav1.PartialObjectMetadata:
		accessor.SetAnnotations(nil)
	case *corev1.Pod:
		// The run file (up to 128 KiB of arguments) is for the robot, not
		// for the controllers, which map pods to runs by the run-name annotation.
		delete(o.Annotations, jobs.AnnotationRunJSON)
		// The controllers read a pod's metadata and status (phase,
		// conditions, the robot container's state), never its spec; the
		// pods of finished runs stay as long as their runs' history.
		o.Spec = corev1.PodSpec{}
	case *batchv1.Job:
		// The controllers read a Job's status, its retry and deadline
		// settings and its own metadata, never its pod template or
		// selector (Jobs are created, never updated): caching the
		// containers, env, volumes, labels and run file of thousands of
		// Jobs would only cost memory (about half of a cached Job's).
		o.Spec.Template = corev1.PodTemplateSpec{}
		o.Spec.Selector = nil
	}
	return obj, nil
}
