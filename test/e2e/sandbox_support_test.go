//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox"
)

// repoRoot is where the manifests are: go test runs in test/e2e.
const repoRoot = "../.."

// sandboxDeployment is one sandbox, deployed from robots/sandbox/deploy.yaml
// into a test's own namespace so that each test starts from fresh state.
type sandboxDeployment struct {
	ns string
}

// deploySandbox deploys the sandbox's Deployment and Service into ns, with
// env overriding its settings (SANDBOX_CERTIFICATES, ...), and waits until
// the Service has a ready endpoint.
func deploySandbox(t *testing.T, ns string, env map[string]string) sandboxDeployment {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	var deploy appsv1.Deployment
	var svc corev1.Service
	var secrets []corev1.Secret // the mailbox's password
	for _, doc := range manifestDocs(t, "robots/sandbox/deploy.yaml") {
		var meta struct{ Kind string }
		g.Expect(yaml.Unmarshal(doc, &meta)).To(Succeed())
		switch meta.Kind {
		case "Deployment":
			g.Expect(yaml.Unmarshal(doc, &deploy)).To(Succeed())
		case "Service":
			g.Expect(yaml.Unmarshal(doc, &svc)).To(Succeed())
		case "Secret":
			var secret corev1.Secret
			g.Expect(yaml.Unmarshal(doc, &secret)).To(Succeed())
			secrets = append(secrets, secret)
		}
	}
	g.Expect(deploy.Name).NotTo(BeEmpty(), "deploy.yaml has the Deployment")
	g.Expect(svc.Name).NotTo(BeEmpty(), "deploy.yaml has the Service")
	deploy.Namespace, svc.Namespace = ns, ns
	for i := range secrets {
		secrets[i].Namespace = ns
		g.Expect(k8sClient.Create(ctx, &secrets[i])).To(Succeed())
	}
	setEnv(&deploy.Spec.Template.Spec.Containers[0], env)
	g.Expect(k8sClient.Create(ctx, &deploy)).To(Succeed())
	g.Expect(k8sClient.Create(ctx, &svc)).To(Succeed())

	s := sandboxDeployment{ns: ns}
	g.Eventually(func(g Gomega) {
		g.Expect(s.get("/healthz")).To(ContainSubstring("ok"))
	}, 2*time.Minute, poll).Should(Succeed(), "the sandbox answers through its Service")
	return s
}

// setEnv sets environment variables of a container, replacing any of the
// same name.
func setEnv(c *corev1.Container, env map[string]string) {
	for name, value := range env {
		replaced := false
		for i := range c.Env {
			if c.Env[i].Name == name {
				c.Env[i].Value, replaced = value, true
			}
		}
		if !replaced {
			c.Env = append(c.Env, corev1.EnvVar{Name: name, Value: value})
		}
	}
}

// url is where robots in the cluster reach the sandbox: its Service name,
// resolved by the cluster's DNS.
func (s sandboxDeployment) url() string {
	return fmt.Sprintf("http://sandbox.%s.svc.cluster.local:8080", s.ns)
}

// get reads a sandbox endpoint, such as /tasks?queue=hr, through the
// apiserver's Service proxy, as kubectl get --raw does.
func (s sandboxDeployment) get(endpoint string) (string, error) {
	path, rawQuery, _ := strings.Cut(endpoint, "?")
	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", err
	}
	params := map[string]string{}
	for k := range query {
		params[k] = query.Get(k)
	}
	data, err := clientset.CoreV1().Services(s.ns).ProxyGet("http", "sandbox", "http", path, params).DoRaw(context.Background())
	return string(data), err
}

// read decodes a sandbox endpoint's answer into out.
func (s sandboxDeployment) read(g Gomega, path string, out any) {
	data, err := s.get(path)
	g.Expect(err).NotTo(HaveOccurred(), path)
	g.Expect(json.Unmarshal([]byte(data), out)).To(Succeed(), path)
}

// put changes the sandbox (PUT through the Service proxy, as kubectl
// replace --raw does), e.g. to take a system down.
func (s sandboxDeployment) put(g Gomega, path, body string) {
	abs := fmt.Sprintf("/api/v1/namespaces/%s/services/sandbox:http/proxy%s", s.ns, path)
	_, err := clientset.CoreV1().RESTClient().Put().AbsPath(abs).
		SetHeader("Content-Type", "application/json").Body([]byte(body)).DoRaw(context.Background())
	g.Expect(err).NotTo(HaveOccurred(), "PUT %s", path)
}

func (s sandboxDeployment) state(g Gomega) sandbox.State {
	var st sandbox.State
	s.read(g, "/state", &st)
	return st
}

