package plugin

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/printers"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

func newDescribeCommand(connect connectFunc) *cobra.Command {
	return &cobra.Command{
		Use:   "describe RUN",
		Short: "Show one run: what it is, where it is, and what it waits for",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := connect()
			if err != nil {
				return err
			}
			run, err := getRun(cmd.Context(), env, args[0])
			if err != nil {
				return err
			}
			return writeDescription(env.Out, run)
		},
	}
}

// writeDescription prints the run as `kubectl describe` would the fields a
// person asks about first: for a Queued run, what it waits for and why.
func writeDescription(w io.Writer, run *rpav1alpha1.RobotRun) error {
	tw := printers.GetNewTabWriter(w)
	field := func(name, value string) { fmt.Fprintf(tw, "%s:\t%s\n", name, orDash(terminalSafe(value))) }
	field("Name", run.Name)
	field("Namespace", run.Namespace)
	field("Robot", run.Spec.RobotName)
	field("Trigger", triggerText(run))
	if by := run.Spec.RequestedBy; by != nil {
		field("Requested By", by.Username)
	}
	if by := run.Spec.CancelledBy; by != nil {
		field("Cancelled By", by.Username)
	}
	field("Phase", string(run.Status.Phase))
	field("Reason", runReason(run))
	field("Message", run.Status.Message)
	field("Priority", fmt.Sprint(run.Status.Priority))
	field("Waiting For", strings.Join(run.Status.WaitingFor, ", "))
	field("Attempts", fmt.Sprint(run.Status.Attempts))
	field("Job", run.Status.JobName)
	field("Pod", run.Status.PodName)
	field("Image", run.Status.ImageID)
	if run.Status.StartTime != nil {
		field("Started", run.Status.StartTime.UTC().Format("2006-01-02T15:04:05Z"))
	}
	field("Duration", run.Status.Duration)
	if res := run.Status.Result; res != nil {
		field("Result", resultSummary(res))
	}
	if run.Status.LogTail != "" {
		field("Log Tail", run.Status.LogTail)
	}
	return tw.Flush()
}

func triggerText(run *rpav1alpha1.RobotRun) string {
	t := string(run.Spec.Trigger.Type)
	if run.Spec.Trigger.Schedule != "" {
		t += " (schedule " + run.Spec.Trigger.Schedule + ")"
	}
	return t
}
