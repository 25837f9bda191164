// Package kube holds the few ways the reconcilers read and write the
// apiserver, written once: a cache read confirmed by the apiserver, a
// status patch that refuses to overwrite a newer status, a Ready Event only
// on change, and queue adapters that delay or lower what a handler adds.
package kube

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ConflictRetryDelay is how soon an object whose write conflicted is
// reconciled again; the informer has the newer version by then.
const ConflictRetryDelay = 200 * time.Millisecond

// GetConfirmed reads obj from the cache and, when the cache does not have
// it and confirm is not nil, from confirm (the apiserver): an object
// created a moment ago may not be cached yet. found is false only when
// both said NotFound.
func GetConfirmed(ctx context.Context, cache, confirm client.Reader, key client.ObjectKey, obj client.Object) (found bool, err error) {
	err = cache.Get(ctx, key, obj)
	if apierrors.IsNotFound(err) && confirm != nil {
		err = confirm.Get(ctx, key, obj)
	}
	switch {
	case apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("get %T %s: %w", obj, key, err)
	}
	return true, nil
}

// PatchStatus writes updated's status with a merge patch from base that
// carries base's resourceVersion. written is false, with no error, when
// the apiserver refused it because the object changed or is gone since
// base was read: the caller reconciles again from a fresh read instead of
// writing a status computed from a stale one.
func PatchStatus(ctx context.Context, c client.Client, base, updated client.Object) (written bool, err error) {
	err = c.Status().Patch(ctx, updated, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
	switch {
	case apierrors.IsConflict(err) || apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("patch status of %T %s: %w", base, base.GetName(), err)
	}
	return true, nil
}

// RecordReadyTransition emits an Event when an object's Ready condition
// changes from old, so that a person watching Events sees a problem
// appear (or go) once, not on every reconcile. An object Ready from the
// start gets none: that is routine, and a fleet applied at once (Argo CD
// syncing hundreds of robots) would otherwise flood its namespace's Events.
// Call it after the status write, so a refused write does not repeat it.
func RecordReadyTransition(recorder events.EventRecorder, obj runtime.Object, old []metav1.Condition, ready metav1.Condition) {
	prev := meta.FindStatusCondition(old, ready.Type)
	if prev == nil && ready.Status == metav1.ConditionTrue {
		return
	}
	if prev != nil && prev.Status == ready.Status && prev.Reason == ready.Reason && prev.Message == ready.Message {
		return
	}
	eventType := corev1.EventTypeNormal
	if ready.Status != metav1.ConditionTrue {
		eventType = corev1.EventTypeWarning
	}
	recorder.Eventf(obj, nil, eventType, ready.Reason, "Validate", "%s", ready.Message)
}