// sampleRobot creates the sample robot robots/<dir>/ (its robot.yaml and
// secret.yaml) in ns, pointed at the sandbox and without its schedules and
// TargetSystems, so that only the test's runs run; edit changes it further.
func sampleRobot(t *testing.T, ns, dir string, sb sandboxDeployment, edit func(*rpav1alpha1.Robot)) {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	var secret corev1.Secret
	g.Expect(yaml.Unmarshal(manifestDocs(t, filepath.Join("robots", dir, "secret.yaml"))[0], &secret)).To(Succeed())
	secret.Namespace = ns
	// Several robots of one kind share it.
	g.Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, &secret))).To(Succeed())

	robot := &rpav1alpha1.Robot{}
	g.Expect(yaml.Unmarshal(manifestDocs(t, filepath.Join("robots", dir, "robot.yaml"))[0], robot)).To(Succeed())
	robot.Namespace = ns
	robot.Spec.Schedules = nil
	// The shared TargetSystems of the samples are cluster-wide; a test that
	// needs one creates its own.
	robot.Spec.Systems = nil
	found := false
	for i := range robot.Spec.Parameters {
		if robot.Spec.Parameters[i].Name == "sandboxURL" {
			robot.Spec.Parameters[i].Default, found = ptr.To(sb.url()), true
		}
	}
	g.Expect(found).To(BeTrue(), "%s declares the sandboxURL parameter", dir)
	if edit != nil {
		edit(robot)
	}
	g.Expect(k8sClient.Create(ctx, robot)).To(Succeed())
}

// manifestDocs reads the YAML documents of a file in the repository.
func manifestDocs(t *testing.T, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, path))
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	var docs [][]byte
	for _, doc := range strings.Split(string(data), "\n---") {
		if strings.Contains(doc, "kind:") {
			docs = append(docs, []byte(doc))
		}
	}
	return docs
}

// killRobotContainer sends signal to the container of the run's current pod
// through the node's containerd, as the kernel's OOM killer (SIGKILL) or
// the container runtime (SIGTERM) would: the pod object stays and fails
// with the container's exit code, so the Job retries it. It returns the
// pod's name.
func killRobotContainer(t *testing.T, run *rpav1alpha1.RobotRun, signal string) string {
	t.Helper()
	g := NewWithT(t)
	address := os.Getenv("E2E_CONTAINERD_ADDRESS")
	if address == "" {
		t.Fatal("E2E_CONTAINERD_ADDRESS must name the node's containerd socket (hack/e2e.sh sets it)")
	}
	var id, podName string
	g.Eventually(func(g Gomega) {
		podName = getRun(g, run.Namespace, run.Name).Status.PodName
		g.Expect(podName).NotTo(BeEmpty())
		var pod corev1.Pod
		g.Expect(k8sClient.Get(context.Background(), client.ObjectKey{Namespace: run.Namespace, Name: podName}, &pod)).To(Succeed())
		g.Expect(pod.Status.ContainerStatuses).NotTo(BeEmpty())
		status := pod.Status.ContainerStatuses[0]
		g.Expect(status.State.Running).NotTo(BeNil(), "the robot container of %s is running", podName)
		id = strings.TrimPrefix(status.ContainerID, "containerd://")
	}, time.Minute, poll).Should(Succeed())
	out, err := exec.Command("ctr", "--address", address, "-n", "k8s.io", "tasks", "kill", "-s", signal, id).CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), "ctr tasks kill: %s", out)
	t.Logf("sent %s to the robot container of pod %s", signal, podName)
	return podName
}

// waitForState polls the sandbox until ok holds for its state.
func waitForState(t *testing.T, sb sandboxDeployment, what string, ok func(sandbox.State) bool) sandbox.State {
	t.Helper()
	var st sandbox.State
	NewWithT(t).Eventually(func(g Gomega) {
		st = sb.state(g)
		g.Expect(ok(st)).To(BeTrue(), "%s: state %+v", what, st)
	}, 3*time.Minute, 200*time.Millisecond).Should(Succeed())
	return st
}

// waitForEnd waits until the run has finished, whatever its outcome.
func waitForEnd(t *testing.T, run *rpav1alpha1.RobotRun, within time.Duration) *rpav1alpha1.RobotRun {
	t.Helper()
	var got *rpav1alpha1.RobotRun
	NewWithT(t).Eventually(func(g Gomega) {
		got = getRun(g, run.Namespace, run.Name)
		g.Expect(got.Status.Phase.Finished()).To(BeTrue(), "run %s is %s", run.Name, got.Status.Phase)
	}, within, poll).Should(Succeed())
	return got
}
