//go:build e2e

// Package e2e tests the operator deployed in the local cluster
// (hack/local-cluster.sh) with real robot containers on a real kubelet. Run
// it with `make e2e`, which starts the cluster and deploys the operator.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// The robot image every test runs: robots/contract-check, a robot whose
// behaviour its arguments choose (see its README).
const testRobotImage = "localhost/rpa-robots/contract-check:dev"

// operatorNamespace is where config/default deploys the manager.
const operatorNamespace = "rpa-system"

const poll = 500 * time.Millisecond

var (
	k8sClient client.Client
	clientset *kubernetes.Clientset
	scheme    = runtime.NewScheme()
)

func TestMain(m *testing.M) {
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(rpav1alpha1.AddToScheme(scheme))
	cfg, err := clientcmd.BuildConfigFromFlags("", os.Getenv("KUBECONFIG"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: KUBECONFIG must point at the local cluster (run make e2e):", err)
		os.Exit(1)
	}
	if k8sClient, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: client:", err)
		os.Exit(1)
	}
	if clientset, err = kubernetes.NewForConfig(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: clientset:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// newNamespace creates a namespace for one test and deletes it afterwards.
func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "e2e-"}}
	NewWithT(t).Expect(k8sClient.Create(context.Background(), ns)).To(Succeed())
	t.Cleanup(func() {
		if t.Failed() {
			dumpNamespace(t, ns.Name)
		}
		_ = k8sClient.Delete(context.Background(), ns)
	})
	return ns.Name
}

// testRobot is a robot running the contract-check image, with the
// parameters that choose its behaviour, changed by mutate.
func testRobot(t *testing.T, ns, name string, mutate func(*rpav1alpha1.Robot)) *rpav1alpha1.Robot {
	t.Helper()
	robot := &rpav1alpha1.Robot{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: rpav1alpha1.RobotSpec{
			Template: rpav1alpha1.RobotTemplate{Image: testRobotImage, ImagePullPolicy: corev1.PullNever},
			Parameters: []rpav1alpha1.Parameter{
				{Name: "mode", Default: ptr.To("succeed")},
				{Name: "items", Default: ptr.To("3")},
				{Name: "sleep", Default: ptr.To("0s")},
			},
		},
	}
	if mutate != nil {
		mutate(robot)
	}
	NewWithT(t).Expect(k8sClient.Create(context.Background(), robot)).To(Succeed())
	return robot
}

// startRun creates a manual run.
func startRun(t *testing.T, ns, name, robot string, args map[string]string) *rpav1alpha1.RobotRun {
	t.Helper()
	run := &rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       rpav1alpha1.RobotRunSpec{RobotName: robot, Arguments: args},
	}
	NewWithT(t).Expect(k8sClient.Create(context.Background(), run)).To(Succeed())
	return run
}

func getRun(g Gomega, ns, name string) *rpav1alpha1.RobotRun {
	run := &rpav1alpha1.RobotRun{}
	g.Expect(k8sClient.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, run)).To(Succeed())
	return run
}

// waitForPhase waits until the run reaches phase, failing early with the
// run's message if it reaches another final phase instead.
func waitForPhase(t *testing.T, run *rpav1alpha1.RobotRun, phase rpav1alpha1.RunPhase, within time.Duration) *rpav1alpha1.RobotRun {
	t.Helper()
	var got *rpav1alpha1.RobotRun
	NewWithT(t).Eventually(func(g Gomega) {
		got = getRun(g, run.Namespace, run.Name)
		if got.Status.Phase.Finished() && got.Status.Phase != phase {
			t.Fatalf("run %s ended %s (%s), want %s", run.Name, got.Status.Phase, got.Status.Message, phase)
		}
		g.Expect(got.Status.Phase).To(Equal(phase), "run %s: %s", run.Name, got.Status.Message)
	}, within, poll).Should(Succeed())
	return got
}

func reason(run *rpav1alpha1.RobotRun) string {
	if c := meta.FindStatusCondition(run.Status.Conditions, rpav1alpha1.ConditionSucceeded); c != nil {
		return c.Reason
	}
	return ""
}

// podLogs returns a pod's log.
func podLogs(t *testing.T, ns, pod string) string {
	t.Helper()
	stream, err := clientset.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{}).Stream(context.Background())
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	defer func() { _ = stream.Close() }()
	data, err := io.ReadAll(stream)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return string(data)
}

// operatorLogs returns the logs of every manager pod, including a previous
// container's, so that nothing the operator logged escapes a check.
func operatorLogs(t *testing.T) string {
	t.Helper()
	pods, err := clientset.CoreV1().Pods(operatorNamespace).List(context.Background(), metav1.ListOptions{})
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	var all strings.Builder
	for _, pod := range pods.Items {
		all.WriteString(podLogs(t, operatorNamespace, pod.Name))
	}
	return all.String()
}

// events lists the Events in a namespace.
func events(g Gomega, ns string) []eventsv1.Event {
	var list eventsv1.EventList
	g.Expect(k8sClient.List(context.Background(), &list, client.InNamespace(ns))).To(Succeed())
	return list.Items
}

// kubectl runs the kubectl that matches the cluster and returns its output.
func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := kubectlOutput(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// kubectlOutput runs kubectl and returns its output, or its error with
// what it printed on stderr.
func kubectlOutput(args ...string) (string, error) {
	bin := os.Getenv("KUBECTL")
	if bin == "" {
		bin = "kubectl"
	}
	var out, errOut bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), nil
}

// dumpNamespace prints what a failed test left, for the CI log.
func dumpNamespace(t *testing.T, ns string) {
	t.Logf("robots and runs in %s:\n%s", ns, kubectl(t, "-n", ns, "get", "robots,robotruns,jobs,pods", "-o", "wide"))
}
