package admission

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

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/refs"
	"github.com/rpa-operator/rpa-operator/controllers/slots"
)

// credentialLedger locks each exclusive credential with a
// coordination.k8s.io Lease in the robot's namespace, one per Secret, whose
// holderIdentity is the UID of the run using it. The Lease outlives
// controller restarts.
type credentialLedger struct{ a *Admitter }

// leaseName is the Lease locking a Secret: readable, and within the 253
// characters of a name however long the Secret's is.
func leaseName(secret string) string {
	name := "rpa-credential-" + secret
	if len(name) <= 253 {
		return name
	}
	sum := sha256.Sum256([]byte(secret))
	return name[:253-17] + "-" + hex.EncodeToString(sum[:8])
}

// Take locks every exclusive credential of the robot, in the same order
// for every run, when no other active run holds it and no run that goes
// before it waits for it.
func (l *credentialLedger) Take(ctx context.Context, claim Claim) (func(context.Context), *Wait, error) {
	var taken []*coordinationv1.Lease
	undo := func(ctx context.Context) {
		for _, lease := range taken {
			l.unlock(ctx, lease)
		}
	}
	for _, secret := range exclusiveSecrets(claim.Robot) {
		lease, wait, err := l.lock(ctx, claim.Run.Namespace, secret, claim.Claimant)
		if err != nil || wait != nil {
			undo(ctx)
			return nil, wait, err
		}
		if lease != nil {
			taken = append(taken, lease)
		}
	}
	return undo, nil, nil
}

// lock takes the Lease of a Secret for the run and returns it as written,
// or nil when the run held it already.
func (l *credentialLedger) lock(ctx context.Context, namespace, secret string, me slots.Claimant) (*coordinationv1.Lease, *Wait, error) {
	lease := &coordinationv1.Lease{}
	err := l.a.APIReader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: leaseName(secret)}, lease)
	switch {
	case apierrors.IsNotFound(err):
		lease = nil
	case err != nil:
		return nil, nil, fmt.Errorf("get lease of credential %s: %w", secret, err)
	}
	if lease != nil && ptr.Deref(lease.Spec.HolderIdentity, "") == me.UID {
		return nil, nil, nil
	}
	if lease != nil {
		busy, err := l.held(ctx, lease)
		if err != nil {
			return nil, nil, err
		}
		if busy {
			return nil, credentialBusy(secret, lease.Annotations[rpav1alpha1.AnnotationRunName]), nil
		}
	}
	waiting, err := l.a.claimantsWaitingFor(ctx, namespace, rpav1alpha1.WaitingForCredential+secret)
	if err != nil {
		return nil, nil, err
	}
	if lease != nil {
		holder := ptr.Deref(lease.Spec.HolderIdentity, "")
		waiting = slices.DeleteFunc(waiting, func(c slots.Claimant) bool { return c.UID == holder })
	}
	if !slots.MayTake(me, waiting, 1) {
		return nil, credentialBusy(secret, ""), nil
	}
	written, err := l.write(ctx, namespace, secret, lease, me)
	return written, nil, err
}

// unlock deletes a Lease this admission took a moment ago, as the
// apiserver answered its write: a Lease changed since is left alone.
func (l *credentialLedger) unlock(ctx context.Context, lease *coordinationv1.Lease) {
	err := l.a.Client.Delete(ctx, lease, client.Preconditions{UID: &lease.UID, ResourceVersion: &lease.ResourceVersion})
	if client.IgnoreNotFound(err) != nil {
		logFrom(ctx).Error(err, "give back a credential of a run not admitted", "lease", lease.Name)
	}
}

// held says whether the Lease's holder is a run that exists and has not
// finished. A holder that finished or was deleted without giving it back
// (the operator stopped in between) no longer holds it.
func (l *credentialLedger) held(ctx context.Context, lease *coordinationv1.Lease) (bool, error) {
	holder := ptr.Deref(lease.Spec.HolderIdentity, "")
	if holder == "" {
		return false, nil
	}
	run := &rpav1alpha1.RobotRun{}
	err := l.a.APIReader.Get(ctx, client.ObjectKey{Namespace: lease.Namespace, Name: lease.Annotations[rpav1alpha1.AnnotationRunName]}, run)
	switch {
	case apierrors.IsNotFound(err):
		return refs.RunHasLivePods(ctx, l.a.APIReader, lease.Namespace, lease.Annotations[rpav1alpha1.AnnotationRunName])
	case err != nil:
		return false, fmt.Errorf("get run holding lease %s: %w", lease.Name, err)
	}
	if string(run.UID) == holder && !run.Status.Phase.Finished() {
		return true, nil
	}
	// Finished or gone, the holder's pod may still be stopping.
	return refs.RunHasLivePods(ctx, l.a.APIReader, lease.Namespace, lease.Annotations[rpav1alpha1.AnnotationRunName])
}

