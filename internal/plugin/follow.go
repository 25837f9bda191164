package plugin

import (
	"context"
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

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
		out := &countingWriter{w: env.Out}
		err := streamLog(ctx, env, pod, true, out)
		switch {
		case err == nil && out.n == 0:
			// An empty stream from a kubelet that has not caught up with a
			// container that already ran: read the whole log once it has.
			return showEndedPod(ctx, env, pod)
		case err == nil:
			return nil
		case apierrors.IsNotFound(err):
			// The pod is gone (a cancel, the Job deleted), or the kubelet
			// cannot follow its log (as after a containerd restart): then
			// show the log once the container has ended.
			return showWhenEnded(ctx, env, pod)
		case !apierrors.IsBadRequest(err):
			return err
		}
		latest, getErr := getRun(ctx, env, run.Name)
		if getErr != nil {
			return getErr
		}
		if latest.Status.Phase.Finished() || latest.Status.PodName != pod {
			// The container ran while the kubelet still said it was
			// starting (a quick attempt on a busy node): read its whole
			// log once the kubelet has it.
			return showEndedPod(ctx, env, pod)
		}
		if err := sleepCtx(ctx, containerStartRetry); err != nil {
			return err
		}
	}
}

// endedLogTries bounds how long the log of an ended container is waited
// for: the kubelet serves it within moments, or has none (the container
// never started).
const endedLogTries = 10

// showEndedPod prints the log of a pod whose attempt has ended, waiting
// while the kubelet answers that it has none yet.
func showEndedPod(ctx context.Context, env *Env, pod string) error {
	for range endedLogTries {
		out := &countingWriter{w: env.Out}
		err := streamLog(ctx, env, pod, false, out)
		switch {
		case err == nil && out.n > 0, apierrors.IsNotFound(err):
			return nil
		case err != nil && !apierrors.IsBadRequest(err):
			return err
		}
		if err := sleepCtx(ctx, containerStartRetry); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.ErrOut, "(the kubelet has no log of pod %s)\n", pod)
	return nil
}

// showWhenEnded waits for a pod that still exists to end, then shows its
// log; a pod that is gone has nothing to show.
func showWhenEnded(ctx context.Context, env *Env, pod string) error {
	for {
		var p corev1.Pod
		err := env.Client.Get(ctx, client.ObjectKey{Namespace: env.Namespace, Name: pod}, &p)
		switch {
		case apierrors.IsNotFound(err):
			return nil
		case err != nil:
			return err
		case p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed:
			return showEndedPod(ctx, env, pod)
		}
		if err := sleepCtx(ctx, containerStartRetry); err != nil {
			return err
		}
	}
}

// countingWriter counts what passes through.
type countingWriter struct {
	w io.Writer
	n int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += n
	return n, err
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
