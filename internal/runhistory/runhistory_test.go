package runhistory

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	recordsv1alpha1 "github.com/rpa-operator/rpa-operator/api/records/v1alpha1"
	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

func TestSortNewestFirst(t *testing.T) {
	at := func(s string) metav1.Time {
		ts, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return metav1.Time{Time: ts}
	}
	run := func(name, created string) rpav1alpha1.RobotRun {
		return rpav1alpha1.RobotRun{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: at(created)}}
	}
	tests := []struct {
		name string
		runs []rpav1alpha1.RobotRun
		want []string
	}{
		{
			name: "creation time beats name",
			runs: []rpav1alpha1.RobotRun{run("b", "2026-11-23T07:00:00+01:00"), run("a", "2026-11-23T08:00:00+01:00")},
			want: []string{"a", "b"},
		},
		{
			name: "same second: name descending",
			runs: []rpav1alpha1.RobotRun{run("x-1", "2026-11-23T07:00:00Z"), run("x-2", "2026-11-23T07:00:00Z")},
			want: []string{"x-2", "x-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			SortNewestFirst(tt.runs)
			var got []string
			for _, r := range tt.runs {
				got = append(got, r.Name)
			}
			NewWithT(t).Expect(got).To(Equal(tt.want))
		})
	}
}

func TestMergeAddsThePrunedRunsNewestFirstAndMarksTheRecordedOnes(t *testing.T) {
	now := time.Date(2026, time.November, 23, 9, 0, 0, 0, time.UTC)
	at := func(m int) metav1.Time { return metav1.NewTime(now.Add(time.Duration(-m) * time.Minute)) }
	live := []rpav1alpha1.RobotRun{
		{ObjectMeta: metav1.ObjectMeta{Name: "letters-3", UID: "u3", CreationTimestamp: at(10)}},
		{ObjectMeta: metav1.ObjectMeta{Name: "letters-1", UID: "u1-again", CreationTimestamp: at(5)}},
	}
	records := []recordsv1alpha1.RunRecord{
		{ObjectMeta: metav1.ObjectMeta{Name: "letters-3", UID: "u3", CreationTimestamp: at(10)}},
		{ObjectMeta: metav1.ObjectMeta{Name: "letters-1", UID: "u1", CreationTimestamp: at(60)}},
		{ObjectMeta: metav1.ObjectMeta{Name: "letters-2", UID: "u2", CreationTimestamp: at(30)}},
	}
	type row struct {
		Name     string
		Live     bool
		Recorded bool
	}
	merged := Merge(Live(live), records)
	got := make([]row, 0, len(merged))
	for _, e := range merged {
		got = append(got, row{e.Name(), e.Run != nil, e.Recorded})
	}
	NewWithT(t).Expect(got).To(Equal([]row{
		{"letters-1", true, false}, // a new run of an old name: not the recorded one
		{"letters-3", true, true},
		{"letters-2", false, false},
		{"letters-1", false, false},
	}))
}

func TestRecordedItems(t *testing.T) {
	record := func(raw string) *recordsv1alpha1.RunRecord {
		r := &recordsv1alpha1.RunRecord{}
		if raw != "" {
			r.Status.Result = &runtime.RawExtension{Raw: []byte(raw)}
		}
		return r
	}
	tests := []struct {
		name   string
		record *recordsv1alpha1.RunRecord
		want   int64
		ok     bool
	}{
		{"no result", record(""), 0, false},
		{"items", record(`{"itemsProcessed":40}`), 40, true},
		{"zero items is a number", record(`{"itemsProcessed":0}`), 0, true},
		{"a result without items", record(`{"summary":"done"}`), 0, false},
		{"not JSON", record(`{`), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, ok := RecordedItems(tt.record)
			NewWithT(t).Expect([]any{n, ok}).To(Equal([]any{tt.want, tt.ok}))
		})
	}
}

func TestRecordedDuration(t *testing.T) {
	started := metav1.NewTime(time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC))
	r := &recordsv1alpha1.RunRecord{Status: recordsv1alpha1.RunRecordStatus{
		StartTime: &started, CompletionTime: metav1.NewTime(started.Add(3*time.Minute + 12400*time.Millisecond))}}
	NewWithT(t).Expect(RecordedDuration(r)).To(Equal("3m12s"))
	NewWithT(t).Expect(RecordedDuration(&recordsv1alpha1.RunRecord{})).To(BeEmpty(), "never started")
}

func TestAttemptsAreTheRunsPodsInCreationOrder(t *testing.T) {
	pod := func(name string, created time.Time) corev1.Pod {
		return corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.Time{Time: created},
			Annotations: map[string]string{rpav1alpha1.AnnotationRunName: "run"}}}
	}
	first := time.Date(2026, time.November, 23, 7, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		pods []corev1.Pod
		want []string
	}{
		{
			name: "creation order, not name order",
			pods: []corev1.Pod{pod("run-aaaaa", first.Add(2*time.Minute)), pod("run-zzzzz", first), pod("run-mmmmm", first.Add(time.Minute))},
			want: []string{"run-zzzzz", "run-mmmmm", "run-aaaaa"},
		},
		{
			name: "another run's pod of the same short label is left out",
			pods: []corev1.Pod{pod("run-a", first), {ObjectMeta: metav1.ObjectMeta{Name: "other-a",
				Annotations: map[string]string{rpav1alpha1.AnnotationRunName: "other-run-with-the-same-hash"}}}},
			want: []string{"run-a"},
		},
		{
			name: "same second: by name",
			pods: []corev1.Pod{pod("run-b", first), pod("run-a", first)},
			want: []string{"run-a", "run-b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var names []string
			for _, p := range Attempts(tt.pods, "run") {
				names = append(names, p.Name)
			}
			NewWithT(t).Expect(names).To(Equal(tt.want))
		})
	}
}
