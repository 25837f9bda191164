package plugin

import (
	"context"
	"fmt"
	"io"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// waitForRun watches the run until it has finished or, when until is set,
// until until says stop, and returns the run as last seen. It watches
// rather than polls: the controller writes status as things happen.
func waitForRun(ctx context.Context, env *Env, run *rpav1alpha1.RobotRun, until func(*rpav1alpha1.RobotRun) bool) (*rpav1alpha1.RobotRun, error) {
	done := func(r *rpav1alpha1.RobotRun) bool {
		return r.Status.Phase.Finished() || (until != nil && until(r))
	}
	for {
		current, err := getRun(ctx, env, run.Name)
		if err != nil {
			return run, err
		}
		if done(current) {
			return current, nil
		}
		// Watch from the version just read, so no change is missed between
		// the read and the watch; a closed watch (timeout, apiserver restart)
		// starts over with a fresh read.
		last, err := watchRun(ctx, env, current, done)
		if err != nil {
			return current, err
		}
		if last != nil {
			return last, nil
		}
	}
}

// watchRun returns the first version of the run that done accepts, or nil
// when the watch closed before one came.
func watchRun(ctx context.Context, env *Env, run *rpav1alpha1.RobotRun, done func(*rpav1alpha1.RobotRun) bool) (*rpav1alpha1.RobotRun, error) {
	w, err := env.Client.Watch(ctx, &rpav1alpha1.RobotRunList{}, client.InNamespace(run.Namespace),
		client.MatchingFields{"metadata.name": run.Name},
		&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: run.ResourceVersion}})
	if err != nil {
		return nil, fmt.Errorf("watch robotrun %s: %w", run.Name, err)
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case ev, ok := <-w.ResultChan():
			if !ok {
				return nil, nil
			}
			if r, isRun := ev.Object.(*rpav1alpha1.RobotRun); isRun && done(r) {
				return r, nil
			}
		}
	}
}

// reportEnd prints how a finished run ended and turns anything but success
// into a runError, hence exit code ExitRunNotSucceeded.
func reportEnd(env *Env, run *rpav1alpha1.RobotRun) error {
	writeOutcome(env.Out, run)
	if run.Status.Phase != rpav1alpha1.PhaseSucceeded {
		return &runError{run: run.Name, phase: string(run.Status.Phase), reason: runReason(run)}
	}
	return nil
}

// writeOutcome prints phase, reason, message and the robot's result.
func writeOutcome(w io.Writer, run *rpav1alpha1.RobotRun) {
	fmt.Fprintf(w, "robotrun/%s %s", run.Name, run.Status.Phase)
	if reason := runReason(run); reason != "" {
		fmt.Fprintf(w, " (%s)", reason)
	}
	if run.Status.Duration != "" {
		fmt.Fprintf(w, " after %s", run.Status.Duration)
	}
	fmt.Fprintln(w)
	if run.Status.Message != "" {
		fmt.Fprintf(w, "  message: %s\n", terminalSafe(run.Status.Message))
	}
	if res := run.Status.Result; res != nil {
		fmt.Fprintf(w, "  result:  %s\n", terminalSafe(resultSummary(res)))
	}
}

// runReason is the Succeeded condition's reason: the precise why behind
// the phase (docs/robots-and-runs.md, "Phases and reasons").
func runReason(run *rpav1alpha1.RobotRun) string {
	if c := meta.FindStatusCondition(run.Status.Conditions, rpav1alpha1.ConditionSucceeded); c != nil {
		return c.Reason
	}
	return ""
}

// resultSummary puts the robot's counts and summary on one line.
func resultSummary(res *rpav1alpha1.RunResult) string {
	var parts []string
	add := func(label string, n *int64) {
		if n != nil {
			parts = append(parts, fmt.Sprintf("%s %d", label, *n))
		}
	}
	add("processed", res.ItemsProcessed)
	add("succeeded", res.ItemsSucceeded)
	add("failed", res.ItemsFailed)
	add("business exceptions", res.BusinessExceptions)
	line := strings.Join(parts, ", ")
	if res.Summary != "" {
		if line != "" {
			line += "; "
		}
		line += res.Summary
	}
	return line
}
