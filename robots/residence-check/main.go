// Command residence-check is Herning's "Bodil": four times a year it checks
// the residence registration of every foreign citizen in the CPR register,
// confirms the clear ones and opens a case for a caseworker on the others
// (an expired permit, letters returned). On demand it runs with an argument
// batch=<name> to check a given round. README.md says how to run it.
package main

import (
	"os"

	// Robots run in images without a zone database; quarters are counted
	// in Danish time.
	_ "time/tzdata"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

func main() { os.Exit(sdk.Main(robot{}.work)) }
