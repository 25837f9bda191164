// Package runstatus reads what happened to a run from its Job and pods. It
// is pure: the controller lists the objects and passes the time, and table
// tests cover every outcome.
package runstatus

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
)

// Observation is the state of a run as its Job and pods show it.
type Observation struct {
	Phase   rpav1alpha1.RunPhase
	Reason  string
	Message string

	// Attempts is how many pods the run has started.
	Attempts int32
	// PodName, ExitCode, Image and ImageID describe the latest attempt.
	PodName  string
	ExitCode *int32
	Image    string
	ImageID  string

	StartTime      *metav1.Time
	CompletionTime *metav1.Time

	// Result is the robot's summary; ResultError says why it could not be
	// read, when the robot wrote one that is malformed.
	Result      *rpav1alpha1.RunResult
	ResultError string
	// LogTail is the end of the robot's log when an attempt failed without
	// a summary; robot-written, so it stays out of Message.
	LogTail string

	// StopJob asks the controller to delete the Job: the run has failed while
	// its pod is still there (an image that will never pull).
	StopJob bool

	// podCreated is when the latest pod was created; settingUp says the
	// kubelet is still mounting its volumes or making its sandbox, where a
	// missing Secret shows only in the pod's Events.
	podCreated time.Time
	settingUp  bool
}

// Options are the limits Observe applies.
type Options struct {
	// PodStartDeadline is how long a pod may fail to start its container
	// (image pull or container configuration errors) before the run fails.
	PodStartDeadline time.Duration
	// CredentialWait is how long a pod may wait for a Secret it needs
	// (credentials, env, volumes) to be created before the run fails.
	CredentialWait time.Duration
}

// imagePullPermanent are waiting reasons that no retry will fix.
var imagePullPermanent = map[string]bool{"InvalidImageName": true, "ErrImageNeverPull": true}

// imagePullRetrying are waiting reasons the kubelet retries with back-off.
var imagePullRetrying = map[string]bool{"ErrImagePull": true, "ImagePullBackOff": true}

// containerConfigErrors are waiting reasons about the container's
// configuration, retried by the kubelet (a ConfigMap may still appear).
var containerConfigErrors = map[string]bool{"CreateContainerConfigError": true, "CreateContainerError": true}

// Observe derives the run's state from its Job and the Job's pods at now.
func Observe(job *batchv1.Job, pods []corev1.Pod, now time.Time, opts Options) Observation {
	obs := Observation{StartTime: job.Status.StartTime}
	latest := latestPod(pods)
	obs.Attempts = attempts(job, pods)
	if latest != nil {
		obs.describeAttempt(latest)
	}
	if finished := obs.observeFinishedJob(job); finished {
		return obs
	}
	obs.observeActiveJob(job, latest, now, opts)
	return obs
}

// describeAttempt records the latest pod's name, image and exit code, and the
// result summary or log tail it left.
func (o *Observation) describeAttempt(pod *corev1.Pod) {
	o.PodName, o.podCreated = pod.Name, pod.CreationTimestamp.Time
	status := robotContainerStatus(pod)
	if status == nil {
		return
	}
	o.Image, o.ImageID = status.Image, status.ImageID
	terminated := status.State.Terminated
	if terminated == nil {
		return
	}
	o.ExitCode = &terminated.ExitCode
	result, logTail, err := ParseTerminationMessage(terminated.Message)
	o.Result = result
	if err != nil {
		o.ResultError = err.Error()
	}
	if logTail != "" && terminated.ExitCode != 0 {
		o.LogTail = truncate(lastLines(logTail, 3), maxLogTailLength)
		o.Message = "the robot's last log lines are in status.logTail"
	}
}

// observeFinishedJob fills in the outcome of a Job that has finished and
// reports whether it had.
func (o *Observation) observeFinishedJob(job *batchv1.Job) bool {
	if c := jobCondition(job, batchv1.JobComplete); c != nil {
		o.finish(rpav1alpha1.PhaseSucceeded, rpav1alpha1.ReasonCompleted, "the robot completed", completionTime(job, c))
		return true
	}
	c := jobCondition(job, batchv1.JobFailed)
	if c == nil {
		return false
	}
	at := completionTime(job, c)
	switch c.Reason {
	case batchv1.JobReasonDeadlineExceeded:
		o.finish(rpav1alpha1.PhaseTimedOut, rpav1alpha1.ReasonDeadlineExceeded,
			fmt.Sprintf("the run took longer than its timeout of %s and was stopped", deadline(job)), at)
	case batchv1.JobReasonPodFailurePolicy:
		o.finish(rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonBusinessException,
			fmt.Sprintf("the robot reported a business exception (exit code %s); it is not retried", exitCodeText(o.ExitCode)), at)
	case batchv1.JobReasonBackoffLimitExceeded:
		o.finishSystemException(job, at)
	default:
		o.finish(rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonSystemException,
			fmt.Sprintf("the Job failed: %s: %s", c.Reason, c.Message), at)
	}
	return true
}

