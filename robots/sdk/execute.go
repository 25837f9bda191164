package sdk

import (
	"context"
	"log/slog"
	"os"
)

// Work is a robot's job for one run. It returns what it did (a Loop's
// Tally.Result, usually) and why it stopped early, if it did: a StopSignal
// from a Loop, an *ArgumentError or *CredentialError from the Run, a
// *BusinessException for a run that should end as one, or any other error
// for a system exception. ExitCode turns the two into the exit code.
type Work func(ctx context.Context, run *Run, log *slog.Logger) (Result, error)

// Main runs work as a robot in a pod should be run: it stops on SIGTERM or
// SIGINT, reads the run from the environment, logs JSON lines to stdout,
// writes the result to the termination log and returns the exit code:
//
//	func main() { os.Exit(sdk.Main(work)) }
func Main(work Work) int {
	ctx, stop := StopOnSignal(context.Background())
	defer stop()
	run, err := LoadRun(os.Environ())
	if err != nil {
		// Still report, under what is known of the run, so that the
		// RobotRun shows why the robot could not start.
		run = &Run{
			Name:                      os.Getenv("RPA_RUN_NAME"),
			Robot:                     os.Getenv("RPA_ROBOT_NAME"),
			BusinessExceptionExitCode: DefaultBusinessExceptionExitCode,
			TerminationLog:            orDefault(os.Getenv("RPA_TERMINATION_LOG"), TerminationMessagePath),
		}
		loadErr := err
		work = func(context.Context, *Run, *slog.Logger) (Result, error) { return Result{}, loadErr }
	}
	return Execute(ctx, run, NewLogger(os.Stdout, run), work)
}

// Execute runs work for run and reports it: a "robot started" line, the
// result written to run.TerminationLog with the error, if any, appended to
// its summary, and a "robot finished" line. It returns the exit code.
// Tests call it with a Run from LoadRun and a cancellable context.
func Execute(ctx context.Context, run *Run, log *slog.Logger, work Work) int {
	start := []any{
		"trigger", run.Trigger.Type,
		"arguments", run.Args.All(),
		// Names only: what a credential holds never reaches a log.
		"credentials", run.Credentials.Names(),
	}
	if !run.Trigger.ScheduledTime.IsZero() {
		start = append(start, "scheduledTime", run.Trigger.ScheduledTime)
	}
	log.Info("robot started", start...)

	result, err := work(ctx, run, log)
	code := ExitCode(run.BusinessExceptionExitCode, result, err)
	result.Summary = withError(result.Summary, err)
	if werr := WriteResult(run.TerminationLog, result); werr != nil {
		// The run's outcome is the exit code; a missing summary only
		// leaves the RobotRun with less to show.
		log.Warn("result not written", "error", werr.Error())
	}
	level := slog.LevelInfo
	switch {
	case code == ExitSuccess:
	case code == run.BusinessExceptionExitCode, code > exitSignalBase:
		// People's turn, or a stop someone asked for: not the robot's
		// failure.
		level = slog.LevelWarn
	default:
		level = slog.LevelError
	}
	log.Log(context.Background(), level, "robot finished", "exitCode", code, "result", result)
	return code
}

// withError adds why the run stopped to the robot's summary.
func withError(summary string, err error) string {
	switch {
	case err == nil:
		return summary
	case summary == "":
		return err.Error()
	default:
		return summary + "; " + err.Error()
	}
}