// write creates the Lease for the run, or takes over a free one, and
// returns it as written; a conflict means another run took it first.
func (l *credentialLedger) write(ctx context.Context, namespace, secret string, lease *coordinationv1.Lease,
	me slots.Claimant) (*coordinationv1.Lease, error) {
	now := metav1.NewMicroTime(l.a.Clock.Now())
	if lease == nil {
		lease = &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{
			Namespace: namespace, Name: leaseName(secret),
			Labels: map[string]string{rpav1alpha1.LabelManagedBy: rpav1alpha1.ManagedBy},
		}}
	}
	if lease.Annotations == nil {
		lease.Annotations = map[string]string{}
	}
	lease.Annotations[rpav1alpha1.AnnotationCredentialSecret] = secret
	lease.Annotations[rpav1alpha1.AnnotationRunName] = me.Name
	lease.Spec.HolderIdentity = ptr.To(me.UID)
	lease.Spec.AcquireTime = &now
	var err error
	if lease.ResourceVersion == "" {
		err = l.a.Client.Create(ctx, lease)
	} else {
		err = l.a.Client.Update(ctx, lease)
	}
	switch {
	case apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err):
		return nil, errLedgerConflict
	case err != nil:
		return nil, fmt.Errorf("lock credential %s: %w", secret, err)
	}
	logFrom(ctx).Info("locked exclusive credential", "secret", secret)
	return lease, nil
}

// heldBy lists, from the cache, the credential Leases the run holds.
func (l *credentialLedger) heldBy(ctx context.Context, run *rpav1alpha1.RobotRun) ([]coordinationv1.Lease, error) {
	var leases coordinationv1.LeaseList
	if err := l.a.Client.List(ctx, &leases, client.InNamespace(run.Namespace),
		client.MatchingLabels{rpav1alpha1.LabelManagedBy: rpav1alpha1.ManagedBy}); err != nil {
		return nil, fmt.Errorf("list credential leases: %w", err)
	}
	return slices.DeleteFunc(leases.Items, func(lease coordinationv1.Lease) bool {
		return ptr.Deref(lease.Spec.HolderIdentity, "") != string(run.UID)
	}), nil
}

// Holds reports whether the run holds an exclusive credential.
func (l *credentialLedger) Holds(ctx context.Context, run *rpav1alpha1.RobotRun) (bool, error) {
	leases, err := l.heldBy(ctx, run)
	return len(leases) > 0, err
}

// GiveBack deletes the Leases the run holds. The delete is conditional on
// the Lease's resourceVersion, so a Lease another run took meanwhile stays.
func (l *credentialLedger) GiveBack(ctx context.Context, run *rpav1alpha1.RobotRun) error {
	leases, err := l.heldBy(ctx, run)
	if err != nil {
		return err
	}
	for i := range leases {
		lease := &leases[i]
		err := l.a.Client.Delete(ctx, lease, client.Preconditions{UID: &lease.UID, ResourceVersion: &lease.ResourceVersion})
		switch {
		case apierrors.IsConflict(err):
			return errLedgerConflict
		case err != nil && !apierrors.IsNotFound(err):
			return fmt.Errorf("release credential %s: %w", lease.Annotations[rpav1alpha1.AnnotationCredentialSecret], err)
		}
		logFrom(ctx).Info("released exclusive credential", "secret", lease.Annotations[rpav1alpha1.AnnotationCredentialSecret])
	}
	return nil
}

// credentialBusy is the wait of a run for an exclusive credential.
func credentialBusy(secret, holder string) *Wait {
	msg := fmt.Sprintf("the exclusive credential %s is in use", secret)
	if holder != "" {
		msg = fmt.Sprintf("the exclusive credential %s is in use by run %s", secret, holder)
	} else {
		msg += " or other runs of higher priority or created earlier wait for it first"
	}
	return &Wait{
		Phase:   rpav1alpha1.PhaseQueued,
		Reason:  rpav1alpha1.ReasonWaitingForCredential,
		Message: msg + "; the run starts when it is free",
		What:    []string{rpav1alpha1.WaitingForCredential + secret},
	}
}

// exclusiveSecrets are the Secrets of the robot's exclusive credentials,
// sorted so that every run takes them in the same order.
func exclusiveSecrets(robot *rpav1alpha1.Robot) []string {
	var names []string
	for _, c := range robot.Spec.Credentials {
		if c.Exclusive {
			names = append(names, c.SecretName)
		}
	}
	return sortedSet(names)
}