// finishSystemException distinguishes a robot that allows no retries from
// one that used them all up.
func (o *Observation) finishSystemException(job *batchv1.Job, at *metav1.Time) {
	limit := backoffLimit(job)
	if limit == 0 {
		o.finish(rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonSystemException,
			fmt.Sprintf("the robot failed with exit code %s (a system exception); the robot allows no retries", exitCodeText(o.ExitCode)), at)
		return
	}
	o.finish(rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonRetriesExhausted,
		fmt.Sprintf("the robot failed with a system exception in all %d attempts (retries.limit %d); last exit code %s",
			limit+1, limit, exitCodeText(o.ExitCode)), at)
}

// finish sets a final outcome, keeping a log tail already found as detail.
func (o *Observation) finish(phase rpav1alpha1.RunPhase, reason, message string, at *metav1.Time) {
	o.Phase, o.Reason, o.CompletionTime = phase, reason, at
	if o.Message != "" {
		message += "; " + o.Message
	}
	o.Message = message
}

// observeActiveJob tells a run that is starting from one that is running or
// between attempts, and fails a run whose pod will not start.
func (o *Observation) observeActiveJob(job *batchv1.Job, latest *corev1.Pod, now time.Time, opts Options) {
	o.Message = ""
	if latest == nil {
		o.Phase, o.Reason, o.Message = rpav1alpha1.PhasePending, rpav1alpha1.ReasonJobCreated, "the Job was created; waiting for its pod"
		return
	}
	status := robotContainerStatus(latest)
	switch {
	case attemptEnded(latest, status):
		o.observeEndedAttempt(job)
	case status != nil && status.State.Running != nil:
		o.Phase, o.Reason, o.Message = rpav1alpha1.PhaseRunning, rpav1alpha1.ReasonRunning, fmt.Sprintf("attempt %d is running", o.Attempts)
		if o.StartTime == nil {
			o.StartTime = &status.State.Running.StartedAt
		}
	case status != nil && status.State.Waiting != nil:
		o.observeWaiting(latest, status.State.Waiting, now, opts)
	default:
		o.observeUnstarted(latest)
	}
}

// attemptEnded reports whether the pod's robot has stopped: the kubelet may
// report the container terminated before it moves the pod's phase on.
func attemptEnded(pod *corev1.Pod, status *corev1.ContainerStatus) bool {
	return pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded ||
		pod.DeletionTimestamp != nil || (status != nil && status.State.Terminated != nil)
}

// observeEndedAttempt describes the moment between an attempt's end and the
// Job controller's verdict: another attempt is coming only after a system
// exception with retries left; otherwise the Job is about to finish.
func (o *Observation) observeEndedAttempt(job *batchv1.Job) {
	o.Phase, o.Reason = rpav1alpha1.PhaseRunning, rpav1alpha1.ReasonRunning
	code := o.ExitCode
	if code != nil && *code != 0 && !failsJobAtOnce(job, *code) && o.Attempts <= backoffLimit(job) {
		o.Reason = rpav1alpha1.ReasonRetrying
		o.Message = fmt.Sprintf("attempt %d ended (exit code %d); the next attempt is starting", o.Attempts, *code)
		return
	}
	o.Message = fmt.Sprintf("attempt %d ended (exit code %s); the Job is finishing", o.Attempts, exitCodeText(code))
}

// failsJobAtOnce reports whether the Job's pod failure policy ends the Job
// on this exit code (the business exception code).
func failsJobAtOnce(job *batchv1.Job, code int32) bool {
	if job.Spec.PodFailurePolicy == nil {
		return false
	}
	for _, rule := range job.Spec.PodFailurePolicy.Rules {
		if rule.Action == batchv1.PodFailurePolicyActionFailJob && rule.OnExitCodes != nil &&
			rule.OnExitCodes.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn && slices.Contains(rule.OnExitCodes.Values, code) {
			return true
		}
	}
	return false
}

