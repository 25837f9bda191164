package controllers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/slots"
)

// Shared resources a run may have to wait for, as named in
// status.waitingFor: a slot of a TargetSystem, an exclusive credential.
const (
	waitKindSystem     = "TargetSystem/"
	waitKindCredential = "Credential/"
)

// errSlotConflict means a ledger changed between read and write; the run is
// reconciled again shortly and decides afresh.
var errSlotConflict = errors.New("slot ledger changed concurrently")

// slotWait is what a run waits for before it may start: the reason of its
// Queued (or Pending) phase, a message for people and status.waitingFor.
type slotWait struct {
	phase   rpav1alpha1.RunPhase
	reason  string
	message string
	what    []string
}

// acquireSlots takes, all or nothing, a slot of every TargetSystem the robot
// names and every exclusive credential it uses. It returns nil when the run
// holds them all and may start. When one is not free, the ones taken in this
// call are given back, so that a waiting run never blocks a system it
// cannot use yet.
func (r *RobotRunReconciler) acquireSlots(ctx context.Context, run *rpav1alpha1.RobotRun, robot *rpav1alpha1.Robot,
	priority int32) (*slotWait, error) {
	me := claimantOf(run, priority)
	var taken []string
	giveBack := func() {
		for _, system := range taken {
			if err := r.releaseSystemSlot(ctx, system, string(run.UID)); err != nil {
				log.FromContext(ctx).Error(err, "give back slot", "system", system)
			}
		}
	}
	for _, system := range sortedSet(robot.Spec.Systems) {
		wait, err := r.takeSystemSlot(ctx, system, me)
		if err != nil || wait != nil {
			giveBack()
			return wait, err
		}
		taken = append(taken, system)
	}
	for _, secret := range exclusiveSecrets(robot) {
		wait, err := r.takeCredential(ctx, run.Namespace, secret, me)
		if err != nil || wait != nil {
			giveBack()
			return wait, err
		}
	}
	return nil, nil
}

// takeSystemSlot adds the run to the TargetSystem's holders if a slot is
// free and no run that goes before it waits for one. The write carries the
// resourceVersion read, so two reconciles (or two managers) can never both
// take the last slot: one of them gets a conflict and decides again.
func (r *RobotRunReconciler) takeSystemSlot(ctx context.Context, name string, me slots.Claimant) (*slotWait, error) {
	ts, err := r.targetSystem(ctx, name)
	if err != nil || ts == nil {
		return systemMissing(name), err
	}
	if holderIndex(ts.Status.Holders, me.UID) >= 0 {
		return nil, nil
	}
	free := int(ts.Spec.MaxConcurrentRuns) - len(ts.Status.Holders)
	waiting, err := r.claimantsWaitingFor(ctx, "", waitKindSystem+name)
	if err != nil {
		return nil, err
	}
	// A run that took a slot may still say it waits, until its own status
	// is written: it is a holder now, not ahead in the queue.
	waiting = slices.DeleteFunc(waiting, func(c slots.Claimant) bool { return holderIndex(ts.Status.Holders, c.UID) >= 0 })
	if !slots.MayTake(me, waiting, free) {
		return systemBusy(ts, free), nil
	}
	ts.Status.Holders = append(ts.Status.Holders, rpav1alpha1.SlotHolder{
		Namespace: me.Namespace, Name: me.Name, UID: me.UID, Priority: me.Priority, Since: metav1.NewTime(r.Clock.Now()),
	})
	ts.Status.Active = int32(len(ts.Status.Holders))
	if err := r.Status().Update(ctx, ts); err != nil {
		if apierrors.IsConflict(err) {
			return nil, errSlotConflict
		}
		return nil, fmt.Errorf("take a slot of TargetSystem %s: %w", name, err)
	}
	log.FromContext(ctx).Info("took a slot", "targetSystem", name, "active", ts.Status.Active, "max", ts.Spec.MaxConcurrentRuns)
	return nil, nil
}

// targetSystem reads a TargetSystem from the cache, confirming "not found"
// with the apiserver: one created a moment ago may not be cached yet.
func (r *RobotRunReconciler) targetSystem(ctx context.Context, name string) (*rpav1alpha1.TargetSystem, error) {
	ts := &rpav1alpha1.TargetSystem{}
	err := r.Get(ctx, client.ObjectKey{Name: name}, ts)
	if apierrors.IsNotFound(err) {
		err = r.APIReader.Get(ctx, client.ObjectKey{Name: name}, ts)
	}
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("get TargetSystem %s: %w", name, err)
	}
	return ts, nil
}

