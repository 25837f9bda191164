// Command paula is Herning's sewer separation robot: for each item of the
// WorkQueue sewer-letters (a property and a step a caseworker chose) it
// sends the owner a varsel (warning) or, after the varsel's answer period,
// a påbud (order) through Digital Post, and journals the letter in the
// property's case in ESDH, which it shares with other robots through the
// TargetSystem esdh. README.md says how to run it.
package main

import (
	"os"

	// Robots run in images without a zone database.
	_ "time/tzdata"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

func main() { os.Exit(sdk.Main(robot{}.work)) }
