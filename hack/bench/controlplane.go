package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// cluster is the control plane of one scenario, and the two controllers
// under measurement running as their own processes.
type cluster struct {
	env   *envtest.Environment
	admin *rest.Config
	// apiserver is an HTTP client of kube-apiserver as the admin, for its
	// metrics and profiles; host is the apiserver's base URL.
	apiserver  *http.Client
	host       string
	kubeconfig string
	dir        string
	manager    *exec.Cmd
	kcm        *exec.Cmd
	metrics    string
	pprof      string
}

// startCluster starts etcd and kube-apiserver with the operator's CRDs,
// then kube-controller-manager (cronjob controller only) and the manager.
func startCluster(opts options, s scenario) (*cluster, error) {
	assets, err := output(opts.root, "hack/k8s-binaries.sh", "etcd", "kube-apiserver", "kube-controller-manager")
	if err != nil {
		return nil, err
	}
	c := &cluster{}
	c.dir, err = os.MkdirTemp("", "rpa-bench-")
	if err != nil {
		return nil, err
	}
	c.env = &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{filepath.Join(opts.root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	// The apiserver's own limits are not what is measured.
	c.env.ControlPlane.GetAPIServer().Configure().
		Set("max-requests-inflight", "4000").
		Set("max-mutating-requests-inflight", "2000")
	if c.admin, err = c.env.Start(); err != nil {
		return nil, fmt.Errorf("start control plane: %w", err)
	}
	if c.apiserver, err = rest.HTTPClientFor(c.admin); err != nil {
		return c, err
	}
	c.host = strings.TrimSuffix(c.admin.Host, "/")
	user, err := c.env.AddUser(envtest.User{Name: "bench-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return c, err
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return c, err
	}
	c.kubeconfig = filepath.Join(c.dir, "kubeconfig")
	if err := os.WriteFile(c.kubeconfig, kubeconfig, 0o600); err != nil {
		return c, err
	}
	managerFlags, kcmFlags := s.clientFlags()
	if err := c.startKCM(assets, kcmFlags); err != nil {
		return c, err
	}
	return c, c.startManager(opts, managerFlags)
}

// startKCM runs kube-controller-manager with only the cronjob controller:
// no Job controller, so neither side's Jobs create pods.
func (c *cluster) startKCM(assets string, flags []string) error {
	args := append([]string{
		"--kubeconfig=" + c.kubeconfig,
		"--controllers=cronjob",
		"--leader-elect=false",
		"--secure-port=0",
	}, flags...)
	c.kcm = exec.Command(filepath.Join(assets, "kube-controller-manager"), args...)
	return startLogged(c.kcm, filepath.Join(c.dir, "kube-controller-manager.log"))
}

// startManager builds and runs the operator's manager as users run it,
// with its metrics on plain HTTP on a free local port.
func (c *cluster) startManager(opts options, flags []string) error {
	bin := filepath.Join(c.dir, "manager")
	build := exec.Command("go", "build", "-o", bin, "./cmd/manager")
	build.Dir = opts.root
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build manager: %w: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	c.metrics = "127.0.0.1:" + strconv.Itoa(port)
	args := append([]string{
		"--leader-elect=false",
		"--metrics-bind-address=" + c.metrics,
		"--metrics-secure=false",
		"--health-probe-bind-address=0",
	}, flags...)
	if opts.profileDir != "" {
		pport, err := freePort()
		if err != nil {
			return err
		}
		c.pprof = "127.0.0.1:" + strconv.Itoa(pport)
		args = append(args, "--pprof-bind-address="+c.pprof)
	}
	args = append(args, opts.managerArgs...)
	c.manager = exec.Command(bin, args...)
	c.manager.Env = append(os.Environ(), "KUBECONFIG="+c.kubeconfig)
	return startLogged(c.manager, filepath.Join(c.dir, "manager.log"))
}

// stop stops the processes it started, by their recorded process ids.
func (c *cluster) stop() {
	for _, cmd := range []*exec.Cmd{c.manager, c.kcm} {
		if cmd != nil && cmd.Process != nil {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				_ = cmd.Process.Kill()
			}
		}
	}
	if c.env != nil {
		_ = c.env.Stop()
	}
	if c.dir != "" {
		keepLogs(c.dir)
		_ = os.RemoveAll(c.dir)
	}
}

// keepLogs copies the controllers' logs to $BENCH_KEEP_LOGS, when set, for
// looking into a run afterwards.
func keepLogs(dir string) {
	to := os.Getenv("BENCH_KEEP_LOGS")
	if to == "" {
		return
	}
	_ = os.MkdirAll(to, 0o755)
	for _, name := range []string{"manager.log", "kube-controller-manager.log"} {
		if data, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			_ = os.WriteFile(filepath.Join(to, name), data, 0o644)
		}
	}
}

func startLogged(cmd *exec.Cmd, logPath string) error {
	f, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", filepath.Base(cmd.Path), err)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// output runs a script of the repository and returns its trimmed stdout.
func output(root, script string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, script), args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s: %w", script, err)
	}
	return strings.TrimSpace(string(out)), nil
}
