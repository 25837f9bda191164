package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers"
	"github.com/rpa-operator/rpa-operator/internal/aggregationtest"
	"github.com/rpa-operator/rpa-operator/internal/oidctest"
	"github.com/rpa-operator/rpa-operator/internal/pgtest"
)

// The suite runs every test in this package against one real kube-apiserver
// and etcd (envtest), built by hack/k8s-binaries.sh, with the CRDs from
// config/crd installed and the manager running as in production.
var (
	testEnv *envtest.Environment
	restCfg *rest.Config
	// managerCfg is the manager's: its ServiceAccount with the ClusterRole
	// config/rbac/role.yaml, so that a permission the manager lacks fails
	// here as it would in a cluster.
	managerCfg *rest.Config
	k8sClient  client.Client
	scheme     = runtime.NewScheme()
	// testClock is the controllers' clock: real time plus an offset that a
	// test may advance (advanceClock) to pass a deadline without waiting.
	testClock = &offsetClock{}
	// managerLogs captures everything the controllers log, for tests that
	// check what the logs must never contain.
	managerLogs = &syncBuffer{}
	// oidcProvider is an OpenID provider that kube-apiserver trusts for
	// consoleClientID's ID tokens, for the console's OIDC sign-in.
	oidcProvider *oidctest.Provider
)

// consoleClientID is the console's registration at oidcProvider, and the
// audience kube-apiserver accepts.
const (
	consoleClientID     = "rpa-console"
	consoleClientSecret = "the integration suite's console client secret"
)

// Polling settings for Eventually: short polls, explicit timeouts.
const (
	timeout  = 20 * time.Second
	interval = 100 * time.Millisecond
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(rpav1alpha1.AddToScheme(scheme))
	logOutput := io.Writer(managerLogs)
	if os.Getenv("RPA_TEST_LOGS") != "" {
		logOutput = io.MultiWriter(managerLogs, os.Stderr)
	}
	logf.SetLogger(zap.New(zap.WriteTo(logOutput), zap.UseDevMode(true), zap.Level(zapcore.Level(-1))))

	assets, err := binaryAssets()
	if err != nil {
		fmt.Fprintln(os.Stderr, "envtest binaries:", err)
		return 1
	}
	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	// Hardened clusters (OpenShift among them) refuse an owner reference
	// that blocks the owner's deletion from whoever may not update the
	// owner's finalizers; the suite runs as they do.
	testEnv.ControlPlane.GetAPIServer().Configure().Append("enable-admission-plugins", "OwnerReferencesPermissionEnforcement")
	aggregationDir, err := os.MkdirTemp("", "rpa-front-proxy-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "front-proxy certificates:", err)
		return 1
	}
	defer func() { _ = os.RemoveAll(aggregationDir) }()
	if err := aggregationtest.Enable(testEnv, aggregationDir); err != nil {
		fmt.Fprintln(os.Stderr, "front-proxy certificates:", err)
		return 1
	}
	// The provider runs before kube-apiserver starts: the apiserver reads
	// its discovery document and keys as it comes up.
	if oidcProvider, err = oidctest.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "OpenID provider:", err)
		return 1
	}
	defer oidcProvider.Close()
	oidcProvider.AddClient(consoleClientID, consoleClientSecret)
	if err := oidcProvider.TrustIn(testEnv, aggregationDir, consoleClientID); err != nil {
		fmt.Fprintln(os.Stderr, "kube-apiserver authentication configuration:", err)
		return 1
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
	k8sClient, err = client.New(restCfg, client.Options{Scheme: scheme})
	if err != nil {
		fmt.Fprintln(os.Stderr, "create client:", err)
		return 1
	}

	managerCfg, err = managerIdentity(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "manager identity:", err)
		return 1
	}
	if err := installAdmissionPolicies(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "admission policies:", err)
		return 1
	}
	if err := installRecordPolicy(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "run-record policy:", err)
		return 1
	}

	pgURL, stopPostgres, err := pgtest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start PostgreSQL:", err)
		return 1
	}
	defer stopPostgres()

	ctx, cancel := context.WithCancel(context.Background())
	stopped, err := startManager(ctx)
	if err != nil {
		cancel()
		fmt.Fprintln(os.Stderr, "start manager:", err)
		return 1
	}
	serverStopped, err := startServer(ctx, pgURL)
	if err != nil {
		cancel()
		fmt.Fprintln(os.Stderr, "start rpa-server:", err)
		return 1
	}
	code := m.Run()
	cancel()
	for name, ch := range map[string]<-chan error{"manager": stopped, "rpa-server": serverStopped} {
		if err := <-ch; err != nil {
			fmt.Fprintln(os.Stderr, name+":", err)
			code = 1
		}
	}
	return code
}

// binaryAssets returns the directory holding etcd and kube-apiserver: from
// KUBEBUILDER_ASSETS when `make test` set it, else built (or found in the
// cache) by hack/k8s-binaries.sh, so plain `go test ./controllers` works too.
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

// startManager runs the controllers as cmd/manager does, on the test
// apiserver, and returns a channel that receives the manager's exit error.
func startManager(ctx context.Context) (<-chan error, error) {
	mgr, err := ctrl.NewManager(managerCfg, ctrl.Options{
		Scheme:                 scheme,
		Cache:                  controllers.CacheOptions(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		return nil, err
	}
	if err := controllers.Setup(mgr, controllers.Options{Clock: testClock, ScheduleLead: controllers.DefaultScheduleLead}); err != nil {
		return nil, err
	}
	stopped := make(chan error, 1)
	go func() { stopped <- mgr.Start(ctx) }()
	return stopped, nil
}

// newNamespace creates a namespace of the test's own and deletes it when the
// test ends. (envtest runs no namespace controller, so its objects stay, but
// no other test sees them.)
func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "test-"}}
	NewWithT(t).Expect(k8sClient.Create(context.Background(), ns)).To(Succeed())
	t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), ns) })
	return ns.Name
}

// offsetClock is the real clock shifted by an offset tests can advance.
type offsetClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *offsetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *offsetClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// advanceClock moves the controllers' clock forward by d until the test ends.
func advanceClock(t *testing.T, d time.Duration) {
	testClock.mu.Lock()
	testClock.offset += d
	testClock.mu.Unlock()
	t.Cleanup(func() {
		testClock.mu.Lock()
		testClock.offset -= d
		testClock.mu.Unlock()
	})
}

// syncBuffer is a bytes.Buffer safe for the manager's concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