// releaseSlots gives back whatever the run holds: its TargetSystem slots
// and exclusive credentials. Called for every finished run, so a restart
// between finishing and releasing loses nothing; it does nothing when the
// run holds nothing.
func (r *RobotRunReconciler) releaseSlots(ctx context.Context, run *rpav1alpha1.RobotRun) error {
	var systems rpav1alpha1.TargetSystemList
	if err := r.List(ctx, &systems); err != nil {
		return fmt.Errorf("list TargetSystems: %w", err)
	}
	for i := range systems.Items {
		if holderIndex(systems.Items[i].Status.Holders, string(run.UID)) >= 0 {
			if err := r.releaseSystemSlot(ctx, systems.Items[i].Name, string(run.UID)); err != nil {
				return err
			}
		}
	}
	return r.releaseCredentials(ctx, run)
}

// releaseSystemSlot removes the run from the TargetSystem's holders.
func (r *RobotRunReconciler) releaseSystemSlot(ctx context.Context, name, uid string) error {
	ts := &rpav1alpha1.TargetSystem{}
	if err := r.Get(ctx, client.ObjectKey{Name: name}, ts); err != nil {
		return client.IgnoreNotFound(err)
	}
	i := holderIndex(ts.Status.Holders, uid)
	if i < 0 {
		return nil
	}
	ts.Status.Holders = slices.Delete(ts.Status.Holders, i, i+1)
	ts.Status.Active = int32(len(ts.Status.Holders))
	if err := r.Status().Update(ctx, ts); err != nil {
		if apierrors.IsConflict(err) {
			return errSlotConflict
		}
		return fmt.Errorf("release slot of TargetSystem %s: %w", name, err)
	}
	log.FromContext(ctx).Info("released a slot", "targetSystem", name, "active", ts.Status.Active)
	return nil
}

// claimantsWaitingFor lists the unfinished runs that wait for what (in
// namespace, or in all namespaces when namespace is ""), as claimants.
func (r *RobotRunReconciler) claimantsWaitingFor(ctx context.Context, namespace, what string) ([]slots.Claimant, error) {
	var runs rpav1alpha1.RobotRunList
	opts := []client.ListOption{client.MatchingFields{indexRunWaitingFor: what}}
	if namespace != "" {
		opts = append(opts, client.InNamespace(namespace))
	}
	if err := r.List(ctx, &runs, opts...); err != nil {
		return nil, fmt.Errorf("list runs waiting for %s: %w", what, err)
	}
	out := make([]slots.Claimant, 0, len(runs.Items))
	for i := range runs.Items {
		run := &runs.Items[i]
		if !run.Status.Phase.Finished() && !run.Spec.Cancel {
			out = append(out, claimantOf(run, run.Status.Priority))
		}
	}
	return out, nil
}

// effectivePriority is the run's own priority, or its robot's.
func effectivePriority(run *rpav1alpha1.RobotRun, robot *rpav1alpha1.Robot) int32 {
	if run.Spec.Priority != nil {
		return *run.Spec.Priority
	}
	return robot.Spec.Priority
}

func claimantOf(run *rpav1alpha1.RobotRun, priority int32) slots.Claimant {
	return slots.Claimant{
		Namespace: run.Namespace, Name: run.Name, UID: string(run.UID),
		Priority: priority, Created: orderTime(run),
	}
}

func holderIndex(holders []rpav1alpha1.SlotHolder, uid string) int {
	return slices.IndexFunc(holders, func(h rpav1alpha1.SlotHolder) bool { return h.UID == uid })
}

// systemMissing is the wait of a run whose robot names a TargetSystem that
// does not exist: Pending, since no slot will free up until someone creates
// it (the Robot says so too).
func systemMissing(name string) *slotWait {
	return &slotWait{
		phase:   rpav1alpha1.PhasePending,
		reason:  rpav1alpha1.ReasonTargetSystemNotFound,
		message: fmt.Sprintf("TargetSystem %s does not exist; create it (or remove it from the robot's spec.systems) and the run starts", name),
		what:    []string{waitKindSystem + name},
	}
}

// systemBusy is the wait of a run for a slot of a TargetSystem.
func systemBusy(ts *rpav1alpha1.TargetSystem, free int) *slotWait {
	msg := fmt.Sprintf("TargetSystem %s has %d of %d slots in use (%s)", ts.Name, len(ts.Status.Holders),
		ts.Spec.MaxConcurrentRuns, holderNames(ts.Status.Holders))
	if free > 0 {
		msg = fmt.Sprintf("TargetSystem %s has a free slot, but runs of higher priority or created earlier wait for it first", ts.Name)
	}
	return &slotWait{
		phase:   rpav1alpha1.PhaseQueued,
		reason:  rpav1alpha1.ReasonWaitingForSystem,
		message: msg + "; the run starts when a slot is free",
		what:    []string{waitKindSystem + ts.Name},
	}
}

func holderNames(holders []rpav1alpha1.SlotHolder) string {
	if len(holders) == 0 {
		return "none held"
	}
	names := make([]string, 0, len(holders))
	for _, h := range holders {
		names = append(names, h.Namespace+"/"+h.Name)
	}
	return "held by " + strings.Join(names, ", ")
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

func sortedSet(names []string) []string {
	out := slices.Clone(names)
	slices.Sort(out)
	return slices.Compact(out)
}
