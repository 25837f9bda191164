//go:build e2e && chaos

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// upgradeTag is the tag of the new build the upgrade rolls to; its
// binaries say so when they start (internal/buildinfo).
const upgradeTag = "upgrade"

// The Deployments an upgrade rolls, with their container, image and the
// app.kubernetes.io/name of their pods.
var upgradedDeployments = []struct{ name, container, image, app string }{
	{"rpa-operator-controller-manager", "manager", "rpa-operator", "rpa-operator"},
	{"rpa-server", "server", "rpa-server", "rpa-server"},
	{"rpa-console", "console", "rpa-server", "rpa-console"},
}

// TestUpgradeUnderLoad rolls the manager (2 replicas, leader election),
// rpa-server (2) and the console to a new build while scheduled runs, a
// queue fleet working a queue a producer fills, and manual runs are in
// flight, then checks the final state as make chaos does: no scheduled
// time run twice or missed without being counted, no item lost or
// journaled twice.
func TestUpgradeUnderLoad(t *testing.T) {
	g := NewWithT(t)
	// Built first: compiling takes the machine's cores, which the load
	// should have.
	buildImages(t, upgradeTag, "manager", "rpa-server")
	ns := newNamespace(t)
	scaleOperator(t, 2)
	t.Cleanup(func() { scaleOperator(t, 1) })
	t.Cleanup(func() { rollTo(t, "dev") })

	cfg := chaosConfig{robots: 12, itemEvery: time.Second}
	const most = 150
	sb := deploySandbox(t, ns, map[string]string{
		"SANDBOX_CERTIFICATES":  strconv.Itoa(most + 10),
		"SANDBOX_JOURNAL_RATE":  "5",
		"SANDBOX_JOURNAL_BURST": "1",
	})
	robots := chaosWorkload(t, ns, sb, cfg)
	start := time.Now()
	leader, leaderStop := &leaderWatch{}, make(chan struct{})
	go leader.run(leaderStop)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	produced := &producer{queue: "chaos-certificates", ns: ns}
	wg.Add(2)
	go func() { defer wg.Done(); produced.fill(t, stop, cfg.itemEvery, most) }()
	go func() { defer wg.Done(); manualRuns(ns, robots, stop) }()

	// The roll starts two seconds past a minute, when that minute's runs
	// are starting and the fleet holds items.
	time.Sleep(time.Until(time.Now().Add(90 * time.Second).Truncate(time.Minute).Add(2 * time.Second)))
	rolled := time.Now()
	rollTo(t, upgradeTag)
	t.Logf("upgrade: rolled to %s in %s", upgradeTag, time.Since(rolled).Round(time.Second))
	expectNewBuildRuns(t, upgradeTag)
	time.Sleep(time.Minute)
	close(stop)
	wg.Wait()

	quiesce(t, ns, robots, produced)
	close(leaderStop)
	s := tallySchedules(g, ns, robots)
	added, done, lost, twice := tallyItems(t, g, ns, sb, produced)
	t.Logf("upgrade under load from %s: %d times due, %d runs, %d duplicates, %d skipped, %d missed, %d missed silently, %d runs with two Jobs; "+
		"%d items added, %d done, %d journaled twice, %d lost; longest time without a leader: %s",
		start.UTC().Format("15:04:05"), s.due, s.runs, s.duplicates, s.skipped, s.missed, s.silent, s.jobsTwice, added, done, twice, lost, leader)
	g.Expect(s.due).To(BeNumerically(">", 0), "scheduled times came due during the upgrade")
	explainSilentMisses(t, ns, s)
	g.Expect(s.duplicates).To(BeZero(), "scheduled times run twice")
	g.Expect(s.silent).To(BeZero(), "scheduled times missed without being counted:\n%s", strings.Join(s.unrun, "\n"))
	g.Expect(s.jobsTwice).To(BeZero(), "runs with two Jobs")
	g.Expect(added).To(BeNumerically(">", 0), "items were added during the upgrade")
	g.Expect(lost).To(BeZero(), "items lost")
	g.Expect(twice).To(BeZero(), "certificates journaled twice")
}

// buildImages builds images of this checkout with tag (hack/build-images,
// the version linked in) and imports them into the node's containerd.
func buildImages(t *testing.T, tag string, names ...string) {
	t.Helper()
	args := append([]string{"run", "./hack/build-images", "--out", filepath.Join(t.TempDir(), "images"), "--tag", tag,
		"--import", "--containerd-address", os.Getenv("E2E_CONTAINERD_ADDRESS")}, names...)
	cmd := exec.Command("go", args...)
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build images %v with tag %s: %v\n%s", names, tag, err, out)
	}
}

// rollTo sets the upgraded Deployments' images to tag and waits for each
// rollout, as `kubectl set image` by a platform team or Argo CD would.
func rollTo(t *testing.T, tag string) {
	t.Helper()
	for _, d := range upgradedDeployments {
		kubectl(t, "-n", operatorNamespace, "set", "image", "deployment/"+d.name, d.container+"="+d.image+":"+tag)
	}
	for _, d := range upgradedDeployments {
		kubectl(t, "-n", operatorNamespace, "rollout", "status", "deployment/"+d.name, "--timeout=5m")
	}
}

// expectNewBuildRuns checks that every pod of the upgraded Deployments
// runs the build tagged tag: its image, and the version its binary logs.
func expectNewBuildRuns(t *testing.T, tag string) {
	t.Helper()
	g := NewWithT(t)
	for _, d := range upgradedDeployments {
		pods, err := clientset.CoreV1().Pods(operatorNamespace).List(context.Background(), metav1.ListOptions{
			LabelSelector: "app.kubernetes.io/name=" + d.app})
		g.Expect(err).NotTo(HaveOccurred())
		running := 0
		for _, pod := range pods.Items {
			if pod.DeletionTimestamp != nil || pod.Status.Phase != corev1.PodRunning {
				continue
			}
			running++
			g.Expect(pod.Spec.Containers[0].Image).To(Equal(d.image+":"+tag), "pod %s", pod.Name)
			g.Eventually(func() string { return podLogs(t, operatorNamespace, pod.Name) }, time.Minute, poll).
				Should(ContainSubstring(fmt.Sprintf(`"version":%q`, tag)), "pod %s logs the new build's version", pod.Name)
		}
		g.Expect(running).To(BeNumerically(">", 0), "%s has running pods", d.name)
	}
}
