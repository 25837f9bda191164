package plugin

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
)

// Reading a pod's log needs a kubelet, which envtest does not have; these
// tests cover which pods `logs` reads and in which order.

// createRunPod creates a pod labelled and annotated for a run as the
// operator's Job template does (controllers/jobs).
func createRunPod(t *testing.T, ns, name, runName string, labels map[string]string) {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: name, Labels: labels,
			Annotations: map[string]string{rpav1alpha1.AnnotationRunName: runName},
		},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: jobs.ContainerName, Image: robotImage}}},
	}
	NewWithT(t).Expect(k8sClient.Create(context.Background(), pod)).To(Succeed())
}

func runLabels(run string) map[string]string {
	return map[string]string{rpav1alpha1.LabelRun: jobs.LabelValue(run), rpav1alpha1.LabelManagedBy: rpav1alpha1.ManagedBy}
}

func TestRunPodsAreTheRunsOwnPods(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	run := &rpav1alpha1.RobotRun{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "welcome-letters-1"}}
	createRunPod(t, ns, "welcome-letters-1-a1", "welcome-letters-1", runLabels("welcome-letters-1"))
	createRunPod(t, ns, "welcome-letters-1-a2", "welcome-letters-1", runLabels("welcome-letters-1"))
	// Another run's pod, and a pod not made by the operator.
	createRunPod(t, ns, "welcome-letters-10-a1", "welcome-letters-10", runLabels("welcome-letters-10"))
	createRunPod(t, ns, "imposter", "welcome-letters-1", map[string]string{rpav1alpha1.LabelRun: "welcome-letters-1"})

	env, err := newEnv(restCfg, ns, ioStreamsDiscard())
	g.Expect(err).NotTo(HaveOccurred())
	pods, err := runPods(context.Background(), env, run)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(podNames(pods)).To(Equal([]string{"welcome-letters-1-a1", "welcome-letters-1-a2"}))
}

func TestLogsOfAFinishedRunWithoutPodsSaysWhy(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	// No such robot: the controller fails the run at once, with no Job.
	createRunNamed(t, ns, "orphan-1", "orphan")
	g.Eventually(func() rpav1alpha1.RunPhase {
		var run rpav1alpha1.RobotRun
		g.Expect(k8sClient.Get(context.Background(), clientKey(ns, "orphan-1"), &run)).To(Succeed())
		return run.Status.Phase
	}, timeout, interval).Should(Equal(rpav1alpha1.PhaseFailed))
	res := kubectlRobot(t, ns, "logs", "orphan-1")
	g.Expect(res.err).To(MatchError(ContainSubstring("robotrun orphan-1 has no pods left (phase Failed)")))
}

func podNames(pods []corev1.Pod) []string {
	names := make([]string, 0, len(pods))
	for _, p := range pods {
		names = append(names, p.Name)
	}
	return names
}
