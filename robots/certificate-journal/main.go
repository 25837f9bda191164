// Command certificate-journal is Aalborg's criminal-record robot: every
// weekday it evaluates the criminal-record certificates that came in,
// journals each into the employee's personnel case in the ESDH system, and
// flags the ones that are not clean for HR as business exceptions. ESDH
// refuses clients that are too fast (HTTP 429); the robot waits as asked
// and journals every certificate exactly once. README.md says how to run it.
package main

import (
	"os"

	// Robots run in images without a zone database.
	_ "time/tzdata"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

func main() { os.Exit(sdk.Main(robot{}.work)) }
