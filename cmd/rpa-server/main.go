// Command rpa-server keeps the work items of every WorkQueue in PostgreSQL
// and reports each queue's counts in its WorkQueue's status
// (docs/work-queues.md). The database URL and the reference key are read
// from files (mounted Secrets), never from flags or the environment, so
// they appear in no command line.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/buildinfo"
	runrecords "github.com/rpa-operator/rpa-operator/internal/runrecord/store"
	"github.com/rpa-operator/rpa-operator/internal/server/apiserver"
	"github.com/rpa-operator/rpa-operator/internal/server/holds"
	"github.com/rpa-operator/rpa-operator/internal/server/queuestatus"
	"github.com/rpa-operator/rpa-operator/internal/server/referencekey"
	"github.com/rpa-operator/rpa-operator/internal/server/runrecorder"
	"github.com/rpa-operator/rpa-operator/internal/workqueue/store"
)

// leaderElectionID names the Lease that replicas compete for: one counts
// the queues and applies retention at a time.
const leaderElectionID = "rpa-server.rpa.dev"

type config struct {
	databaseURLFile    string
	referenceKeyFile   string
	referenceKeySecret string
	countInterval      time.Duration
	workers            int
	metricsAddr        string
	metricsSecure      bool
	probeAddr          string
	leaderElect        bool
	zap                zap.Options
	// api is the queue.rpa.dev API server's: serving, delegated
	// authentication and authorization, audit.
	api *genericoptions.RecommendedOptions
}

func main() {
	cfg := parseFlags(pflag.CommandLine, os.Args[1:])
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&cfg.zap)))
	if err := run(cfg); err != nil {
		ctrl.Log.WithName("setup").Error(err, "rpa-server exited")
		os.Exit(1)
	}
}

// parseFlags defines the server's flags, the API server's among them
// (--secure-port, --authentication-kubeconfig, --audit-policy-file, ...).
func parseFlags(fs *pflag.FlagSet, args []string) config {
	var cfg config
	cfg.api = apiserver.NewOptions()
	cfg.api.SecureServing.BindPort = 8444
	cfg.api.AddFlags(fs)
	fs.StringVar(&cfg.databaseURLFile, "database-url-file", "/etc/rpa-server/database/url",
		"File holding the PostgreSQL URL (postgres://user:password@host:port/db?sslmode=...), as a mounted Secret provides it.")
	fs.StringVar(&cfg.referenceKeyFile, "reference-key-file", "/etc/rpa-server/reference-key/key",
		fmt.Sprintf("File holding the key (at least %d bytes) of the hashes unique references leave after retention.", store.MinReferenceKeyBytes))
	fs.StringVar(&cfg.referenceKeySecret, "reference-key-secret", "",
		"Secret, in the namespace POD_NAMESPACE names, holding the reference key; rpa-server creates it with a random key when missing. "+
			"Takes the place of --reference-key-file.")
	fs.DurationVar(&cfg.countInterval, "count-interval", queuestatus.DefaultInterval,
		"How often each WorkQueue's items are counted into its status: the most it is written, and how late a queue trigger may see a new item.")
	fs.IntVar(&cfg.workers, "workers", 4, "How many WorkQueues are counted at once.")
	fs.StringVar(&cfg.metricsAddr, "metrics-bind-address", ":8443",
		"Address of the metrics endpoint (HTTPS, RBAC-protected unless --metrics-secure=false). 0 disables it.")
	fs.BoolVar(&cfg.metricsSecure, "metrics-secure", true, "Serve metrics over HTTPS with authentication and authorization.")
	fs.StringVar(&cfg.probeAddr, "health-probe-bind-address", ":8081", "Address of /healthz and /readyz; /readyz fails while the database does not answer.")
	fs.BoolVar(&cfg.leaderElect, "leader-elect", true, "Elect a leader among replicas for counting and retention.")
	cfg.zap = zap.Options{Development: false}
	zapFlags := flag.NewFlagSet("zap", flag.ContinueOnError)
	cfg.zap.BindFlags(zapFlags)
	fs.AddGoFlagSet(zapFlags)
	_ = fs.Parse(args)
	return cfg
}

func run(cfg config) error {
	url, err := readSecretFile(cfg.databaseURLFile, "the database URL")
	if err != nil {
		return err
	}
	ctx := ctrl.SetupSignalHandler()
	restCfg := ctrl.GetConfigOrDie()
	key, err := referenceKey(ctx, cfg, restCfg)
	if err != nil {
		return err
	}
	items, err := openStore(ctx, string(url), key)
	if err != nil {
		return err
	}
	defer items.Close()
	records, err := runrecords.Open(ctx, string(url), nil)
	if err != nil {
		return fmt.Errorf("open the run records: %w", err)
	}
	defer records.Close()

	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(rpav1alpha1.AddToScheme(scheme))
	mgr, err := ctrl.NewManager(restCfg, managerOptions(cfg, scheme))
	if err != nil {
		return fmt.Errorf("create manager: %w", err)
	}
	if err := (&queuestatus.Reconciler{
		Client: mgr.GetClient(), Items: items, Clock: clock.RealClock{}, Interval: cfg.countInterval, Workers: cfg.workers,
	}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up the WorkQueue controller: %w", err)
	}
	if err := (&holds.Reconciler{Client: mgr.GetClient(), Items: items}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up the holds controller: %w", err)
	}
	if err := setupRunRecords(mgr, restCfg, records, items); err != nil {
		return err
	}
	api, err := apiserver.New(cfg.api, items, records, mgr.GetCache())
	if err != nil {
		return err
	}
	if err := mgr.Add(apiRunnable{api}); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("database", databaseAnswers(items)); err != nil {
		return err
	}
	ctrl.Log.WithName("setup").Info("starting rpa-server", "version", buildinfo.String(), "countInterval", cfg.countInterval)
	return mgr.Start(ctx)
}

