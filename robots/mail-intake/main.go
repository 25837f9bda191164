// Command mail-intake is the first half of Herning's mail robot Per: every
// minute it adds each mail waiting at the municipality's main address to
// the WorkQueue incoming-mail, with the mail's Message-ID as the item's
// unique reference, and only then moves the mail to the Processed folder.
// Killed between the two, the next run finds the item and moves the mail:
// no mail is lost and none is queued twice. mail-sorter takes the items.
// README.md says how to run it.
package main

import (
	"os"

	// Robots run in images without a zone database.
	_ "time/tzdata"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

func main() { os.Exit(sdk.Main(robot{}.work)) }
