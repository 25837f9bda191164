package integration

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
)

// envtest runs no Job controller and no kubelet. These helpers play their
// part: they create the pods a Job controller would and write the Job and
// pod status that the Job controller and kubelet would write, through the
// real apiserver (which validates every status write).

const (
	robotImage   = "registry.example/robots/certificate-journal:1.4.0"
	robotImageID = "registry.example/robots/certificate-journal@sha256:5f2c0a3e9f0b7d6c1a4e8b2d9f3c6a1e7b4d0c9f8e2a5b3c7d1f6e0a9b8c2d4e"
)

// waitForJob waits until the run's Job exists and returns it.
func waitForJob(g Gomega, run *rpav1alpha1.RobotRun) *batchv1.Job {
	job := &batchv1.Job{}
	g.Eventually(func() error {
		return k8sClient.Get(context.Background(), client2key(run.Namespace, jobs.JobName(run.Name)), job)
	}, timeout, interval).Should(Succeed(), "job of run %s", run.Name)
	return job
}

// startJob records that the Job controller started the Job.
func startJob(g Gomega, job *batchv1.Job) {
	updateJobStatus(g, job, func(s *batchv1.JobStatus) {
		s.StartTime = &metav1.Time{Time: time.Now().Add(-time.Second)}
		s.Active = 1
	})
}

// createPod creates the pod the Job controller would create for an attempt.
func createPod(g Gomega, job *batchv1.Job, suffix string) *corev1.Pod {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:   job.Namespace,
			Name:        job.Name + "-" + suffix,
			Labels:      job.Spec.Template.Labels,
			Annotations: job.Spec.Template.Annotations,
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "batch/v1", Kind: "Job", Name: job.Name, UID: job.UID,
				Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
			}},
		},
		Spec: *job.Spec.Template.Spec.DeepCopy(),
	}
	pod.Spec.NodeName = "node-1"
	g.Expect(k8sClient.Create(context.Background(), pod)).To(Succeed())
	return pod
}

// runPod records that the kubelet started the robot container.
func runPod(g Gomega, pod *corev1.Pod) {
	updatePodStatus(g, pod, func(s *corev1.PodStatus) {
		s.Phase = corev1.PodRunning
		s.ContainerStatuses = []corev1.ContainerStatus{{
			Name: jobs.ContainerName, Image: robotImage, ImageID: robotImageID, Ready: true,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}},
		}}
	})
}

// endPod records that the robot container exited with code and left message
// as its termination message.
func endPod(g Gomega, pod *corev1.Pod, code int32, message string) {
	updatePodStatus(g, pod, func(s *corev1.PodStatus) {
		s.Phase = corev1.PodFailed
		if code == 0 {
			s.Phase = corev1.PodSucceeded
		}
		s.ContainerStatuses = []corev1.ContainerStatus{{
			Name: jobs.ContainerName, Image: robotImage, ImageID: robotImageID,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: code, Message: message, StartedAt: metav1.Now(), FinishedAt: metav1.Now(),
			}},
		}}
	})
}

// pullFails records that the kubelet cannot pull the robot image.
func pullFails(g Gomega, pod *corev1.Pod, reason string) {
	updatePodStatus(g, pod, func(s *corev1.PodStatus) {
		s.Phase = corev1.PodPending
		s.ContainerStatuses = []corev1.ContainerStatus{{
			Name: jobs.ContainerName, Image: "registry.example/robots/missing:9.9",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
				Reason: reason, Message: "failed to pull image \"registry.example/robots/missing:9.9\": not found",
			}},
		}}
	})
}

// secretEnvMissing records what the kubelet reports when a Secret the
// container's environment comes from does not exist.
func secretEnvMissing(g Gomega, pod *corev1.Pod, secret string) {
	updatePodStatus(g, pod, func(s *corev1.PodStatus) {
		s.Phase = corev1.PodPending
		s.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}}
		s.ContainerStatuses = []corev1.ContainerStatus{{
			Name: jobs.ContainerName, Image: robotImage,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
				Reason: "CreateContainerConfigError", Message: fmt.Sprintf("secret %q not found", secret),
			}},
		}}
	})
}

