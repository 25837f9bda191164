package plugin

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func newSuspendCommand(connect connectFunc, suspend bool) *cobra.Command {
	use, short := "resume ROBOT", "Let a robot's runs start again (spec.suspend=false)"
	if suspend {
		use, short = "suspend ROBOT", "Stop new runs of a robot from starting (spec.suspend=true)"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := connect()
			if err != nil {
				return err
			}
			return setSuspend(cmd.Context(), env, args[0], suspend)
		},
	}
}

func newCancelCommand(connect connectFunc) *cobra.Command {
	return &cobra.Command{
		Use:   "cancel RUN",
		Short: "Stop a run (spec.cancel=true; cannot be undone)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := connect()
			if err != nil {
				return err
			}
			return cancelRun(cmd.Context(), env, args[0])
		},
	}
}

// setSuspend sets spec.suspend with a merge patch, which touches that one
// field and so cannot overwrite a concurrent edit of anything else.
func setSuspend(ctx context.Context, env *Env, name string, suspend bool) error {
	robot, err := getRobot(ctx, env, name)
	if err != nil {
		return err
	}
	patch := fmt.Appendf(nil, `{"spec":{"suspend":%t}}`, suspend)
	if err := env.Client.Patch(ctx, robot, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return fmt.Errorf("patch robot %s in namespace %s: %w", name, env.Namespace, err)
	}
	verb := "resumed"
	if suspend {
		verb = "suspended"
	}
	fmt.Fprintf(env.Out, "robot/%s %s\n", name, verb)
	return nil
}

// cancelRun sets spec.cancel with a merge patch. The CRD refuses to unset
// it, so there is no "uncancel".
func cancelRun(ctx context.Context, env *Env, name string) error {
	run, err := getRun(ctx, env, name)
	if err != nil {
		return err
	}
	if run.Status.Phase.Finished() {
		return fmt.Errorf("robotrun %s has already finished (%s)", name, run.Status.Phase)
	}
	patch := []byte(`{"spec":{"cancel":true}}`)
	if err := env.Client.Patch(ctx, run, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return fmt.Errorf("patch robotrun %s in namespace %s: %w", name, env.Namespace, err)
	}
	fmt.Fprintf(env.Out, "robotrun/%s cancel requested\n", name)
	return nil
}
