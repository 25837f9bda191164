// Package jobs turns a Robot and one of its RobotRuns into the batch/v1 Job
// that executes the run. It is pure: no client, no clock; everything it
// needs is passed in, so every rule is covered by table tests.
package jobs

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// Labels and annotations the operator puts on Jobs and their pods.
const (
	// LabelRobot holds the Robot's name (at most 63 characters by the CRD).
	LabelRobot = "rpa.dev/robot"
	// LabelRun holds the run's name, shortened by LabelValue when longer
	// than a label value may be.
	LabelRun = "rpa.dev/run"
	// AnnotationRunName holds the run's full name, for mapping a pod back to
	// its run whatever the name's length.
	AnnotationRunName = "rpa.dev/run-name"
	// AnnotationRobotGeneration and AnnotationImage on a Job record the
	// Robot generation and the image it was built from: the run's status
	// is written from the Job after its creation (the run controller
	// creates Jobs first and writes statuses after them).
	AnnotationRobotGeneration = "rpa.dev/robot-generation"
	AnnotationImage           = "rpa.dev/image"
	// AnnotationRunJSON holds the run description that the downward API
	// projects into the container as /var/run/rpa/run.json.
	AnnotationRunJSON = "rpa.dev/run-json"

	// LabelManagedBy and ManagedBy mark the objects this operator creates;
	// the manager caches only Jobs and Pods carrying them.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "rpa-operator"
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
