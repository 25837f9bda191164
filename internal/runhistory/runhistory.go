// Package runhistory is a robot's history of runs: the runs the cluster
// has and, merged in, the run records of those it has pruned, newest
// first. kubectl robot history and the console's robot page show it.
package runhistory

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	recordsv1alpha1 "github.com/rpa-operator/rpa-operator/api/records/v1alpha1"
	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
)

// RobotNameField selects a robot's runs: the RobotRun CRD's selectable
// field, so kube-apiserver filters and a namespace of many robots is not
// listed whole. Runs made with kubectl create need no label for it.
const RobotNameField = "spec.robotName"

// PhaseField selects runs by phase (status.phase, a selectable field too):
// the console counts the failed ones without reading the rest.
const PhaseField = "status.phase"

// ListRuns lists the robot's runs in namespace, newest first.
func ListRuns(ctx context.Context, c client.Reader, namespace, robot string) (*rpav1alpha1.RobotRunList, error) {
	runs := &rpav1alpha1.RobotRunList{}
	if err := c.List(ctx, runs, client.InNamespace(namespace), client.MatchingFields{RobotNameField: robot}); err != nil {
		return nil, fmt.Errorf("list the runs of robot %s in namespace %s: %w", robot, namespace, err)
	}
	SortNewestFirst(runs.Items)
	return runs, nil
}

// SortNewestFirst orders runs by creation, newest first; the name breaks
// ties within a second so the order is stable from one call to the next.
func SortNewestFirst(runs []rpav1alpha1.RobotRun) {
	sort.SliceStable(runs, func(i, j int) bool {
		a, b := runs[i].CreationTimestamp, runs[j].CreationTimestamp
		if !a.Equal(&b) {
			return b.Before(&a)
		}
		return runs[i].Name > runs[j].Name
	})
}

// Entry is a run of the history: one the cluster has (Run), or one only
// the run records keep (Record).
type Entry struct {
	Run    *rpav1alpha1.RobotRun
	Record *recordsv1alpha1.RunRecord
	// Recorded is true for a run the cluster has whose record exists.
	Recorded bool
}

// Created is when the run was made.
func (e Entry) Created() time.Time {
	if e.Run != nil {
		return e.Run.CreationTimestamp.Time
	}
	return e.Record.CreationTimestamp.Time
}

// Name is the run's name.
func (e Entry) Name() string {
	if e.Run != nil {
		return e.Run.Name
	}
	return e.Record.Name
}

// Live makes the entries of the runs the cluster has.
func Live(runs []rpav1alpha1.RobotRun) []Entry {
	rows := make([]Entry, 0, len(runs))
	for i := range runs {
		rows = append(rows, Entry{Run: &runs[i]})
	}
	return rows
}

// Merge adds the records of runs the cluster no longer has, marks the
// live runs that are recorded, and orders all newest first. rows are
// Live's. A run and its record are one run when their UIDs match (a name
// can be used again).
func Merge(rows []Entry, records []recordsv1alpha1.RunRecord) []Entry {
	live := map[string]int{}
	for i, r := range rows {
		if r.Run != nil {
			live[string(r.Run.UID)] = i
		}
	}
	for i := range records {
		if at, ok := live[string(records[i].UID)]; ok {
			rows[at].Recorded = true
			continue
		}
		rows = append(rows, Entry{Record: &records[i]})
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i].Created(), rows[j].Created()
		if !a.Equal(b) {
			return a.After(b)
		}
		return rows[i].Name() > rows[j].Name()
	})
	return rows
}

// RecordedItems is the number of items a recorded run's result says it
// processed, if it says.
func RecordedItems(r *recordsv1alpha1.RunRecord) (int64, bool) {
	if r.Status.Result == nil {
		return 0, false
	}
	var result rpav1alpha1.RunResult
	if json.Unmarshal(r.Status.Result.Raw, &result) != nil || result.ItemsProcessed == nil {
		return 0, false
	}
	return *result.ItemsProcessed, true
}

// RecordedDuration is how long a recorded run ran, to the second; "" for
// one that never started.
func RecordedDuration(r *recordsv1alpha1.RunRecord) string {
	if r.Status.StartTime == nil {
		return ""
	}
	return r.Status.CompletionTime.Sub(r.Status.StartTime.Time).Round(time.Second).String()
}

// PodLabels select a run's pods: the run label the operator puts on them
// (controllers/jobs), shortened with a hash for long names, so Attempts
// confirms each by its annotation.
func PodLabels(run string) map[string]string {
	return map[string]string{rpav1alpha1.LabelRun: jobs.LabelValue(run), rpav1alpha1.LabelManagedBy: rpav1alpha1.ManagedBy}
}

// Attempts are the pods of run among pods (listed by PodLabels), in
// attempt order: the Job starts a retry only after the previous pod
// stopped, so creation order is attempt order; the name breaks ties within
// the same second.
func Attempts(pods []corev1.Pod, run string) []corev1.Pod {
	var out []corev1.Pod
	for _, p := range pods {
		if p.Annotations[rpav1alpha1.AnnotationRunName] == run {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].CreationTimestamp, out[j].CreationTimestamp
		if !a.Equal(&b) {
			return a.Before(&b)
		}
		return out[i].Name < out[j].Name
	})
	return out
}