// secretMountMissing records what the kubelet reports when a Secret volume
// cannot be mounted because the Secret does not exist: the pod stays in
// ContainerCreating, and the reason is only in a FailedMount Event.
func secretMountMissing(g Gomega, pod *corev1.Pod, volume, secret string) {
	updatePodStatus(g, pod, func(s *corev1.PodStatus) {
		s.Phase = corev1.PodPending
		s.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}}
		s.ContainerStatuses = []corev1.ContainerStatus{{
			Name: jobs.ContainerName, Image: robotImage,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}},
		}}
	})
	now := metav1.Now()
	event := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Namespace: pod.Namespace, GenerateName: pod.Name + "."},
		InvolvedObject: corev1.ObjectReference{
			Kind: "Pod", APIVersion: "v1", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID,
		},
		Reason: "FailedMount", Type: corev1.EventTypeWarning, Source: corev1.EventSource{Component: "kubelet", Host: "node-1"},
		Message:        fmt.Sprintf("MountVolume.SetUp failed for volume %q : secret %q not found", volume, secret),
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
	}
	g.Expect(k8sClient.Create(context.Background(), event)).To(Succeed())
}

// completeJob records a successful Job the way the Job controller does:
// SuccessCriteriaMet first, then Complete with a completion time.
func completeJob(g Gomega, job *batchv1.Job) {
	now := metav1.Now()
	updateJobStatus(g, job, func(s *batchv1.JobStatus) {
		s.Active, s.Succeeded, s.Ready = 0, 1, ptr.To[int32](0)
		s.Conditions = append(s.Conditions,
			batchv1.JobCondition{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, Reason: "CompletionsReached", LastTransitionTime: now, LastProbeTime: now},
			batchv1.JobCondition{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, Reason: "CompletionsReached", LastTransitionTime: now, LastProbeTime: now})
		s.CompletionTime = &now
	})
}

// failJob records a failed Job the way the Job controller does:
// FailureTarget first, then Failed, with the same reason.
func failJob(g Gomega, job *batchv1.Job, reason string, failedPods int32) {
	now := metav1.Now()
	updateJobStatus(g, job, func(s *batchv1.JobStatus) {
		s.Active, s.Failed, s.Ready = 0, failedPods, ptr.To[int32](0)
		s.Conditions = append(s.Conditions,
			batchv1.JobCondition{Type: batchv1.JobFailureTarget, Status: corev1.ConditionTrue, Reason: reason, Message: "set by the test as the Job controller", LastTransitionTime: now, LastProbeTime: now},
			batchv1.JobCondition{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: reason, Message: "set by the test as the Job controller", LastTransitionTime: now, LastProbeTime: now})
	})
}

func updateJobStatus(g Gomega, job *batchv1.Job, mutate func(*batchv1.JobStatus)) {
	g.Eventually(func() error {
		if err := k8sClient.Get(context.Background(), client2key(job.Namespace, job.Name), job); err != nil {
			return err
		}
		mutate(&job.Status)
		return k8sClient.Status().Update(context.Background(), job)
	}, timeout, interval).Should(Succeed())
}

func updatePodStatus(g Gomega, pod *corev1.Pod, mutate func(*corev1.PodStatus)) {
	g.Eventually(func() error {
		if err := k8sClient.Get(context.Background(), client2key(pod.Namespace, pod.Name), pod); err != nil {
			return err
		}
		mutate(&pod.Status)
		return k8sClient.Status().Update(context.Background(), pod)
	}, timeout, interval).Should(Succeed())
}

// succeedJob plays a whole successful attempt: the Job starts, its pod exits
// 0 with journalResult as its termination message, and the Job completes.
func succeedJob(g Gomega, job *batchv1.Job) {
	startJob(g, job)
	endPod(g, createPod(g, job, "a1"), 0, journalResult)
	completeJob(g, job)
}
