package plugin

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// TestDescribeAndHistorySayWhatAQueuedRunWaitsFor: a run of a robot whose
// TargetSystem is full waits in Queued, and both commands name the system.
func TestDescribeAndHistorySayWhatAQueuedRunWaitsFor(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	ts := &rpav1alpha1.TargetSystem{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-sbsys"},
		Spec:       rpav1alpha1.TargetSystemSpec{MaxConcurrentRuns: 0},
	}
	g.Expect(k8sClient.Create(ctx, ts)).To(Succeed())
	t.Cleanup(func() { _ = k8sClient.Delete(ctx, ts) })
	createRobot(t, ns, "journal", func(r *rpav1alpha1.Robot) { r.Spec.Systems = []string{ts.Name} })
	createRunNamed(t, ns, "journal-1", "journal")
	g.Eventually(func(g Gomega) {
		run := &rpav1alpha1.RobotRun{}
		g.Expect(k8sClient.Get(ctx, clientKey(ns, "journal-1"), run)).To(Succeed())
		g.Expect(run.Status.Phase).To(Equal(rpav1alpha1.PhaseQueued))
	}, timeout, interval).Should(Succeed())

	res := kubectlRobot(t, ns, "describe", "journal-1")
	g.Expect(res.err).NotTo(HaveOccurred())
	g.Expect(res.out).To(MatchRegexp(`Phase:\s+Queued`))
	g.Expect(res.out).To(MatchRegexp(`Reason:\s+WaitingForSystem`))
	g.Expect(res.out).To(MatchRegexp(`Waiting For:\s+TargetSystem/` + ts.Name))
	g.Expect(res.out).To(ContainSubstring("0 of 0 slots in use"))

	res = kubectlRobot(t, ns, "history", "journal")
	g.Expect(res.err).NotTo(HaveOccurred())
	g.Expect(res.out).To(MatchRegexp(`journal-1\s+Manual\s+Queued\s+WaitingForSystem\s+-\s+TargetSystem/` + ts.Name))

	res = kubectlRobot(t, ns, "describe", "nope")
	g.Expect(res.err).To(MatchError(ContainSubstring(`robotrun "nope" not found in namespace "` + ns + `"`)))
}

func TestDescribeSaysWhoRequestedTheRun(t *testing.T) {
	run := &rpav1alpha1.RobotRun{ObjectMeta: metav1.ObjectMeta{Name: "r1", Namespace: "ns"}}
	var without bytes.Buffer
	if err := writeDescription(&without, run); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(without.String(), "Requested By") {
		t.Errorf("a run without a requester (created before the policy) shows one:\n%s", without.String())
	}
	run.Spec.RequestedBy = &rpav1alpha1.RunRequester{Username: "anne@roskilde.dk"}
	var with bytes.Buffer
	if err := writeDescription(&with, run); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`Requested By:\s+anne@roskilde.dk`).MatchString(with.String()) {
		t.Errorf("describe does not name the requester:\n%s", with.String())
	}
	run.Spec.CancelledBy = &rpav1alpha1.RunRequester{Username: "bo@roskilde.dk"}
	var cancelled bytes.Buffer
	if err := writeDescription(&cancelled, run); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`Cancelled By:\s+bo@roskilde.dk`).MatchString(cancelled.String()) {
		t.Errorf("describe does not name who cancelled:\n%s", cancelled.String())
	}
}
