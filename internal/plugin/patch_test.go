package plugin

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

func TestSuspendAndResumeSetSpecSuspendOnly(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	createRobot(t, ns, "welcome-letters", nil)
	get := func() *rpav1alpha1.Robot {
		var r rpav1alpha1.Robot
		g.Expect(k8sClient.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "welcome-letters"}, &r)).To(Succeed())
		return &r
	}

	res := kubectlRobot(t, ns, "suspend", "welcome-letters")
	g.Expect(res.err).NotTo(HaveOccurred())
	g.Expect(res.out).To(Equal("robot/welcome-letters suspended\n"))
	robot := get()
	g.Expect(robot.Spec.Suspend).To(BeTrue())
	g.Expect(robot.Spec.Description).To(Equal("Welcome letters to new residents"))
	g.Expect(robot.Spec.Parameters).To(HaveLen(2))

	res = kubectlRobot(t, ns, "resume", "welcome-letters")
	g.Expect(res.err).NotTo(HaveOccurred())
	g.Expect(res.out).To(Equal("robot/welcome-letters resumed\n"))
	g.Expect(get().Spec.Suspend).To(BeFalse())

	g.Expect(kubectlRobot(t, ns, "suspend", "nobody").err).To(MatchError(`robot "nobody" not found in namespace "` + ns + `"`))
}

func TestCancelSetsSpecCancel(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	createRobot(t, ns, "welcome-letters", func(r *rpav1alpha1.Robot) { r.Spec.Suspend = true })
	// The robot is suspended, so the run stays Pending and can be cancelled.
	createRunNamed(t, ns, "welcome-letters-1", "welcome-letters")

	res := kubectlRobot(t, ns, "cancel", "welcome-letters-1")
	g.Expect(res.err).NotTo(HaveOccurred())
	g.Expect(res.out).To(Equal("robotrun/welcome-letters-1 cancel requested\n"))
	var run rpav1alpha1.RobotRun
	g.Expect(k8sClient.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "welcome-letters-1"}, &run)).To(Succeed())
	g.Expect(run.Spec.Cancel).To(BeTrue())
	g.Expect(run.Spec.RobotName).To(Equal("welcome-letters"))
	g.Eventually(func() rpav1alpha1.RunPhase {
		g.Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(&run), &run)).To(Succeed())
		return run.Status.Phase
	}, timeout, interval).Should(Equal(rpav1alpha1.PhaseCancelled))

	res = kubectlRobot(t, ns, "cancel", "welcome-letters-1")
	g.Expect(res.err).To(MatchError("robotrun welcome-letters-1 has already finished (Cancelled)"))
	g.Expect(kubectlRobot(t, ns, "cancel", "nobody").err).To(MatchError(`robotrun "nobody" not found in namespace "` + ns + `"`))
}
