package admission

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/kube"
	"github.com/rpa-operator/rpa-operator/controllers/refs"
	"github.com/rpa-operator/rpa-operator/controllers/slots"
)

// A Ledger keeps who holds a kind of shared resource that runs take before
// they start. Every write carries the resourceVersion read, so two
// reconciles (or two managers) never both take the last slot: one of them
// gets errLedgerConflict and decides again.
type Ledger interface {
	// Take takes everything the claim needs of this ledger, or nothing:
	// when something is not free it gives back what it took in this call
	// and says what the run waits for (wait is nil when the run holds all
	// now). undo gives back what this call took, should a later ledger
	// refuse the run; what the run held before is left alone, since its
	// Job may exist already (the cache can lag behind it).
	Take(ctx context.Context, claim Claim) (undo func(context.Context), wait *Wait, err error)
	// Holds reports, from the cache, whether the run holds anything of
	// this ledger.
	Holds(ctx context.Context, run *rpav1alpha1.RobotRun) (bool, error)
	// GiveBack returns whatever the finished run holds of this ledger.
	GiveBack(ctx context.Context, run *rpav1alpha1.RobotRun) error
}

// Claim is a run asking a ledger for what its robot needs.
type Claim struct {
	Run      *rpav1alpha1.RobotRun
	Robot    *rpav1alpha1.Robot
	Claimant slots.Claimant
}

// Wait is what a run waits for in a ledger: the phase and reason of its
// status, a message for people and its status.waitingFor.
type Wait struct {
	Phase           rpav1alpha1.RunPhase
	Reason, Message string
	What            []string
}

// systemLedger is the holders list in each TargetSystem's status.
type systemLedger struct{ a *Admitter }

// Take adds the run to the holders of every TargetSystem its robot names,
// when a slot is free and no run that goes before it waits for one.
func (l *systemLedger) Take(ctx context.Context, claim Claim) (func(context.Context), *Wait, error) {
	var taken []string
	undo := func(ctx context.Context) {
		for _, name := range taken {
			l.release(ctx, name, claim.Claimant.UID)
		}
	}
	for _, name := range sortedSet(claim.Robot.Spec.Systems) {
		took, wait, err := l.takeSlot(ctx, name, claim.Claimant)
		if err != nil || wait != nil {
			undo(ctx)
			return nil, wait, err
		}
		if took {
			taken = append(taken, name)
		}
	}
	return undo, nil, nil
}

// takeSlot takes a slot of the TargetSystem; took is false when the run
// held it already.
func (l *systemLedger) takeSlot(ctx context.Context, name string, me slots.Claimant) (took bool, wait *Wait, err error) {
	ts := &rpav1alpha1.TargetSystem{}
	found, err := kube.GetConfirmed(ctx, l.a.Client, l.a.APIReader, client.ObjectKey{Name: name}, ts)
	if err != nil || !found {
		return false, systemMissing(name), err
	}
	if ts.Status.HolderIndex(me.UID) >= 0 {
		return false, nil, nil
	}
	if allowed, err := l.allows(ctx, ts, me.Namespace); err != nil || !allowed {
		return false, systemNotAllowed(name, me.Namespace), err
	}
	free := int(ts.Spec.MaxConcurrentRuns) - len(ts.Status.Holders)
	waiting, err := l.a.claimantsWaitingFor(ctx, "", rpav1alpha1.WaitingForTargetSystem+name)
	if err != nil {
		return false, nil, err
	}
	// A run that took a slot may still say it waits, until its own status
	// is written: it is a holder now, not ahead in the queue.
	waiting = slices.DeleteFunc(waiting, func(c slots.Claimant) bool { return ts.Status.HolderIndex(c.UID) >= 0 })
	share := slots.Share{Limit: ts.Spec.NamespaceShare(), Held: heldPerNamespace(ts.Status.Holders)}
	if !slots.MayTakeShare(me, waiting, free, share) {
		return false, systemBusy(ts, free, me.Namespace, share), nil
	}
	ts.Status.Holders = append(ts.Status.Holders, rpav1alpha1.SlotHolder{
		Namespace: me.Namespace, Name: me.Name, UID: me.UID, Priority: me.Priority, Since: metav1.NewTime(l.a.Clock.Now()),
	})
	ts.Status.Active = int32(len(ts.Status.Holders))
	if err := l.a.Client.Status().Update(ctx, ts); err != nil {
		if apierrors.IsConflict(err) {
			return false, nil, errLedgerConflict
		}
		return false, nil, fmt.Errorf("take a slot of TargetSystem %s: %w", name, err)
	}
	logFrom(ctx).Info("took a slot", "targetSystem", name, "active", ts.Status.Active, "max", ts.Spec.MaxConcurrentRuns)
	return true, nil, nil
}

