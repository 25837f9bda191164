package runrecorder

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/runrecord/store"
)

// PodLogs reads the robot container's log of a pod from its kubelet.
type PodLogs interface {
	// Read returns at most limit bytes of the log, from its start.
	Read(ctx context.Context, namespace, pod string, limit int64) ([]byte, error)
}

// KubeletLogs reads logs through kube-apiserver's pods/log.
type KubeletLogs struct{ Clientset kubernetes.Interface }

// Read implements PodLogs. NotFound means the pod is gone: a kubelet or
// node that cannot be reached answers 404 too, with the pod still there.
func (k KubeletLogs) Read(ctx context.Context, namespace, pod string, limit int64) ([]byte, error) {
	pods := k.Clientset.CoreV1().Pods(namespace)
	content, err := pods.GetLogs(pod, &corev1.PodLogOptions{Container: rpav1alpha1.RobotContainerName, LimitBytes: &limit}).DoRaw(ctx)
	if !apierrors.IsNotFound(err) {
		return content, err
	}
	if _, getErr := pods.Get(ctx, pod, metav1.GetOptions{}); getErr == nil {
		// Not wrapped: this NotFound is the node's, and must not read as the pod's.
		return nil, fmt.Errorf("the pod's node answered 404: %s", err.Error())
	}
	return nil, err
}

// Notes a log carries when it is not the whole log of an ended attempt.
const (
	notePodGone       = "the pod was gone before its log could be fetched"
	noteBudgetSpent   = "the run's earlier attempts used all of the log space kept per run"
	noteStillStopping = "fetched while the container was stopping: its last lines may be missing"
	maxNoteLength     = 512
)

// logFetch is one pod whose log to fetch now.
type logFetch struct {
	pod     *corev1.Pod
	attempt int
	// budget is how many bytes this attempt may keep.
	budget int
}

// logsToFetch decides which of a run's pods to fetch the log of: those
// whose robot container has ended, or which are stopping, or all of them
// once the run has finished, unless a complete log of the pod is kept.
// Attempts are numbered in the order their logs are first kept, which is
// the pods' creation order (a Job starts a retry when the previous pod
// has ended); the budget is what the run's other logs leave of the cap.
func logsToFetch(pods []corev1.Pod, kept []store.Log, runFinished bool) []logFetch {
	byPod := map[string]store.Log{}
	used, attempts := 0, 0
	for _, l := range kept {
		byPod[l.Pod] = l
		used += len(l.Content)
		attempts = max(attempts, l.Attempt)
	}
	ordered := slices.Clone(pods)
	slices.SortFunc(ordered, func(a, b corev1.Pod) int {
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	var fetches []logFetch
	for i := range ordered {
		pod := &ordered[i]
		prev, seen := byPod[pod.Name]
		if seen && prev.Complete {
			continue
		}
		if !containerEnded(pod) && pod.DeletionTimestamp == nil && !runFinished {
			continue
		}
		f := logFetch{pod: pod, attempt: prev.Attempt, budget: store.MaxLogBytesPerRun - used + len(prev.Content)}
		if !seen {
			attempts++
			f.attempt = attempts
		}
		fetches = append(fetches, f)
	}
	return fetches
}

// containerEnded reports whether the pod's robot container has ended: it
// will write no more.
func containerEnded(pod *corev1.Pod) bool {
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return true
	}
	for _, c := range pod.Status.ContainerStatuses {
		if c.Name == rpav1alpha1.RobotContainerName && c.State.Terminated != nil {
			return true
		}
	}
	return false
}

// fetchLog reads one attempt's log within its budget. A log the kubelet
// cannot give is kept empty with a note saying why: the record must not
// wait on a node that is gone.
func fetchLog(ctx context.Context, logs PodLogs, runUID string, f logFetch) store.Log {
	l := store.Log{RunUID: runUID, Namespace: f.pod.Namespace, Pod: f.pod.Name, Attempt: f.attempt, Complete: containerEnded(f.pod)}
	if f.budget <= 0 {
		l.Truncated, l.Complete, l.Note = true, true, noteBudgetSpent
		return l
	}
	content, err := logs.Read(ctx, f.pod.Namespace, f.pod.Name, int64(f.budget)+1)
	switch {
	case apierrors.IsNotFound(err):
		l.Complete, l.Note = true, notePodGone
		return l
	case err != nil:
		l.Note = bounded(fmt.Sprintf("the kubelet gave no log: %v", err))
		return l
	}
	if len(content) > f.budget {
		content, l.Truncated = content[:f.budget], true
	}
	l.Content = content
	if !l.Complete {
		l.Note = noteStillStopping
	}
	return l
}

func bounded(s string) string {
	if len(s) <= maxNoteLength {
		return s
	}
	return s[:maxNoteLength] + "…"
}
