package plugin

import (
	"context"
	"time"

	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
)

// envtest runs no Job controller and no kubelet. These helpers play their
// part as controllers/drivers_test.go does: they create the pods a Job
// controller would and write Job and pod status through the real apiserver.

const (
	robotImage   = "registry.example/robots/welcome-letters:1.0.0"
	robotImageID = "registry.example/robots/welcome-letters@sha256:5f2c0a3e9f0b7d6c1a4e8b2d9f3c6a1e7b4d0c9f8e2a5b3c7d1f6e0a9b8c2d4e"
	letterResult = `{"itemsProcessed":12,"itemsSucceeded":12,"summary":"12 welcome letters sent"}`
)

// waitForJob waits until the controller has created the run's Job.
func waitForJob(g Gomega, run *rpav1alpha1.RobotRun) *batchv1.Job {
	job := &batchv1.Job{}
	g.Eventually(func() error {
		return k8sClient.Get(context.Background(), client.ObjectKey{Namespace: run.Namespace, Name: jobs.JobName(run.Name)}, job)
	}, timeout, interval).Should(Succeed(), "job of run %s", run.Name)
	return job
}

// succeedJob plays a whole successful attempt: the Job starts, its pod
// exits 0 with letterResult as termination message, the Job completes.
func succeedJob(g Gomega, job *batchv1.Job) {
	updateJobStatus(g, job, func(s *batchv1.JobStatus) {
		s.StartTime = &metav1.Time{Time: time.Now().Add(-time.Second)}
		s.Active = 1
	})
	pod := createPod(g, job, "a1")
	updatePodStatus(g, pod, func(s *corev1.PodStatus) {
		s.Phase = corev1.PodSucceeded
		s.ContainerStatuses = []corev1.ContainerStatus{{
			Name: jobs.ContainerName, Image: robotImage, ImageID: robotImageID,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: 0, Message: letterResult, StartedAt: metav1.Now(), FinishedAt: metav1.Now(),
			}},
		}}
	})
	completeJob(g, job, 0)
}

// completeJob records a successful Job, after failedAttempts failed pods,
// the way the Job controller does: SuccessCriteriaMet first, then Complete
// with a completion time.
func completeJob(g Gomega, job *batchv1.Job, failedAttempts int32) {
	now := metav1.Now()
	updateJobStatus(g, job, func(s *batchv1.JobStatus) {
		s.Active, s.Succeeded, s.Failed, s.Ready = 0, 1, failedAttempts, ptr.To[int32](0)
		s.Conditions = append(s.Conditions,
			batchv1.JobCondition{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, Reason: "CompletionsReached", LastTransitionTime: now, LastProbeTime: now},
			batchv1.JobCondition{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, Reason: "CompletionsReached", LastTransitionTime: now, LastProbeTime: now})
		s.CompletionTime = &now
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

func updateJobStatus(g Gomega, job *batchv1.Job, mutate func(*batchv1.JobStatus)) {
	g.Eventually(func() error {
		if err := k8sClient.Get(context.Background(), client.ObjectKeyFromObject(job), job); err != nil {
			return err
		}
		mutate(&job.Status)
		return k8sClient.Status().Update(context.Background(), job)
	}, timeout, interval).Should(Succeed())
}

func updatePodStatus(g Gomega, pod *corev1.Pod, mutate func(*corev1.PodStatus)) {
	g.Eventually(func() error {
		if err := k8sClient.Get(context.Background(), client.ObjectKeyFromObject(pod), pod); err != nil {
			return err
		}
		mutate(&pod.Status)
		return k8sClient.Status().Update(context.Background(), pod)
	}, timeout, interval).Should(Succeed())
}
