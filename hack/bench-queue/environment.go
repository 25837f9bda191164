package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	runrecords "github.com/rpa-operator/rpa-operator/internal/runrecord/store"

	"github.com/jackc/pgx/v5"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/aggregationtest"
	"github.com/rpa-operator/rpa-operator/internal/workqueue/store"
)

// referenceKey is the store's key for unique references; the benchmark's
// items have none, but the store needs one.
var referenceKey = []byte("bench-queue's reference key, 32 bytes or more")

// environment is everything the benchmark started, and clients of it.
type environment struct {
	dir      string
	postgres *postgres
	control  *envtest.Environment
	// admin is kube-apiserver's cluster admin; kube and clientset are
	// clients as that admin, not rate limited (setting up is not measured).
	admin     *rest.Config
	kube      client.Client
	clientset kubernetes.Interface
	// apiserverHTTP calls kube-apiserver as the admin, for its metrics and
	// profiles.
	apiserverHTTP *http.Client
	items         *store.Store
	records       *runrecords.Store
	api           *apiServer
}

// startEnvironment starts PostgreSQL, etcd and kube-apiserver with the
// aggregation layer and the CRDs, and rpa-server's API server in this
// process; when the aggregated path is measured it registers the
// APIService. On error the environment holds what was started, for stop.
func startEnvironment(ctx context.Context, opts options) (*environment, error) {
	e := &environment{}
	var err error
	if e.dir, err = os.MkdirTemp("", "rpa-bench-queue-"); err != nil {
		return e, err
	}
	if e.postgres, err = startPostgres(opts.root); err != nil {
		return e, err
	}
	if err := e.startControlPlane(opts.root); err != nil {
		return e, err
	}
	if e.items, err = store.Open(ctx, e.postgres.url, store.Options{ReferenceKey: referenceKey}); err != nil {
		return e, fmt.Errorf("open the store: %w", err)
	}
	if e.records, err = runrecords.Open(ctx, e.postgres.url, nil); err != nil {
		return e, fmt.Errorf("open the run records: %w", err)
	}
	if e.api, err = startAPIServer(ctx, e, opts.robotsNotReviewed); err != nil {
		return e, err
	}
	if opts.aggregated() {
		if err := registerAPIService(ctx, e.kube, e.api.port); err != nil {
			return e, err
		}
	}
	return e, nil
}

// startControlPlane starts etcd and kube-apiserver as the integration
// suite does: envtest, the CRDs from config/crd/bases, and the front-proxy
// certificates the aggregation layer proxies with.
func (e *environment) startControlPlane(root string) error {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		var err error
		if assets, err = output(root, "hack/k8s-binaries.sh", "etcd", "kube-apiserver"); err != nil {
			return err
		}
	}
	e.control = &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	if err := aggregationtest.Enable(e.control, filepath.Join(e.dir, "front-proxy")); err != nil {
		return fmt.Errorf("front-proxy certificates: %w", err)
	}
	admin, err := e.control.Start()
	if err != nil {
		return fmt.Errorf("start etcd and kube-apiserver: %w", err)
	}
	e.admin = rest.CopyConfig(admin)
	e.admin.QPS, e.admin.Burst = -1, 0
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(rpav1alpha1.AddToScheme(scheme))
	if e.kube, err = client.New(e.admin, client.Options{Scheme: scheme}); err != nil {
		return err
	}
	if e.clientset, err = kubernetes.NewForConfig(e.admin); err != nil {
		return err
	}
	e.apiserverHTTP, err = rest.HTTPClientFor(e.admin)
	return err
}

// kubeAPIServerCA trusts kube-apiserver's serving certificate, for robots
// that call through the aggregation layer.
func (e *environment) kubeAPIServerCA() (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(e.admin.CAData) {
		return nil, errors.New("kube-apiserver's CA holds no certificate")
	}
	return pool, nil
}

// adminTLS is the admin's client certificate, for calling rpa-server as
// the admin (rpa-server trusts kube-apiserver's client CA).
func (e *environment) adminTLS() (tls.Certificate, error) {
	return tls.X509KeyPair(e.admin.CertData, e.admin.KeyData)
}

// stop stops what startEnvironment started, last first: the API server,
// the store, kube-apiserver and etcd (envtest, by the processes it
// started), PostgreSQL (by the pid it recorded).
func (e *environment) stop() {
	if e.api != nil {
		e.api.stop()
	}
	if e.items != nil {
		e.items.Close()
	}
	if e.records != nil {
		e.records.Close()
	}
	if e.control != nil {
		if err := e.control.Stop(); err != nil {
			fmt.Fprintln(progress, "bench-queue: stop etcd and kube-apiserver:", err)
		}
	}
	if e.postgres != nil {
		e.postgres.stop()
	}
	if e.dir != "" {
		_ = os.RemoveAll(e.dir)
	}
}

// postgres is a server hack/postgres.sh started in dir.
type postgres struct {
	script, dir, url string
}

// startPostgres starts PostgreSQL from Debian's packages as the store's
// tests do (internal/pgtest), in a directory of its own (the script gives
// it to the postgres user when run as root), kept so that the server's
// processes can be found for their CPU time.
func startPostgres(root string) (*postgres, error) {
	dir, err := os.MkdirTemp("", "rpa-bench-queue-pg-")
	if err != nil {
		return nil, err
	}
	p := &postgres{script: filepath.Join(root, "hack", "postgres.sh"), dir: dir}
	if p.url, err = output(root, "hack/postgres.sh", "start", dir); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// stop stops the server by the pid in its postmaster.pid (the script's
// stop), and removes its directory.
func (p *postgres) stop() {
	if out, err := exec.Command(p.script, "stop", p.dir).CombinedOutput(); err != nil {
		fmt.Fprintf(progress, "bench-queue: stop PostgreSQL: %v: %s\n", err, out)
	}
	_ = os.RemoveAll(p.dir)
}

// postmasterPID is the server's main process, which forks a backend per
// connection.
func (p *postgres) postmasterPID() (int, error) {
	data, err := os.ReadFile(filepath.Join(p.dir, "data", "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	var pid int
	_, err = fmt.Sscan(string(data), &pid)
	return pid, err
}

// analyze updates the planner's statistics of the work-item tables, as
// autovacuum does within a minute in a database that runs for longer than
// a benchmark: on the tables just created and filled, the first plans
// PostgreSQL makes for a take are several times slower (the first queue
// measured ran at a fifth of the rate of the next ones without it).
func (p *postgres) analyze(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, p.url)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(ctx) }()
	if _, err := conn.Exec(ctx, "ANALYZE work_items, work_item_history"); err != nil {
		return fmt.Errorf("analyze the work-item tables: %w", err)
	}
	return nil
}

// output runs a script of the repository and returns its trimmed stdout.
func output(root, script string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, script), args...)
	cmd.Stderr = progress
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s: %w", script, err)
	}
	return strings.TrimSpace(string(out)), nil
}