// setupRunRecords adds the recorder (every replica records; a run is
// recorded once, by UID) and retention (the leader's).
func setupRunRecords(mgr ctrl.Manager, restCfg *rest.Config, records *runrecords.Store, items *store.Store) error {
	clientset, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return err
	}
	if err := (&runrecorder.Reconciler{
		Client: mgr.GetClient(), Records: records, Items: items, Logs: runrecorder.KubeletLogs{Clientset: clientset},
		Clock: clock.RealClock{}, Events: mgr.GetEventRecorder("rpa-server"),
	}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up the run recorder: %w", err)
	}
	if err := (&runrecorder.SuspensionRecorder{Client: mgr.GetClient(), Changes: records}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up the suspension recorder: %w", err)
	}
	if err := crmetrics.Registry.Register(runrecorder.NewPendingCollector(mgr.GetCache(), clock.RealClock{})); err != nil {
		return fmt.Errorf("register the run-record metrics: %w", err)
	}
	return mgr.Add(&runrecorder.Retention{Records: records, Decisions: items, Namespaces: mgr.GetAPIReader(), Clock: clock.RealClock{}})
}

// referenceKey reads the key from its Secret (made when missing), or from
// a file when no Secret is named.
func referenceKey(ctx context.Context, cfg config, restCfg *rest.Config) ([]byte, error) {
	if cfg.referenceKeySecret == "" {
		return readSecretFile(cfg.referenceKeyFile, "the reference key")
	}
	namespace := os.Getenv("POD_NAMESPACE")
	if namespace == "" {
		return nil, errors.New("--reference-key-secret needs POD_NAMESPACE, the server's namespace (the downward API's metadata.namespace)")
	}
	c, err := client.New(restCfg, client.Options{})
	if err != nil {
		return nil, err
	}
	return referencekey.Ensure(ctx, c, namespace, cfg.referenceKeySecret)
}

// openStore opens the store, trying again while the database is not up yet
// (a PostgreSQL starting beside the server, or failing over).
func openStore(ctx context.Context, url string, key []byte) (*store.Store, error) {
	for {
		items, err := store.Open(ctx, url, store.Options{ReferenceKey: key})
		if err == nil {
			return items, nil
		}
		ctrl.Log.WithName("setup").Error(err, "open the work-item database; trying again in 5s")
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("open the work-item database: %w", err)
		case <-time.After(5 * time.Second):
		}
	}
}

// databaseAnswers is a readiness check: a server whose database does not
// answer takes no requests.
func databaseAnswers(items *store.Store) healthz.Checker {
	return func(req *http.Request) error {
		ctx, cancel := context.WithTimeout(req.Context(), 2*time.Second)
		defer cancel()
		if err := items.Ping(ctx); err != nil {
			return fmt.Errorf("the work-item database does not answer: %w", err)
		}
		return nil
	}
}

// readSecretFile reads a secret from a file, without the trailing newline
// a Secret made from a file usually has.
func readSecretFile(path, what string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s from %s: %w", what, path, err)
	}
	data = bytes.TrimRight(data, "\r\n")
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, fmt.Errorf("%s in %s is empty", what, path)
	}
	return data, nil
}

func managerOptions(cfg config, scheme *runtime.Scheme) manager.Options {
	metrics := metricsserver.Options{
		BindAddress: cfg.metricsAddr, SecureServing: cfg.metricsSecure,
		TLSOpts: []func(*tls.Config){func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }},
	}
	if cfg.metricsSecure {
		metrics.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	return manager.Options{
		Scheme: scheme, Metrics: metrics, HealthProbeBindAddress: cfg.probeAddr, Cache: holds.CacheOptions(),
		LeaderElection: cfg.leaderElect, LeaderElectionID: leaderElectionID, LeaderElectionReleaseOnCancel: true,
	}
}

// apiRunnable serves the API on every replica, leader or not: it holds no
// state of its own.
type apiRunnable struct {
	server *genericapiserver.GenericAPIServer
}

func (a apiRunnable) Start(ctx context.Context) error {
	return a.server.PrepareRun().RunWithContext(ctx)
}

// NeedLeaderElection is false: every replica serves.
func (apiRunnable) NeedLeaderElection() bool { return false }
