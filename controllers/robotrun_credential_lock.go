package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
	"github.com/rpa-operator/rpa-operator/controllers/slots"
)

// An exclusive credential is locked with a coordination.k8s.io Lease in the
// robot's namespace, one per Secret: its holderIdentity is the UID of the
// run using it. Creating and updating the Lease with the resourceVersion
// read makes taking it exact, and the Lease outlives controller restarts.
const (
	// annotationLeaseSecret names the Secret a Lease locks.
	annotationLeaseSecret = "rpa.dev/credential-secret"
	// annotationLeaseRun names the run holding the Lease, for people and
	// for deciding whether the holder is still running.
	annotationLeaseRun = "rpa.dev/run-name"
)

// credentialLeaseName is the Lease locking a Secret: readable, and within
// the 253 characters of a name however long the Secret's is.
func credentialLeaseName(secret string) string {
	name := "rpa-credential-" + secret
	if len(name) <= 253 {
		return name
	}
	sum := sha256.Sum256([]byte(secret))
	return name[:253-17] + "-" + hex.EncodeToString(sum[:8])
}

// takeCredential locks the Secret for the run, when no other active run
// holds it and no run that goes before it waits for it.
func (r *RobotRunReconciler) takeCredential(ctx context.Context, namespace, secret string, me slots.Claimant) (*slotWait, error) {
	lease := &coordinationv1.Lease{}
	err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: credentialLeaseName(secret)}, lease)
	switch {
	case apierrors.IsNotFound(err):
		lease = nil
	case err != nil:
		return nil, fmt.Errorf("get lease of credential %s: %w", secret, err)
	}
	if lease != nil && ptr.Deref(lease.Spec.HolderIdentity, "") == me.UID {
		return nil, nil
	}
	if lease != nil {
		busy, err := r.leaseHeld(ctx, lease)
		if err != nil {
			return nil, err
		}
		if busy {
			return credentialBusy(secret, lease.Annotations[annotationLeaseRun]), nil
		}
	}
	waiting, err := r.claimantsWaitingFor(ctx, namespace, waitKindCredential+secret)
	if err != nil {
		return nil, err
	}
	if lease != nil {
		holder := ptr.Deref(lease.Spec.HolderIdentity, "")
		waiting = slices.DeleteFunc(waiting, func(c slots.Claimant) bool { return c.UID == holder })
	}
	if !slots.MayTake(me, waiting, 1) {
		return credentialBusy(secret, ""), nil
	}
	return nil, r.writeLease(ctx, namespace, secret, lease, me)
}

// leaseHeld says whether the Lease's holder is a run that exists and has
// not finished. A holder that finished or was deleted without giving it
// back (the operator stopped in between) no longer holds it.
func (r *RobotRunReconciler) leaseHeld(ctx context.Context, lease *coordinationv1.Lease) (bool, error) {
	holder := ptr.Deref(lease.Spec.HolderIdentity, "")
	if holder == "" {
		return false, nil
	}
	run := &rpav1alpha1.RobotRun{}
	err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: lease.Namespace, Name: lease.Annotations[annotationLeaseRun]}, run)
	switch {
	case apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("get run holding lease %s: %w", lease.Name, err)
	}
	return string(run.UID) == holder && !run.Status.Phase.Finished(), nil
}

// writeLease creates the Lease for the run, or takes over a free one; a
// conflict means another run took it first.
func (r *RobotRunReconciler) writeLease(ctx context.Context, namespace, secret string, lease *coordinationv1.Lease, me slots.Claimant) error {
	now := metav1.NewMicroTime(r.Clock.Now())
	if lease == nil {
		lease = &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{
			Namespace: namespace, Name: credentialLeaseName(secret),
			Labels: map[string]string{jobs.LabelManagedBy: jobs.ManagedBy},
		}}
	}
	if lease.Annotations == nil {
		lease.Annotations = map[string]string{}
	}
	lease.Annotations[annotationLeaseSecret] = secret
	lease.Annotations[annotationLeaseRun] = me.Name
	lease.Spec.HolderIdentity = ptr.To(me.UID)
	lease.Spec.AcquireTime = &now
	var err error
	if lease.ResourceVersion == "" {
		err = r.Create(ctx, lease)
	} else {
		err = r.Update(ctx, lease)
	}
	switch {
	case apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err):
		return errSlotConflict
	case err != nil:
		return fmt.Errorf("lock credential %s: %w", secret, err)
	}
	log.FromContext(ctx).Info("locked exclusive credential", "secret", secret)
	return nil
}

// releaseCredentials deletes the Leases the run holds. The delete is
// conditional on the Lease's resourceVersion, so a Lease another run took
// in the meantime is left alone.
func (r *RobotRunReconciler) releaseCredentials(ctx context.Context, run *rpav1alpha1.RobotRun) error {
	var leases coordinationv1.LeaseList
	if err := r.List(ctx, &leases, client.InNamespace(run.Namespace),
		client.MatchingLabels{jobs.LabelManagedBy: jobs.ManagedBy}); err != nil {
		return fmt.Errorf("list credential leases: %w", err)
	}
	for i := range leases.Items {
		lease := &leases.Items[i]
		if ptr.Deref(lease.Spec.HolderIdentity, "") != string(run.UID) {
			continue
		}
		err := r.Delete(ctx, lease, client.Preconditions{UID: &lease.UID, ResourceVersion: &lease.ResourceVersion})
		switch {
		case apierrors.IsConflict(err):
			return errSlotConflict
		case err != nil && !apierrors.IsNotFound(err):
			return fmt.Errorf("release credential %s: %w", lease.Annotations[annotationLeaseSecret], err)
		}
		log.FromContext(ctx).Info("released exclusive credential", "secret", lease.Annotations[annotationLeaseSecret])
	}
	return nil
}

// credentialBusy is the wait of a run for an exclusive credential.
func credentialBusy(secret, holder string) *slotWait {
	msg := fmt.Sprintf("the exclusive credential %s is in use", secret)
	if holder != "" {
		msg = fmt.Sprintf("the exclusive credential %s is in use by run %s", secret, holder)
	} else {
		msg += " or other runs of higher priority or created earlier wait for it first"
	}
	return &slotWait{
		phase:   rpav1alpha1.PhaseQueued,
		reason:  rpav1alpha1.ReasonWaitingForCredential,
		message: msg + "; the run starts when it is free",
		what:    []string{waitKindCredential + secret},
	}
}
