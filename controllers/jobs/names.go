// Package jobs turns a Robot and one of its RobotRuns into the batch/v1 Job
// that executes the run. It is pure: no client, no clock; everything it
// needs is passed in, so every rule is covered by table tests.
package jobs

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// maxNameLength is the longest Job name whose pods still get a usable name
// and whose name fits the batch.kubernetes.io/job-name label.
const maxNameLength = 63

// JobName is the name of the Job for the run with the given name. It is a
// deterministic function of the run's name, so a controller that restarts
// finds the Job it created instead of creating a second one.
func JobName(runName string) string {
	return LabelValue(runName)
}

// LabelValue turns a Kubernetes object name (a DNS subdomain of up to 253
// characters) into a valid label value and DNS label: itself when it already
// is one, otherwise a prefix plus a hash of the whole name, so that two
// different names never map to the same value in practice.
func LabelValue(name string) string {
	if len(name) <= maxNameLength && !strings.Contains(name, ".") {
		return name
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	suffix := fmt.Sprintf("-%016x", h.Sum64())
	prefix := strings.ReplaceAll(name, ".", "-")
	if len(prefix) > maxNameLength-len(suffix) {
		prefix = prefix[:maxNameLength-len(suffix)]
	}
	return strings.TrimRight(prefix, "-") + suffix
}
