// Command mail-sorter is the second half of Herning's mail robot Per:
// started by the WorkQueue incoming-mail while mail waits, it takes one
// mail at a time, reads it from the mailbox, and routes it by the rules of
// its ConfigMap (sender domain, subject words, a CPR number in a PDF
// attachment looked up in ESDH): it forwards the mail to a department or
// a caseworker, or journals it on the person's case, and hands a mail it
// cannot place to a person as a business exception that says why.
// README.md says how to run it.
package main

import (
	"os"

	// Robots run in images without a zone database.
	_ "time/tzdata"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

func main() { os.Exit(sdk.Main(robot{}.work)) }
