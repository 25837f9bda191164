package plugin

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers"
)

// The plugin's tests run its commands against a real kube-apiserver and
// etcd (envtest) with our CRDs and the real controllers, so runs progress
// as in a cluster. envtest has no Job controller or kubelet: drivers_test.go
// plays their part, and pod logs (served by the kubelet) cannot be read.
var (
	restCfg   *rest.Config
	k8sClient client.Client
)

const (
	timeout  = 20 * time.Second
	interval = 100 * time.Millisecond
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	logf.SetLogger(zap.New(zap.WriteTo(&bytes.Buffer{})))
	assets, err := binaryAssets()
	if err != nil {
		fmt.Fprintln(os.Stderr, "envtest binaries:", err)
		return 1
	}
	testEnv := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	restCfg, err = testEnv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start envtest:", err)
		return 1
	}
	defer func() {
		if err := testEnv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop envtest:", err)
		}
	}()
	k8sClient, err = client.New(restCfg, client.Options{Scheme: Scheme})
	if err != nil {
		fmt.Fprintln(os.Stderr, "create client:", err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped, err := startControllers(ctx)
	if err != nil {
		cancel()
		fmt.Fprintln(os.Stderr, "start controllers:", err)
		return 1
	}
	code := m.Run()
	cancel()
	if err := <-stopped; err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
		code = 1
	}
	return code
}

// binaryAssets is the directory of etcd and kube-apiserver, as in
// controllers/suite_test.go: KUBEBUILDER_ASSETS from `make test`, else
// hack/k8s-binaries.sh.
func binaryAssets() (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	cmd := exec.Command(filepath.Join("..", "..", "hack", "k8s-binaries.sh"), "etcd", "kube-apiserver")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("hack/k8s-binaries.sh: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// startControllers runs the operator's controllers as cmd/manager does.
func startControllers(ctx context.Context) (<-chan error, error) {
	mgr, err := ctrl.NewManager(restCfg, ctrl.Options{
		Scheme:                 Scheme,
		Cache:                  controllers.CacheOptions(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		return nil, err
	}
	if err := controllers.Setup(mgr, controllers.Options{}); err != nil {
		return nil, err
	}
	stopped := make(chan error, 1)
	go func() { stopped <- mgr.Start(ctx) }()
	return stopped, nil
}

// newNamespace creates a namespace of the test's own.
func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "plugin-"}}
	NewWithT(t).Expect(k8sClient.Create(context.Background(), ns)).To(Succeed())
	t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), ns) })
	return ns.Name
}

// result is what one invocation of `kubectl robot` printed and returned.
type result struct {
	out, errOut string
	err         error
}

// kubectlRobot runs the plugin's command tree with args in namespace ns,
// connected to envtest, as `kubectl robot -n ns args...` would.
func kubectlRobot(t *testing.T, ns string, args ...string) result {
	t.Helper()
	return kubectlRobotWithLogs(t, ns, nil, args...)
}

// kubectlRobotWithLogs is kubectlRobot reading pod logs from logs (envtest
// has no kubelet to serve them) when logs is not nil.
func kubectlRobotWithLogs(t *testing.T, ns string, logs LogSource, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{Out: &out, ErrOut: &errOut}
	cmd := newCommand(streams, func() (*Env, error) {
		env, err := newEnv(restCfg, ns, streams)
		if err == nil && logs != nil {
			env.Logs = logs
		}
		return env, err
	})
	cmd.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	return result{out: out.String(), errOut: errOut.String(), err: err}
}

// createRobot creates a robot with one parameter, changed by mutate.
func createRobot(t *testing.T, ns, name string, mutate func(*rpav1alpha1.Robot)) {
	t.Helper()
	robot := &rpav1alpha1.Robot{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: rpav1alpha1.RobotSpec{
			Description: "Welcome letters to new residents",
			Template:    rpav1alpha1.RobotTemplate{Image: robotImage},
			Parameters:  []rpav1alpha1.Parameter{{Name: "municipality"}, {Name: "batch"}},
		},
	}
	if mutate != nil {
		mutate(robot)
	}
	NewWithT(t).Expect(k8sClient.Create(context.Background(), robot)).To(Succeed())
}

// runsOf lists the runs in ns.
func runsOf(g Gomega, ns string) []rpav1alpha1.RobotRun {
	var list rpav1alpha1.RobotRunList
	g.Expect(k8sClient.List(context.Background(), &list, client.InNamespace(ns))).To(Succeed())
	return list.Items
}

func clientKey(ns, name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }

// ioStreamsDiscard is streams for tests that do not look at output.
func ioStreamsDiscard() genericiooptions.IOStreams {
	return genericiooptions.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
}
