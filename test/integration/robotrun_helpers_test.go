package integration

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// createRobot creates a robot with the test image, changed by mutate.
func createRobot(t *testing.T, ns, name string, mutate func(*rpav1alpha1.Robot)) *rpav1alpha1.Robot {
	t.Helper()
	robot := minimalRobot(ns, name)
	robot.Spec.Template.Image = robotImage
	if mutate != nil {
		mutate(robot)
	}
	NewWithT(t).Expect(k8sClient.Create(context.Background(), robot)).To(Succeed())
	return robot
}

// createRun creates a manual run of robot with the given arguments.
func createRun(t *testing.T, ns, name, robot string, args map[string]string) *rpav1alpha1.RobotRun {
	t.Helper()
	run := &rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       rpav1alpha1.RobotRunSpec{RobotName: robot, Arguments: args},
	}
	NewWithT(t).Expect(k8sClient.Create(context.Background(), run)).To(Succeed())
	return run
}

// createSecret creates a credential Secret with the given data.
func createSecret(t *testing.T, ns, name string, data map[string]string) {
	t.Helper()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, StringData: data}
	NewWithT(t).Expect(k8sClient.Create(context.Background(), secret)).To(Succeed())
}

// getRun reads the run's current state.
func getRun(g Gomega, run *rpav1alpha1.RobotRun) *rpav1alpha1.RobotRun {
	got := &rpav1alpha1.RobotRun{}
	g.Expect(k8sClient.Get(context.Background(), objectKey(run), got)).To(Succeed())
	return got
}

// waitForOutcome waits until the run has the phase and Succeeded reason, and
// returns it.
func waitForOutcome(g Gomega, run *rpav1alpha1.RobotRun, phase rpav1alpha1.RunPhase, reason string) *rpav1alpha1.RobotRun {
	var got *rpav1alpha1.RobotRun
	g.Eventually(func(g Gomega) {
		got = getRun(g, run)
		g.Expect(got.Status.Phase).To(Equal(phase), "phase (message %q)", got.Status.Message)
		g.Expect(succeededCondition(got).Reason).To(Equal(reason))
	}, timeout, interval).Should(Succeed())
	return got
}

func succeededCondition(run *rpav1alpha1.RobotRun) metav1.Condition {
	if c := meta.FindStatusCondition(run.Status.Conditions, rpav1alpha1.ConditionSucceeded); c != nil {
		return *c
	}
	return metav1.Condition{}
}

// expectNoJob asserts that the run never got a Job.
func expectNoJob(g Gomega, run *rpav1alpha1.RobotRun) {
	g.Consistently(func(g Gomega) {
		g.Expect(jobsIn(g, run.Namespace)).To(BeEmpty(), "no Job may be created for run %s", run.Name)
	}, time.Second, interval).Should(Succeed())
}

func jobsIn(g Gomega, ns string) []string {
	var list batchv1.JobList
	g.Expect(k8sClient.List(context.Background(), &list, client.InNamespace(ns))).To(Succeed())
	names := make([]string, 0, len(list.Items))
	for _, j := range list.Items {
		names = append(names, j.Name)
	}
	return names
}

// waitForLastRun waits until the robot's status names its last run's phase.
func waitForLastRun(g Gomega, ns, name string, phase rpav1alpha1.RunPhase) {
	g.Eventually(func(g Gomega) {
		r := &rpav1alpha1.Robot{}
		g.Expect(k8sClient.Get(context.Background(), client2key(ns, name), r)).To(Succeed())
		g.Expect(r.Status.LastRun).NotTo(BeNil())
		g.Expect(r.Status.LastRun.Phase).To(Equal(phase))
	}, timeout, interval).Should(Succeed())
}
