// Package admission decides whether a run may start now (docs/schedules.md,
// docs/target-systems.md): its robot's concurrency policy and, all or
// nothing, a slot of every TargetSystem it uses and every exclusive
// credential, each kept in a Ledger. Whether a Secret exists is not asked:
// the manager cannot read Secrets, and the kubelet tells (runstatus). It returns a Decision
// that the RobotRun reconciler applies to the run's status before it
// creates the Job; the pure ordering of waiting runs is in package slots.
package admission

import (
	"context"
	"errors"
	"time"

	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/kube"
	"github.com/rpa-operator/rpa-operator/controllers/refs"
	"github.com/rpa-operator/rpa-operator/controllers/slots"
)

// Decision is whether a run may start now and, if not, what its status
// says while it waits (or how it ends).
type Decision struct {
	// Admitted means the run may start: it holds every slot it needs.
	Admitted bool
	// Phase is Queued or Pending while the run waits, Failed when it
	// cannot start at all; empty when admitted or deciding again.
	Phase rpav1alpha1.RunPhase
	// Reason and Message say why, for the run's Succeeded condition.
	Reason, Message string
	// WaitingFor is the run's status.waitingFor (TargetSystem/<name>,
	// Credential/<secret>): what other runs queue behind.
	WaitingFor []string
	// Priority is the run's effective priority, once slots were asked for.
	Priority *int32
	// RecheckAfter is when to decide again though nothing else may bring
	// the run back: a start deadline, or a ledger that changed meanwhile.
	RecheckAfter time.Duration
}

// Admitter makes Decisions. Its ledgers are taken in order, all or nothing.
type Admitter struct {
	// Client reads the cache and writes; APIReader reads the apiserver
	// where a stale cache could admit a run twice.
	Client    client.Client
	APIReader client.Reader
	Clock     clock.PassiveClock

	ledgers []Ledger
	locks   robotLocks
}

// New returns an Admitter with the TargetSystem and exclusive-credential
// ledgers.
func New(c client.Client, apiReader client.Reader, clk clock.PassiveClock) *Admitter {
	a := &Admitter{Client: c, APIReader: apiReader, Clock: clk}
	a.ledgers = []Ledger{&systemLedger{a}, &credentialLedger{a}}
	return a
}

// errLedgerConflict means a ledger changed between read and write; the run
// decides afresh shortly.
var errLedgerConflict = errors.New("slot ledger changed concurrently")

// Admit decides whether run may start now. unlock must be called once the
// run's Job is created (or its creation failed): under Forbid, Queue and
// Replace a robot's runs are admitted one at a time, and the next decision
// must see the Job of the one before.
func (a *Admitter) Admit(ctx context.Context, run *rpav1alpha1.RobotRun, robot *rpav1alpha1.Robot) (d Decision, unlock func(), err error) {
	unlock = func() {}
	if robot.Spec.ConcurrencyPolicy != rpav1alpha1.ConcurrencyAllow {
		unlock = a.locks.lock(run.Namespace, robot.Name)
	}
	if d, err := a.concurrency(ctx, run, robot); err != nil || !d.Admitted {
		return d, unlock, err
	}
	d, err = a.takeAll(ctx, run, robot)
	return d, unlock, err
}

// podsGoneRecheck is how soon a finished run whose pod is still stopping
// is looked at again, should the pod's end not bring it back first.
const podsGoneRecheck = 5 * time.Second

// Release gives back whatever a finished run holds in every ledger, once
// no pod of the run is left running: a cancelled or replaced run's pod
// keeps its accounts and its system session through its grace period. It
// is called for every finished run, so a restart between finishing and
// releasing loses nothing. requeueAfter is non-zero when the pods are not
// gone yet or a ledger changed meanwhile.
func (a *Admitter) Release(ctx context.Context, run *rpav1alpha1.RobotRun) (requeueAfter time.Duration, err error) {
	held, err := a.holds(ctx, run)
	if err != nil || !held {
		return 0, err
	}
	live, err := refs.RunHasLivePods(ctx, a.APIReader, run.Namespace, run.Name)
	if err != nil || live {
		return podsGoneRecheck, err
	}
	for _, l := range a.ledgers {
		if err := l.GiveBack(ctx, run); errors.Is(err, errLedgerConflict) {
			return kube.ConflictRetryDelay, nil
		} else if err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// holds reports whether the run holds anything of any ledger.
func (a *Admitter) holds(ctx context.Context, run *rpav1alpha1.RobotRun) (bool, error) {
	for _, l := range a.ledgers {
		if held, err := l.Holds(ctx, run); err != nil || held {
			return held, err
		}
	}
	return false, nil
}

// takeAll takes what the run needs of every ledger, or nothing: when one
// is not free, what this call took is given back, so that a waiting run
// never blocks a system it cannot use yet.
func (a *Admitter) takeAll(ctx context.Context, run *rpav1alpha1.RobotRun, robot *rpav1alpha1.Robot) (Decision, error) {
	priority := run.EffectivePriority(robot)
	claim := Claim{Run: run, Robot: robot, Claimant: claimantOf(run, priority)}
	var undos []func(context.Context)
	for _, l := range a.ledgers {
		undo, wait, err := l.Take(ctx, claim)
		if err == nil && wait == nil {
			undos = append(undos, undo)
			continue
		}
		for _, undo := range undos {
			undo(ctx)
		}
		d := Decision{Priority: &priority}
		switch {
		case errors.Is(err, errLedgerConflict):
			d.RecheckAfter = kube.ConflictRetryDelay
			return d, nil
		case err != nil:
			return d, err
		}
		d.Phase, d.Reason, d.Message, d.WaitingFor = wait.Phase, wait.Reason, wait.Message, wait.What
		return d, nil
	}
	return Decision{Admitted: true, Priority: &priority}, nil
}

// claimantOf is the run as slots orders it.
func claimantOf(run *rpav1alpha1.RobotRun, priority int32) slots.Claimant {
	return slots.Claimant{
		Namespace: run.Namespace, Name: run.Name, UID: string(run.UID),
		Priority: priority, Created: run.OrderTime(),
	}
}

// claimantsWaitingFor lists, as claimants, the runs not cancelled that
// wait for what (in namespace, or in all namespaces when it is "").
func (a *Admitter) claimantsWaitingFor(ctx context.Context, namespace, what string) ([]slots.Claimant, error) {
	runs, err := refs.RunsWaitingFor(ctx, a.Client, namespace, what)
	if err != nil {
		return nil, err
	}
	out := make([]slots.Claimant, 0, len(runs))
	for i := range runs {
		run := &runs[i]
		if !run.Status.Phase.Finished() && !run.Spec.Cancel {
			out = append(out, claimantOf(run, run.Status.Priority))
		}
	}
	return out, nil
}