func backoffLimit(job *batchv1.Job) int32 {
	if job.Spec.BackoffLimit == nil {
		return 6 // the Job API's default
	}
	return *job.Spec.BackoffLimit
}

// observeWaiting handles a container that has not started: image pulls and
// configuration errors fail the run once they have lasted PodStartDeadline
// (at once when retrying cannot help); anything else is still starting.
func (o *Observation) observeWaiting(pod *corev1.Pod, waiting *corev1.ContainerStateWaiting, now time.Time, opts Options) {
	reason := ""
	switch {
	case imagePullPermanent[waiting.Reason] || imagePullRetrying[waiting.Reason]:
		reason = rpav1alpha1.ReasonImagePullFailed
	case containerConfigErrors[waiting.Reason] && len(missingSecrets([]string{waiting.Message})) > 0:
		o.secretsMissing(missingSecrets([]string{waiting.Message}), now, opts)
		return
	case containerConfigErrors[waiting.Reason]:
		reason = rpav1alpha1.ReasonContainerConfigError
	default:
		o.Phase, o.Reason, o.Message = rpav1alpha1.PhasePending, rpav1alpha1.ReasonJobCreated,
			fmt.Sprintf("the robot container is starting (%s)", waiting.Reason)
		o.settingUp = waiting.Reason == "ContainerCreating"
		return
	}
	detail := fmt.Sprintf("%s: %s", waiting.Reason, waiting.Message)
	waited := now.Sub(pod.CreationTimestamp.Time)
	if imagePullPermanent[waiting.Reason] || waited >= opts.PodStartDeadline {
		o.Phase, o.Reason, o.StopJob = rpav1alpha1.PhaseFailed, reason, true
		o.Message = fmt.Sprintf("the robot container could not start: %s", detail)
		o.CompletionTime = &metav1.Time{Time: now}
		return
	}
	o.Phase, o.Reason = rpav1alpha1.PhasePending, reason
	o.Message = fmt.Sprintf("the robot container cannot start yet (%s); the run fails if this lasts %s", detail, opts.PodStartDeadline)
}

// observeUnstarted describes a pod without a container status: not yet
// scheduled, or scheduled and being set up.
func (o *Observation) observeUnstarted(pod *corev1.Pod) {
	o.Phase, o.Reason, o.Message = rpav1alpha1.PhasePending, rpav1alpha1.ReasonJobCreated, "the robot's pod is being set up"
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			o.Reason = rpav1alpha1.ReasonUnschedulable
			o.Message = fmt.Sprintf("no node can run the robot's pod yet: %s", c.Message)
		}
	}
	o.settingUp = podScheduled(pod)
}

