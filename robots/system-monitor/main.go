// Command system-monitor is process 82 of the municipalities' RPA
// catalogue: every five minutes it logs in to each configured case system,
// measures its response time and availability, and reports them in its
// result. A system that is unavailable fails the run, so that the alerts on
// failed runs fire. README.md says how to run it.
package main

import (
	"os"

	// Robots run in images without a zone database.
	_ "time/tzdata"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

func main() { os.Exit(sdk.Main(robot{}.work)) }
