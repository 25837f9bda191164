package sdk

import (
	"errors"
	"fmt"
)

// Exit codes of the robot contract besides the Robot's business exception
// code (RPA_BUSINESS_EXCEPTION_EXIT_CODE, 3 unless the Robot says otherwise).
// The operator treats every non-zero code other than the business exception
// code as a system exception and retries it as spec.retries.limit allows.
const (
	// ExitSuccess: every item was handled; business exceptions among them,
	// if any, were handed to people.
	ExitSuccess = 0
	// ExitSystemException: something failed that a retry may fix.
	ExitSystemException = 1
	// ExitUsage: the run was set up wrong (an argument the robot cannot
	// understand, a credential or key that is not there); sysexits'
	// EX_USAGE. A retry will fail the same way, but the operator cannot know
	// that, so keep spec.retries.limit small.
	ExitUsage = 64
	// exitSignalBase plus a signal's number is what a process ended by that
	// signal reports: 143 for SIGTERM, 130 for SIGINT.
	exitSignalBase = 128
)

// DefaultBusinessExceptionExitCode is the Robot's default
// spec.retries.businessExceptionExitCode.
const DefaultBusinessExceptionExitCode = 3

// BusinessException is an error meaning "this needs a person", not "this is
// broken": a protected address, a non-clean certificate. Returned for an
// item by a Loop's Handle, the item counts as a business exception and the
// loop goes on. Returned by a robot's work, the run exits with the business
// exception code, which the operator never retries.
type BusinessException struct {
	// Reason says, for the person who takes over, why the robot stopped.
	Reason string
}

func (e *BusinessException) Error() string { return "business exception: " + e.Reason }

// BusinessExceptionf returns a *BusinessException with a formatted reason.
func BusinessExceptionf(format string, args ...any) error {
	return &BusinessException{Reason: fmt.Sprintf(format, args...)}
}

// IsBusinessException reports whether err is or wraps a *BusinessException.
func IsBusinessException(err error) bool {
	var be *BusinessException
	return errors.As(err, &be)
}

// ExitCode is the exit code for a run that ended with result and err, as
// docs/robot-contract.md defines it. The first rule that applies wins:
//
//   - stopped by a signal: 128 + the signal's number (143 for SIGTERM);
//   - an argument or credential problem: ExitUsage;
//   - a business exception: businessCode;
//   - any other error, or any item that failed: ExitSystemException, so
//     that the operator retries the run and the retry picks up the items
//     left over;
//   - otherwise ExitSuccess, business exceptions among the items or not.
func ExitCode(businessCode int, result Result, err error) int {
	var stop StopSignal
	var argErr *ArgumentError
	var credErr *CredentialError
	switch {
	case errors.As(err, &stop):
		return stop.ExitCode()
	case errors.As(err, &argErr), errors.As(err, &credErr):
		return ExitUsage
	case IsBusinessException(err):
		return businessCode
	case err != nil, result.ItemsFailed > 0:
		return ExitSystemException
	default:
		return ExitSuccess
	}
}
