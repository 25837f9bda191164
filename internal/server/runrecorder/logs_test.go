package runrecorder

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/runrecord/store"
)

var t0 = time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)

func pod(name string, created int, state string) corev1.Pod {
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "hr", Name: name, CreationTimestamp: metav1.NewTime(t0.Add(time.Duration(created) * time.Minute))}}
	c := corev1.ContainerStatus{Name: rpav1alpha1.RobotContainerName}
	switch state {
	case "ended":
		c.State.Terminated = &corev1.ContainerStateTerminated{ExitCode: 1}
	case "running":
		c.State.Running = &corev1.ContainerStateRunning{}
	case "stopping":
		c.State.Running = &corev1.ContainerStateRunning{}
		p.DeletionTimestamp = &metav1.Time{Time: t0}
	}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{c}
	return p
}

func TestLogsToFetch(t *testing.T) {
	for _, tt := range []struct {
		name     string
		pods     []corev1.Pod
		kept     []store.Log
		finished bool
		want     []string // pod:attempt:budget
	}{
		{
			name: "an ended attempt, a running one left for later",
			pods: []corev1.Pod{pod("b", 2, "running"), pod("a", 1, "ended")},
			want: []string{"a:1:1048576"},
		},
		{
			name: "attempts numbered in creation order",
			pods: []corev1.Pod{pod("late", 3, "ended"), pod("early", 1, "ended")},
			want: []string{"early:1:1048576", "late:2:1048576"},
		},
		{
			name: "a complete log is not fetched again; the next attempt gets what it leaves",
			pods: []corev1.Pod{pod("a", 1, "ended"), pod("b", 2, "ended")},
			kept: []store.Log{{Pod: "a", Attempt: 1, Content: make([]byte, 1000), Complete: true}},
			want: []string{"b:2:1047576"},
		},
		{
			name: "a log fetched while stopping is fetched again, keeping its attempt and its own space",
			pods: []corev1.Pod{pod("a", 1, "ended")},
			kept: []store.Log{{Pod: "a", Attempt: 1, Content: make([]byte, 1000)}},
			want: []string{"a:1:1048576"},
		},
		{
			name: "a stopping pod is fetched before it goes",
			pods: []corev1.Pod{pod("a", 1, "stopping")},
			want: []string{"a:1:1048576"},
		},
		{
			name:     "a finished run's pods are fetched whatever their state",
			pods:     []corev1.Pod{pod("a", 1, "running")},
			finished: true,
			want:     []string{"a:1:1048576"},
		},
		{
			name: "the cap spent by earlier attempts",
			pods: []corev1.Pod{pod("b", 2, "ended")},
			kept: []store.Log{{Pod: "a", Attempt: 1, Content: make([]byte, store.MaxLogBytesPerRun), Complete: true}},
			want: []string{"b:2:0"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fetches := logsToFetch(tt.pods, tt.kept, tt.finished)
			got := make([]string, 0, len(fetches))
			for _, f := range fetches {
				got = append(got, f.pod.Name+":"+strconv.Itoa(f.attempt)+":"+strconv.Itoa(f.budget))
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("fetch %v, want %v", got, tt.want)
			}
		})
	}
}

// kubelet is a PodLogs that answers from a map, or with an error.
type kubelet struct {
	logs map[string]string
	err  error
}

func (k kubelet) Read(_ context.Context, _, pod string, limit int64) ([]byte, error) {
	if k.err != nil {
		return nil, k.err
	}
	log := k.logs[pod]
	if int64(len(log)) > limit {
		log = log[:limit]
	}
	return []byte(log), nil
}

func TestFetchLog(t *testing.T) {
	ended, stopping := pod("a", 1, "ended"), pod("a", 1, "stopping")
	for _, tt := range []struct {
		name    string
		kubelet kubelet
		fetch   logFetch
		want    store.Log
	}{
		{
			name:    "an ended attempt's whole log",
			kubelet: kubelet{logs: map[string]string{"a": "sent 40 letters\n"}},
			fetch:   logFetch{pod: &ended, attempt: 1, budget: 100},
			want:    store.Log{Content: []byte("sent 40 letters\n"), Complete: true},
		},
		{
			name:    "cut at the budget, and marked",
			kubelet: kubelet{logs: map[string]string{"a": "0123456789"}},
			fetch:   logFetch{pod: &ended, attempt: 1, budget: 4},
			want:    store.Log{Content: []byte("0123"), Complete: true, Truncated: true},
		},
		{
			name:    "a stopping pod's log so far, to be fetched again",
			kubelet: kubelet{logs: map[string]string{"a": "working"}},
			fetch:   logFetch{pod: &stopping, attempt: 1, budget: 100},
			want:    store.Log{Content: []byte("working"), Note: noteStillStopping},
		},
		{
			name:    "a pod gone",
			kubelet: kubelet{err: apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, "a")},
			fetch:   logFetch{pod: &ended, attempt: 1, budget: 100},
			want:    store.Log{Complete: true, Note: notePodGone},
		},
		{
			name:    "a kubelet that does not answer: tried again while the pod is there",
			kubelet: kubelet{err: errors.New("dial tcp 10.0.0.7:10250: i/o timeout")},
			fetch:   logFetch{pod: &stopping, attempt: 1, budget: 100},
			want:    store.Log{Note: "the kubelet gave no log: dial tcp 10.0.0.7:10250: i/o timeout"},
		},
		{
			name:  "no space left",
			fetch: logFetch{pod: &ended, attempt: 2, budget: 0},
			want:  store.Log{Complete: true, Truncated: true, Note: noteBudgetSpent},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := fetchLog(context.Background(), tt.kubelet, "uid-1", tt.fetch)
			if string(got.Content) != string(tt.want.Content) || got.Complete != tt.want.Complete || got.Truncated != tt.want.Truncated ||
				got.Note != tt.want.Note || got.Pod != "a" || got.RunUID != "uid-1" || got.Attempt != tt.fetch.attempt {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseRetention(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"395d", 395 * 24 * time.Hour, ""},
		{"9480h", 9480 * time.Hour, ""},
		{"7d", 0, "shorter than the least kept, 30 days"},
		{"1y", 0, "write days (395d) or a duration"},
		{"1.5d", 0, "whole number"},
	} {
		got, err := ParseRetention(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: %v, want an error with %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}
