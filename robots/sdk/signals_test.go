package sdk

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestStopOnSignalCancelsWithTheSignal(t *testing.T) {
	ctx, stop := StopOnSignal(context.Background())
	defer stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("SIGTERM did not cancel the context")
	}
	if s, ok := stopCause(ctx); !ok || s != SIGTERM || s.ExitCode() != 143 {
		t.Errorf("cause %v, want SIGTERM with exit code 143", context.Cause(ctx))
	}
}
