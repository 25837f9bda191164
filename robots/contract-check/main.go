// Command contract-check is a robot that exercises the robot contract
// (docs/robot-contract.md) from inside a real pod: it reports what it
// received (arguments, run file, credential files by name and size, never
// their content) and ends the way its "mode" argument asks: success, a
// business exception, a system exception, a crash without a result, or a
// long sleep that a timeout or a cancel interrupts. The end-to-end tests and
// `make demo` run it.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	// Robots run in distroless images without a zone database.
	_ "time/tzdata"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	c := configFromEnv(os.Getenv)
	c.env = os.Environ()
	os.Exit(run(ctx, c, os.Stdout))
}