// allows reports whether runs of the namespace may use the TargetSystem,
// by the namespace's labels as the cache has them.
func (l *systemLedger) allows(ctx context.Context, ts *rpav1alpha1.TargetSystem, namespace string) (bool, error) {
	if ts.Spec.NamespaceSelector == nil {
		return true, nil
	}
	labels, err := refs.NamespaceLabels(ctx, l.a.Client, namespace)
	if err != nil {
		return false, err
	}
	return ts.Spec.AllowsNamespace(labels), nil
}

// heldPerNamespace counts the holders of each namespace.
func heldPerNamespace(holders []rpav1alpha1.SlotHolder) map[string]int {
	held := map[string]int{}
	for _, h := range holders {
		held[h.Namespace]++
	}
	return held
}

// release gives back a slot this admission took a moment ago, reading the
// TargetSystem from the apiserver (the cache may not show the slot yet)
// and trying again on a conflict.
func (l *systemLedger) release(ctx context.Context, name, uid string) {
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		ts := &rpav1alpha1.TargetSystem{}
		if err := l.a.APIReader.Get(ctx, client.ObjectKey{Name: name}, ts); err != nil {
			return client.IgnoreNotFound(err)
		}
		i := ts.Status.HolderIndex(uid)
		if i < 0 {
			return nil
		}
		ts.Status.Holders = slices.Delete(ts.Status.Holders, i, i+1)
		ts.Status.Active = int32(len(ts.Status.Holders))
		return client.IgnoreNotFound(l.a.Client.Status().Update(ctx, ts))
	})
	if err != nil {
		logFrom(ctx).Error(err, "give back a slot of a run not admitted", "targetSystem", name)
	}
}

// Holds reports whether the run holds a slot of any TargetSystem.
func (l *systemLedger) Holds(ctx context.Context, run *rpav1alpha1.RobotRun) (bool, error) {
	var systems rpav1alpha1.TargetSystemList
	if err := l.a.Client.List(ctx, &systems, client.UnsafeDisableDeepCopy); err != nil {
		return false, fmt.Errorf("list TargetSystems: %w", err)
	}
	return slices.ContainsFunc(systems.Items, func(ts rpav1alpha1.TargetSystem) bool {
		return ts.Status.HolderIndex(string(run.UID)) >= 0
	}), nil
}

// GiveBack removes the run from the holders of every TargetSystem.
func (l *systemLedger) GiveBack(ctx context.Context, run *rpav1alpha1.RobotRun) error {
	var systems rpav1alpha1.TargetSystemList
	if err := l.a.Client.List(ctx, &systems); err != nil {
		return fmt.Errorf("list TargetSystems: %w", err)
	}
	for i := range systems.Items {
		ts := &systems.Items[i]
		j := ts.Status.HolderIndex(string(run.UID))
		if j < 0 {
			continue
		}
		ts.Status.Holders = slices.Delete(ts.Status.Holders, j, j+1)
		ts.Status.Active = int32(len(ts.Status.Holders))
		if err := l.a.Client.Status().Update(ctx, ts); apierrors.IsConflict(err) {
			return errLedgerConflict
		} else if client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("release slot of TargetSystem %s: %w", ts.Name, err)
		}
		logFrom(ctx).Info("released a slot", "targetSystem", ts.Name, "active", ts.Status.Active)
	}
	return nil
}

