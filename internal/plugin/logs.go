package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
	"github.com/rpa-operator/rpa-operator/internal/runhistory"
)

func newLogsCommand(connect connectFunc) *cobra.Command {
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs RUN [-f]",
		Short: "Print the logs of every attempt of a run, oldest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := connect()
			if err != nil {
				return err
			}
			return runLogs(cmd.Context(), env, args[0], follow)
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep streaming, across retries, until the run ends")
	return cmd
}

func runLogs(ctx context.Context, env *Env, name string, follow bool) error {
	run, err := getRun(ctx, env, name)
	if notFound := new(runNotFoundError); errors.As(err, &notFound) {
		return recordedLogOr(ctx, env, name, err)
	}
	if err != nil {
		return err
	}
	pods, err := runPods(ctx, env, run)
	if err != nil {
		return err
	}
	if len(pods) == 0 && run.Status.Phase.Finished() {
		return recordedLogOr(ctx, env, name,
			fmt.Errorf("robotrun %s has no pods left (phase %s); they are deleted with the run's Job", name, run.Status.Phase))
	}
	following := follow && !run.Status.Phase.Finished()
	for i, pod := range pods {
		// The attempt that is still going is left to followRun.
		if following && pod.Name == run.Status.PodName {
			continue
		}
		fmt.Fprintf(env.ErrOut, "==> attempt %d: pod %s <==\n", i+1, pod.Name)
		if err := streamLog(ctx, env, pod.Name, false, env.Out); err != nil {
			return err
		}
	}
	if !following {
		return nil
	}
	_, err = followRun(ctx, env, run)
	return err
}

// runPods returns the run's pods in attempt order (runhistory.Attempts).
func runPods(ctx context.Context, env *Env, run *rpav1alpha1.RobotRun) ([]corev1.Pod, error) {
	var list corev1.PodList
	if err := env.Client.List(ctx, &list, client.InNamespace(run.Namespace), client.MatchingLabels(runhistory.PodLabels(run.Name))); err != nil {
		return nil, fmt.Errorf("list pods of robotrun %s: %w", run.Name, err)
	}
	return runhistory.Attempts(list.Items, run.Name), nil
}

// LogSource opens the log of a pod's robot container. The apiserver gets
// it from the kubelet, which envtest lacks, so tests substitute their own.
type LogSource interface {
	Open(ctx context.Context, namespace, pod string, follow bool) (io.ReadCloser, error)
}

// kubeletLogs reads logs through the apiserver's pods/log subresource.
type kubeletLogs struct{ kube kubernetes.Interface }

func (k kubeletLogs) Open(ctx context.Context, namespace, pod string, follow bool) (io.ReadCloser, error) {
	opts := &corev1.PodLogOptions{Container: jobs.ContainerName, Follow: follow}
	return k.kube.CoreV1().Pods(namespace).GetLogs(pod, opts).Stream(ctx)
}

// streamLog copies the robot container's log to w, following it while the
// container runs when follow is set, with control characters escaped.
func streamLog(ctx context.Context, env *Env, pod string, follow bool, w io.Writer) error {
	stream, err := env.Logs.Open(ctx, env.Namespace, pod, follow)
	if err != nil {
		return fmt.Errorf("logs of pod %s: %w", pod, err)
	}
	defer func() { _ = stream.Close() }()
	if err := copyTerminalSafe(w, stream); err != nil {
		return fmt.Errorf("read logs of pod %s: %w", pod, err)
	}
	return nil
}

// recordedLogOr prints the run's recorded log (a run pruned, or whose pods
// are gone), or returns why there is none: the cluster's reason, and the
// records' when they cannot be read.
func recordedLogOr(ctx context.Context, env *Env, name string, clusterErr error) error {
	fmt.Fprintf(env.ErrOut, "==> run %s, from the run records <==\n", name)
	found, err := recordedLog(ctx, env, name, env.Out)
	switch {
	case err != nil && errors.Is(err, errNoRecords):
		return fmt.Errorf("%w; %w", clusterErr, err)
	case err != nil:
		return err
	case !found:
		return fmt.Errorf("%w, and the run records have no run of that name", clusterErr)
	}
	return nil
}