// podScheduled reports whether the pod is on a node (the cache keeps no pod
// spec, so the condition tells, not spec.nodeName).
func podScheduled(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// mountCheckAfter is how long a pod is left to set up before its Events
// are read for a missing Secret: most pods start well within it, so most
// runs cost no extra request.
const mountCheckAfter = 5 * time.Second

// mountRecheck is how often a pod still being set up is looked at again:
// a failing mount changes nothing in the pod itself.
const mountRecheck = 15 * time.Second

// ReadsMountFailures reports whether the run's latest pod has been set up
// for long enough that the controller should read its FailedMount Events
// and pass their messages to NoteFailedMounts.
func (o *Observation) ReadsMountFailures(now time.Time) bool {
	return o.settingUp && now.Sub(o.podCreated) >= mountCheckAfter
}

// NoteFailedMounts turns a pod that the kubelet cannot set up, because a
// Secret it mounts does not exist, into CredentialsNotFound. The messages
// are those of the pod's FailedMount Events.
func (o *Observation) NoteFailedMounts(messages []string, now time.Time, opts Options) {
	if missing := missingSecrets(messages); o.settingUp && len(missing) > 0 {
		o.secretsMissing(missing, now, opts)
	}
}

// secretsMissing keeps the run Pending while the kubelet waits for Secrets
// to be created (it retries on its own), and fails it after CredentialWait.
func (o *Observation) secretsMissing(names []string, now time.Time, opts Options) {
	o.settingUp = false
	o.Reason = rpav1alpha1.ReasonCredentialsNotFound
	what := fmt.Sprintf("Secret(s) %s not found in the robot's namespace", strings.Join(names, ", "))
	if now.Sub(o.podCreated) >= opts.CredentialWait {
		o.Phase, o.StopJob, o.CompletionTime = rpav1alpha1.PhaseFailed, true, &metav1.Time{Time: now}
		o.Message = fmt.Sprintf("%s, still after %s", what, opts.CredentialWait)
		return
	}
	o.Phase = rpav1alpha1.PhasePending
	o.Message = fmt.Sprintf("%s; the robot starts when they exist, or the run fails after %s", what, opts.CredentialWait)
}

// secretNotFound is how the kubelet names a missing Secret, in a container
// configuration error and in a FailedMount Event alike.
var secretNotFound = regexp.MustCompile(`secret "([a-z0-9][-a-z0-9.]{0,252})" not found`)

// missingSecrets lists, sorted and once each, the Secrets the messages say
// are missing.
func missingSecrets(messages []string) []string {
	var names []string
	for _, m := range messages {
		for _, match := range secretNotFound.FindAllStringSubmatch(m, -1) {
			names = append(names, match[1])
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// RecheckAt returns when the observation may change without any object
// changing: the moment a pod that cannot start passes its deadline, or the
// next look at the Events of a pod still being set up.
func (o *Observation) RecheckAt(now time.Time, opts Options) (time.Time, bool) {
	switch {
	case o.Phase != rpav1alpha1.PhasePending || o.PodName == "":
		return time.Time{}, false
	case o.Reason == rpav1alpha1.ReasonImagePullFailed || o.Reason == rpav1alpha1.ReasonContainerConfigError:
		return o.podCreated.Add(opts.PodStartDeadline), true
	case o.Reason == rpav1alpha1.ReasonCredentialsNotFound:
		return o.podCreated.Add(opts.CredentialWait), true
	case o.settingUp && now.Sub(o.podCreated) < mountCheckAfter:
		return o.podCreated.Add(mountCheckAfter), true
	case o.settingUp:
		return now.Add(mountRecheck), true
	}
	return time.Time{}, false
}

// attempts counts the pods the run started: the pods that still exist, or
// the Job's own counters when pods have been removed.
func attempts(job *batchv1.Job, pods []corev1.Pod) int32 {
	counted := job.Status.Succeeded + job.Status.Failed + job.Status.Active
	if job.Status.Terminating != nil {
		counted += *job.Status.Terminating
	}
	return max(int32(len(pods)), counted)
}

// latestPod is the most recently created pod; the name breaks ties, which
// creation timestamps (whole seconds) often leave.
func latestPod(pods []corev1.Pod) *corev1.Pod {
	if len(pods) == 0 {
		return nil
	}
	sorted := make([]*corev1.Pod, len(pods))
	for i := range pods {
		sorted[i] = &pods[i]
	}
	sort.Slice(sorted, func(i, j int) bool {
		ti, tj := sorted[i].CreationTimestamp, sorted[j].CreationTimestamp
		if !ti.Equal(&tj) {
			return ti.Before(&tj)
		}
		return sorted[i].Name < sorted[j].Name
	})
	return sorted[len(sorted)-1]
}

func robotContainerStatus(pod *corev1.Pod) *corev1.ContainerStatus {
	for i := range pod.Status.ContainerStatuses {
		if pod.Status.ContainerStatuses[i].Name == jobs.ContainerName {
			return &pod.Status.ContainerStatuses[i]
		}
	}
	return nil
}

// JobFinished reports whether the Job has completed or failed for good.
func JobFinished(job *batchv1.Job) bool {
	return jobCondition(job, batchv1.JobComplete) != nil || jobCondition(job, batchv1.JobFailed) != nil
}

func jobCondition(job *batchv1.Job, t batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range job.Status.Conditions {
		if c := &job.Status.Conditions[i]; c.Type == t && c.Status == corev1.ConditionTrue {
			return c
		}
	}
	return nil
}

func completionTime(job *batchv1.Job, c *batchv1.JobCondition) *metav1.Time {
	if job.Status.CompletionTime != nil {
		return job.Status.CompletionTime
	}
	t := c.LastTransitionTime
	return &t
}

func deadline(job *batchv1.Job) time.Duration {
	if job.Spec.ActiveDeadlineSeconds == nil {
		return 0
	}
	return time.Duration(*job.Spec.ActiveDeadlineSeconds) * time.Second
}

func exitCodeText(code *int32) string {
	if code == nil {
		return "unknown"
	}
	return fmt.Sprint(*code)
}

// lastLines keeps the last n non-empty lines of a log tail.
func lastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
