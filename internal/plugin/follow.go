package plugin

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// containerStartRetry is how long to wait before asking again for the log
// of a pod whose container has not started yet: the log endpoint cannot be
// watched, and the kubelet answers 400 until the container exists.
const containerStartRetry = time.Second

// followRun streams the log of each attempt's pod, one after the other,
// until the run has finished and every attempt's log has been shown, and
// returns the finished run. The pods themselves, listed in attempt order,
// say what is left to show: status.podName can lag behind a retry that
// started and failed within moments, and the run may finish before the
// status names the last pod.
func followRun(ctx context.Context, env *Env, run *rpav1alpha1.RobotRun) (*rpav1alpha1.RobotRun, error) {
	followed := map[string]bool{}
	current := run
	for {
		pod, attempt, err := nextPod(ctx, env, run, followed)
		if err != nil {
			return current, err
		}
		if pod != "" {
			fmt.Fprintf(env.ErrOut, "==> attempt %d: pod %s <==\n", attempt, pod)
			if err := followPod(ctx, env, run, pod); err != nil {
				return current, err
			}
			followed[pod] = true
			continue
		}
		if current.Status.Phase.Finished() {
			return current, nil
		}
		// Nothing new to show: wait until the status names a pod not yet
		// followed, or the run ends; then look at the pods again.
		current, err = waitForRun(ctx, env, run, func(r *rpav1alpha1.RobotRun) bool {
			return r.Status.PodName != "" && !followed[r.Status.PodName]
		})
		if err != nil {
			return current, err
		}
	}
}

// nextPod returns the first of the run's pods, in attempt order, whose log
// has not been followed, with its attempt number; "" when there is none.
func nextPod(ctx context.Context, env *Env, run *rpav1alpha1.RobotRun, followed map[string]bool) (string, int, error) {
	pods, err := runPods(ctx, env, run)
	if err != nil {
		return "", 0, err
	}
	for i, p := range pods {
		if !followed[p.Name] {
			return p.Name, i + 1, nil
		}
	}
	return "", 0, nil
}

// followPod streams one pod's log until its container ends, waiting while
// the container is still starting. A pod that is gone (the run was
// cancelled, or the Job deleted) ends the stream without error.
func followPod(ctx context.Context, env *Env, run *rpav1alpha1.RobotRun, pod string) error {
	for {
		err := streamLog(ctx, env, pod, true, env.Out)
		switch {
		case err == nil, apierrors.IsNotFound(err):
			return nil
		case !apierrors.IsBadRequest(err):
			return err
		}
		latest, getErr := getRun(ctx, env, run.Name)
		if getErr != nil {
			return getErr
		}
		if latest.Status.Phase.Finished() || latest.Status.PodName != pod {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(containerStartRetry):
		}
	}
}
