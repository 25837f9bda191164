//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// TestKubectlRobotFollowsEveryAttemptOnARealKubelet runs the kubectl plugin
// as users do, against pods on a real kubelet: `run --follow --wait`
// streams the log of each attempt as the retry starts, and exits 2 when the
// run fails; `logs` prints every attempt afterwards.
func TestKubectlRobotFollowsEveryAttemptOnARealKubelet(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ns := newNamespace(t)
	plugin := buildPlugin(t)
	testRobot(t, ns, "esdh-check", func(r *rpav1alpha1.Robot) { r.Spec.Retries.Limit = 1 })

	out, errOut, code := runPlugin(t, plugin, "-n", ns, "run", "esdh-check", "--arg", "mode=system-exception", "--follow", "--wait")
	g.Expect(code).To(Equal(2), "a failed run: %s", errOut)
	g.Expect(strings.Count(out, `"msg":"started"`)).To(Equal(2), "both attempts' logs followed:\n%s", out)
	g.Expect(out).To(ContainSubstring("Failed (RetriesExhausted)"))
	g.Expect(errOut).To(ContainSubstring("==> attempt 2: pod "))

	runs := runsIn(g, ns)
	g.Expect(runs).To(HaveLen(1))
	out, _, code = runPlugin(t, plugin, "-n", ns, "logs", runs[0].Name)
	g.Expect(code).To(BeZero())
	g.Expect(strings.Count(out, `"msg":"started"`)).To(Equal(2), "logs prints every attempt")
}

// buildPlugin builds cmd/kubectl-robot for the test.
func buildPlugin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kubectl-robot")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/kubectl-robot")
	cmd.Dir = repoRoot
	out, err := cmd.CombinedOutput()
	NewWithT(t).Expect(err).NotTo(HaveOccurred(), "go build: %s", out)
	return bin
}

// runPlugin runs the plugin with the test's kubeconfig and returns its
// output and exit code.
func runPlugin(t *testing.T, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command(bin, append([]string{"--kubeconfig", os.Getenv("KUBECONFIG")}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return out.String(), errOut.String(), exit.ExitCode()
	}
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return out.String(), errOut.String(), 0
}

// runsIn lists the runs in ns.
func runsIn(g Gomega, ns string) []rpav1alpha1.RobotRun {
	var list rpav1alpha1.RobotRunList
	g.Expect(k8sClient.List(context.Background(), &list, client.InNamespace(ns))).To(Succeed())
	return list.Items
}
