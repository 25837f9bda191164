package plugin

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

type runOptions struct {
	args   []string
	wait   bool
	follow bool
}

func newRunCommand(connect connectFunc) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run ROBOT [--arg name=value ...] [--wait] [--follow]",
		Short: "Start a manual run of a robot",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			arguments, err := parseArguments(o.args)
			if err != nil {
				return err
			}
			env, err := connect()
			if err != nil {
				return err
			}
			return runRobot(cmd.Context(), env, args[0], arguments, o)
		},
	}
	cmd.Flags().StringArrayVar(&o.args, "arg", nil, "an argument for the robot's parameters, name=value (repeatable)")
	cmd.Flags().BoolVar(&o.wait, "wait", false, "wait until the run ends; exit 2 if it did not succeed")
	cmd.Flags().BoolVarP(&o.follow, "follow", "f", false, "stream the run's log, across retries, until the run ends (implies --wait)")
	return cmd
}

// parseArguments turns repeated name=value flags into the run's arguments.
// Names are checked here so a typo fails before anything is created; the
// CRD checks the same rule again on the server.
func parseArguments(flags []string) (map[string]string, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(flags))
	for _, f := range flags {
		name, value, ok := strings.Cut(f, "=")
		if !ok || !validArgumentName(name) {
			return nil, fmt.Errorf("--arg %q: want name=value, name an identifier (letters, digits, underscores)", f)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("--arg %s given twice", name)
		}
		out[name] = value
	}
	return out, nil
}

// validArgumentName mirrors the CRD's rule for argument names.
func validArgumentName(name string) bool {
	if name == "" || len(name) > 63 {
		return false
	}
	for i, r := range name {
		letter := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !letter && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// manualRun is the run `kubectl robot run` creates: named like the manual
// run in docs/robots-and-runs.md and labelled with its robot like the runs
// schedules create, so label selectors find it. It is created as a
// dependent of its robot, with the same owner reference the controller
// would add, which saves the controller the write that adopts runs made
// with kubectl create.
func manualRun(robot *rpav1alpha1.Robot, arguments map[string]string) (*rpav1alpha1.RobotRun, error) {
	run := &rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:    robot.Namespace,
			GenerateName: robot.Name + "-manual-",
			Labels:       map[string]string{rpav1alpha1.LabelRobot: robot.Name},
		},
		Spec: rpav1alpha1.RobotRunSpec{
			RobotName: robot.Name,
			Arguments: arguments,
			Trigger:   rpav1alpha1.Trigger{Type: rpav1alpha1.TriggerManual},
		},
	}
	if err := controllerutil.SetOwnerReference(robot, run, Scheme); err != nil {
		return nil, fmt.Errorf("make run of robot %s its dependent: %w", robot.Name, err)
	}
	return run, nil
}

func runRobot(ctx context.Context, env *Env, name string, arguments map[string]string, o runOptions) error {
	robot, err := getRobot(ctx, env, name)
	if err != nil {
		return err
	}
	run, err := manualRun(robot, arguments)
	if err != nil {
		return err
	}
	if err := env.Client.Create(ctx, run); err != nil {
		return fmt.Errorf("create run of robot %s in namespace %s: %w", name, env.Namespace, err)
	}
	fmt.Fprintf(env.Out, "robotrun/%s created\n", run.Name)
	if robot.Spec.Suspend {
		fmt.Fprintf(env.ErrOut, "robot %s is suspended: the run waits in Pending until it is resumed\n", name)
	}
	switch {
	case o.follow:
		run, err = followRun(ctx, env, run)
	case o.wait:
		run, err = waitForRun(ctx, env, run, nil)
	default:
		return nil
	}
	if err != nil {
		return err
	}
	return reportEnd(env, run)
}

// getRobot fetches a robot, saying where it looked when it is not there.
func getRobot(ctx context.Context, env *Env, name string) (*rpav1alpha1.Robot, error) {
	var robot rpav1alpha1.Robot
	err := env.Client.Get(ctx, client.ObjectKey{Namespace: env.Namespace, Name: name}, &robot)
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("robot %q not found in namespace %q", name, env.Namespace)
	}
	if err != nil {
		return nil, fmt.Errorf("get robot %s in namespace %s: %w", name, env.Namespace, err)
	}
	return &robot, nil
}

// getRun fetches a run, saying where it looked when it is not there.
// runNotFoundError means the cluster has no run of that name.
type runNotFoundError struct{ run, namespace string }

func (e *runNotFoundError) Error() string {
	return fmt.Sprintf("robotrun %q not found in namespace %q", e.run, e.namespace)
}

func getRun(ctx context.Context, env *Env, name string) (*rpav1alpha1.RobotRun, error) {
	var run rpav1alpha1.RobotRun
	err := env.Client.Get(ctx, client.ObjectKey{Namespace: env.Namespace, Name: name}, &run)
	if apierrors.IsNotFound(err) {
		return nil, &runNotFoundError{run: name, namespace: env.Namespace}
	}
	if err != nil {
		return nil, fmt.Errorf("get robotrun %s in namespace %s: %w", name, env.Namespace, err)
	}
	return &run, nil
}
