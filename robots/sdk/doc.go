// Package sdk helps robots written in Go follow the rpa-operator robot
// contract (docs/robot-contract.md): read the run's arguments and
// credentials, work through items one at a time, stop cleanly on SIGTERM,
// log JSON lines, and report the result and exit code the operator reads.
//
// A robot's main is usually one line:
//
//	func main() { os.Exit(sdk.Main(work)) }
//
// where work reads its arguments from the Run, processes its items with a
// Loop and returns the Loop's Tally as a Result.
//
// It depends only on the standard library, so that robot images stay small.
package sdk
