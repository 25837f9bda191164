//go:build e2e

package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// localCluster runs a command of hack/local-cluster.sh.
func localCluster(t *testing.T, command string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(repoRoot, "hack", "local-cluster.sh"), command)
	out, err := cmd.CombinedOutput()
	NewWithT(t).Expect(err).NotTo(HaveOccurred(), "hack/local-cluster.sh %s: %s", command, out)
}

// runWave starts n runs of the robot at once and waits for all to succeed.
func runWave(t *testing.T, ns, robot string, from, n int) []*rpav1alpha1.RobotRun {
	t.Helper()
	var runs []*rpav1alpha1.RobotRun
	for i := from; i < from+n; i++ {
		runs = append(runs, startRun(t, ns, robot+"-"+strconv.Itoa(i), robot, nil))
	}
	for _, run := range runs {
		NewWithT(t).Eventually(func(g Gomega) {
			got := &rpav1alpha1.RobotRun{}
			err := k8sClient.Get(context.Background(), client.ObjectKeyFromObject(run), got)
			if apierrors.IsNotFound(err) {
				return // finished, recorded and pruned already
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got.Status.Phase).To(Equal(rpav1alpha1.PhaseSucceeded), "run %s: %s", run.Name, got.Status.Message)
		}, 3*time.Minute, poll).Should(Succeed())
	}
	return runs
}

// TestThirtyRunsArePrunedToTwoAndAllThirtyAreRecorded: a robot that keeps
// 2 runs runs 30 times, 10 of them while rpa-server's PostgreSQL is
// stopped. Those run, and wait for their records (Recorded False, held
// from pruning) until the database is back. In the end the cluster has 2
// runs and the records all 30, each once, with its requester;
// `kubectl robot history` shows them all and `kubectl robot logs` prints
// the first run's log, its pod and run long gone.
func TestThirtyRunsArePrunedToTwoAndAllThirtyAreRecorded(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	plugin := buildPlugin(t)
	testRobot(t, ns, "letters", func(r *rpav1alpha1.Robot) {
		r.Spec.SuccessfulRunsHistoryLimit = ptr.To[int32](2)
		r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow
	})

	first := runWave(t, ns, "letters", 0, 10)[0]
	localCluster(t, "database-stop")
	stopped := true
	t.Cleanup(func() {
		if stopped {
			localCluster(t, "database-start")
		}
	})
	runWave(t, ns, "letters", 10, 10)
	g.Eventually(func(g Gomega) {
		var list rpav1alpha1.RobotRunList
		g.Expect(k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
		held := 0
		for _, run := range list.Items {
			c := meta.FindStatusCondition(run.Status.Conditions, rpav1alpha1.ConditionRecorded)
			if run.DeletionTimestamp != nil && c != nil && c.Status == metav1.ConditionFalse && c.Reason == rpav1alpha1.ReasonRecordPending {
				held++
			}
		}
		g.Expect(held).To(BeNumerically(">=", 8), "pruned runs wait for their records while the database is down")
	}, 2*time.Minute, poll).Should(Succeed())
	localCluster(t, "database-start")
	stopped = false
	runWave(t, ns, "letters", 20, 10)

	g.Eventually(func(g Gomega) {
		var list rpav1alpha1.RobotRunList
		g.Expect(k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
		g.Expect(list.Items).To(HaveLen(2), "pruned to the history limit once recorded")
	}, 3*time.Minute, poll).Should(Succeed())

	var out string
	g.Eventually(func(g Gomega) {
		out = kubectl(t, "-n", ns, "get", "runrecords", "--field-selector", "spec.robotName=letters", "--no-headers")
		g.Expect(strings.Split(strings.TrimSpace(out), "\n")).To(HaveLen(30))
	}, 2*time.Minute, poll).Should(Succeed(), "every run recorded, none twice")
	names := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		fields := strings.Fields(line)
		g.Expect(fields[3]).To(Equal("Succeeded"), line)
		g.Expect(fields[5]).NotTo(Equal("<none>"), "each with its requester: %s", line)
		names[fields[0]] = true
	}
	g.Expect(names).To(HaveLen(30))

	history, errOut, code := runPlugin(t, plugin, "-n", ns, "history", "letters", "--limit", "0")
	g.Expect(code).To(BeZero(), errOut)
	g.Expect(strings.Split(strings.TrimSpace(history), "\n")).To(HaveLen(31), "a header and 30 runs:\n%s", history)
	g.Expect(strings.Count(history, "record")).To(Equal(30))

	g.Expect(apierrors.IsNotFound(k8sClient.Get(ctx, client.ObjectKeyFromObject(first), &rpav1alpha1.RobotRun{}))).To(BeTrue())
	logs, errOut, code := runPlugin(t, plugin, "-n", ns, "logs", first.Name)
	g.Expect(code).To(BeZero(), errOut)
	g.Expect(errOut).To(ContainSubstring("from the run records"))
	g.Expect(logs).To(ContainSubstring(`"msg":"started"`), "the first run's own log")
}
