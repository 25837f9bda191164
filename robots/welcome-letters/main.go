// Command welcome-letters is Roskilde's welcome-letter robot (DIGIT): on
// weekday mornings it reads the new move-in events from the CPR register,
// sends every new resident a welcome letter through Digital Post (another
// letter to households with children), and hands residents with name and
// address protection to citizen service as business exceptions. README.md
// says how to run it.
package main

import (
	"os"

	// Robots run in images without a zone database.
	_ "time/tzdata"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

func main() { os.Exit(sdk.Main(robot{}.work)) }
