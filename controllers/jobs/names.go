// Package jobs turns a Robot and one of its RobotRuns into the batch/v1 Job
// that executes the run. It is pure: no client, no clock; everything it
// needs is passed in, so every rule is covered by table tests.
package jobs

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
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
// is one, otherwise a prefix, a dash and 16 hex digits of the SHA-256 of the
// whole name. A name that already ends the way a shortened one does is
// shortened too, so no run can be named after another run's Job; and a
// cryptographic hash means nobody can pick a name whose short form matches
// someone else's.
func LabelValue(name string) string {
	if len(name) <= maxNameLength && !strings.Contains(name, ".") && !shortenedForm.MatchString(name) {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	suffix := "-" + hex.EncodeToString(sum[:8])
	prefix := strings.ReplaceAll(name, ".", "-")
	if len(prefix) > maxNameLength-len(suffix) {
		prefix = prefix[:maxNameLength-len(suffix)]
	}
	return strings.TrimRight(prefix, "-") + suffix
}

// shortenedForm is how every shortened value ends.
var shortenedForm = regexp.MustCompile(`-[0-9a-f]{16}$`)
