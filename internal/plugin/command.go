// Package plugin is the kubectl plugin `kubectl robot`: start, watch, list
// and steer Robots and RobotRuns from the command line. cmd/kubectl-robot
// only wires it to os.Args; docs/kubectl-plugin.md describes every command.
package plugin

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Exit codes, documented in docs/kubectl-plugin.md.
const (
	// ExitOK: the command did what it was asked (and a waited-for run succeeded).
	ExitOK = 0
	// ExitError: the command failed (bad flags, object not found, API error).
	ExitError = 1
	// ExitRunNotSucceeded: --wait or --follow saw the run end in a phase other
	// than Succeeded, so scripts can tell "the robot failed" from "kubectl failed".
	ExitRunNotSucceeded = 2
)

// Env is what every command works with: clients for the cluster, the
// namespace the user chose, a clock and the output streams. Commands take
// it as a value so that tests pass one connected to envtest.
type Env struct {
	Client    client.WithWatch
	Logs      LogSource
	WorkItems rest.Interface // rpa-server's work-item API (queue.rpa.dev/v1alpha1), for `queue`
	Records   rest.Interface // rpa-server's run records (records.rpa.dev/v1alpha1), for `history` and `logs`
	Namespace string
	Clock     clock.PassiveClock
	Out       io.Writer
	ErrOut    io.Writer
}

// connectFunc builds the Env when a command runs, after flags are parsed.
type connectFunc func() (*Env, error)

// runError is returned when a waited-for run ended without succeeding; it
// maps to ExitRunNotSucceeded.
type runError struct{ run, phase, reason string }

func (e *runError) Error() string {
	msg := fmt.Sprintf("robotrun %s ended %s", e.run, e.phase)
	if e.reason != "" {
		msg += " (" + e.reason + ")"
	}
	return msg
}

// ExitCode maps an error returned by the command to the process exit code.
func ExitCode(err error) int {
	var re *runError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &re):
		return ExitRunNotSucceeded
	}
	return ExitError
}

// NewCommand returns `kubectl robot` with kubectl's connection flags
// (--kubeconfig, --context, -n/--namespace, ...).
func NewCommand(streams genericiooptions.IOStreams) *cobra.Command {
	flags := genericclioptions.NewConfigFlags(true)
	cmd := newCommand(streams, func() (*Env, error) { return connect(flags, streams) })
	flags.AddFlags(cmd.PersistentFlags())
	return cmd
}

// NewCommandForConfig returns `kubectl robot` connected to cfg in
// namespace, without kubectl's connection flags: for tests outside this
// package that run the commands against an apiserver of their own.
func NewCommandForConfig(streams genericiooptions.IOStreams, cfg *rest.Config, namespace string) *cobra.Command {
	cmd := newCommand(streams, func() (*Env, error) { return newEnv(cfg, namespace, streams) })
	if streams.In != nil {
		cmd.SetIn(streams.In)
	}
	return cmd
}

// newCommand builds the command tree around a way to connect.
func newCommand(streams genericiooptions.IOStreams, connect connectFunc) *cobra.Command {
	root := &cobra.Command{
		Use: "kubectl-robot",
		// Help and usage show the name users type, as kubectl does for plugins.
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl robot"},
		Short:         "Start, follow and steer rpa-operator robots and their runs",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.AddCommand(
		newRunCommand(connect),
		newLogsCommand(connect),
		newHistoryCommand(connect),
		newDescribeCommand(connect),
		newNextCommand(connect),
		newSuspendCommand(connect, true),
		newSuspendCommand(connect, false),
		newCancelCommand(connect),
		newQueueCommand(connect),
		newAuditCommand(connect),
		newUsageCommand(connect),
	)
	return root
}

// connect turns kubectl's flags into clients using our scheme.
func connect(flags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) (*Env, error) {
	cfg, err := flags.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig: %w", err)
	}
	ns, _, err := flags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, fmt.Errorf("namespace: %w", err)
	}
	return newEnv(cfg, ns, streams)
}

// newEnv builds the clients for cfg. Tests call it with envtest's config.
func newEnv(cfg *rest.Config, namespace string, streams genericiooptions.IOStreams) (*Env, error) {
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: Scheme})
	if err != nil {
		return nil, fmt.Errorf("create client: %w", err)
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("create clientset: %w", err)
	}
	items, err := newWorkItemsClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("create work-item client: %w", err)
	}
	records, err := newRecordsClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("create run-record client: %w", err)
	}
	return &Env{Client: c, Logs: kubeletLogs{kube: kube}, WorkItems: items, Records: records, Namespace: namespace,
		Clock: clock.RealClock{}, Out: streams.Out, ErrOut: streams.ErrOut}, nil
}