// systemMissing is the wait of a run whose robot names a TargetSystem that
// does not exist: Pending, since no slot frees up until someone creates it.
func systemMissing(name string) *Wait {
	return &Wait{
		Phase:   rpav1alpha1.PhasePending,
		Reason:  rpav1alpha1.ReasonTargetSystemNotFound,
		Message: fmt.Sprintf("TargetSystem %s does not exist; create it (or remove it from the robot's spec.systems) and the run starts", name),
		What:    []string{rpav1alpha1.WaitingForTargetSystem + name},
	}
}

// systemNotAllowed is the wait of a run whose namespace the TargetSystem's
// namespaceSelector leaves out: Pending, since only a person can change it.
func systemNotAllowed(name, namespace string) *Wait {
	return &Wait{
		Phase:  rpav1alpha1.PhasePending,
		Reason: rpav1alpha1.ReasonTargetSystemNotAllowed,
		Message: fmt.Sprintf("TargetSystem %s does not let robots of namespace %s use it (its spec.namespaceSelector); "+
			"ask the platform team to allow the namespace, and the run starts", name, namespace),
		What: []string{rpav1alpha1.WaitingForTargetSystem + name},
	}
}

// systemBusy is the wait of a run of namespace for a slot of a TargetSystem.
func systemBusy(ts *rpav1alpha1.TargetSystem, free int, namespace string, share slots.Share) *Wait {
	msg := fmt.Sprintf("TargetSystem %s has %d of %d slots in use (%s)", ts.Name, len(ts.Status.Holders),
		ts.Spec.MaxConcurrentRuns, holderNames(ts.Status.Holders, namespace))
	switch {
	case ts.Spec.MaxConcurrentRunsPerNamespace != nil && share.Held[namespace] >= share.Limit:
		msg = fmt.Sprintf("TargetSystem %s lets one namespace have %d runs at once, and this namespace has %d (%s)",
			ts.Name, share.Limit, share.Held[namespace], holderNames(ts.Status.Holders, namespace))
	case free > 0:
		msg = fmt.Sprintf("TargetSystem %s has a free slot, but runs of higher priority or created earlier wait for it first", ts.Name)
	}
	return &Wait{
		Phase:   rpav1alpha1.PhaseQueued,
		Reason:  rpav1alpha1.ReasonWaitingForSystem,
		Message: msg + "; the run starts when a slot is free",
		What:    []string{rpav1alpha1.WaitingForTargetSystem + ts.Name},
	}
}

// holdersNamed is how many of its own namespace's holders a waiting run's
// message names; the rest are counted, so the message stays small.
const holdersNamed = 5

// holderNames says who holds the slots, as a run of namespace may see it:
// the runs of its own namespace by name (a few), other tenants' as a count.
func holderNames(holders []rpav1alpha1.SlotHolder, namespace string) string {
	if len(holders) == 0 {
		return "none held"
	}
	var own []string
	for _, h := range holders {
		if h.Namespace == namespace {
			own = append(own, h.Name)
		}
	}
	var parts []string
	if len(own) > 0 {
		named := strings.Join(own[:min(len(own), holdersNamed)], ", ")
		if len(own) > holdersNamed {
			named += fmt.Sprintf(" and %d more", len(own)-holdersNamed)
		}
		parts = append(parts, "runs "+named+" of this namespace")
	}
	if others := len(holders) - len(own); others > 0 {
		parts = append(parts, fmt.Sprintf("%d of other namespaces", others))
	}
	return "held by " + strings.Join(parts, " and ")
}

func sortedSet(names []string) []string {
	out := slices.Clone(names)
	slices.Sort(out)
	return slices.Compact(out)
}
