// Command olli is Herning's oil-tank robot: started by hand "when there is
// time", with a limit such as 40, it takes that many items from the
// WorkQueue oil-tanks (filled by bbr-extract from BBR) and sends each
// unit's owner a reminder letter about their outdated oil tank through
// Digital Post. Owners with name and address protection, and owners
// without a Digital Post mailbox, are business exceptions for a person.
// README.md says how to run it.
package main

import (
	"os"

	// Robots run in images without a zone database.
	_ "time/tzdata"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

func main() { os.Exit(sdk.Main(robot{}.work)) }
