package controllers

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
)

// CacheOptions configures the manager's informer cache.
//
// Managed fields are dropped from every cached object: the controllers never
// read them and they are often the larger part of an object. Objects watched
// as metadata only (the credential Secrets) also lose their annotations,
// because `kubectl apply` stores a Secret's whole content, values included,
// in the last-applied-configuration annotation; without this the operator
// would hold secret values in memory after all.
func CacheOptions() cache.Options {
	return cache.Options{DefaultTransform: stripForCache}
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
	if _, metadataOnly := obj.(*metav1.PartialObjectMetadata); metadataOnly {
		accessor.SetAnnotations(nil)
	}
	return obj, nil
}
