// Command bbr-extract fills Herning's WorkQueue oil-tanks from the
// building register (BBR): one item per BBR unit with an outdated oil
// tank, the unit id as the item's unique reference, so that extracting
// again adds nothing twice. Olli sends the owners their reminders from the
// queue. README.md says how to run it.
package main

import (
	"os"

	// Robots run in images without a zone database.
	_ "time/tzdata"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

func main() { os.Exit(sdk.Main(robot{}.work)) }
