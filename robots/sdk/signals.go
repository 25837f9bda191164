package sdk

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
)

// StopSignal is the cause of a run's context when a signal asked the robot
// to stop: SIGTERM when the kubelet stops a cancelled or timed-out run, a
// drained node or an evicted pod; SIGINT for Ctrl-C when run by hand.
type StopSignal struct {
	// Name is the signal's name, such as "SIGTERM".
	Name string
	// Number is the signal's number; the robot exits with 128 + Number,
	// as a shell reports a process that the signal ended.
	Number int
}

func (s StopSignal) Error() string { return "stopped by " + s.Name }

// ExitCode is the exit code for a run this signal stopped.
func (s StopSignal) ExitCode() int { return exitSignalBase + s.Number }

// The two signals StopOnSignal listens for. Tests cancel a context with one
// of them as the cause to play a stop.
var (
	SIGTERM = StopSignal{Name: "SIGTERM", Number: int(syscall.SIGTERM)}
	SIGINT  = StopSignal{Name: "SIGINT", Number: int(syscall.SIGINT)}
)

// StopOnSignal returns a context that is cancelled, with a StopSignal as its
// cause (context.Cause), when the process gets SIGTERM or SIGINT; a second
// signal ends the process. Call stop to release the signal handler.
func StopOnSignal(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		select {
		case s := <-signals:
			// A second signal gets the default action and ends the
			// process at once: Ctrl-C twice when run by hand.
			signal.Stop(signals)
			if s == syscall.SIGINT {
				cancel(SIGINT)
			} else {
				cancel(SIGTERM)
			}
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(signals)
		cancel(nil)
	}
}

// stopCause is the StopSignal that cancelled ctx, if one did.
func stopCause(ctx context.Context) (StopSignal, bool) {
	var s StopSignal
	ok := errors.As(context.Cause(ctx), &s)
	return s, ok
}
