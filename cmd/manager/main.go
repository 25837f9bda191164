// Command manager runs the rpa-operator controllers: it turns Robots and
// RobotRuns into batch/v1 Jobs and reports what happened back in status.
package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"

	// Robots are scheduled in local time (Europe/Copenhagen); embedding the
	// zone database lets a distroless or scratch image resolve every zone.
	_ "time/tzdata"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers"
	"github.com/rpa-operator/rpa-operator/internal/buildinfo"
)

// leaderElectionID names the Lease that replicas of the manager compete for.
const leaderElectionID = "rpa-operator.rpa.dev"

// config is everything the manager's flags set.
type config struct {
	metricsAddr          string
	pprofAddr            string
	metricsSecure        bool
	metricsCertDir       string
	probeAddr            string
	enableLeaderElection bool
	enableHTTP2          bool
	kubeAPIQPS           float64
	kubeAPIBurst         int
	controllers          controllers.Options
	zap                  zap.Options
}

func main() {
	cfg := parseFlags(flag.CommandLine, os.Args[1:])
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&cfg.zap)))
	if err := run(cfg); err != nil {
		ctrl.Log.WithName("setup").Error(err, "manager exited")
		os.Exit(1)
	}
}

// parseFlags defines the manager's flags on fs and parses args.
func parseFlags(fs *flag.FlagSet, args []string) config {
	var cfg config
	fs.StringVar(&cfg.metricsAddr, "metrics-bind-address", ":8443",
		"Address the metrics endpoint binds to (HTTPS, authenticated and authorized with the cluster's RBAC unless --metrics-secure=false). 0 disables it.")
	fs.BoolVar(&cfg.metricsSecure, "metrics-secure", true,
		"Serve metrics over HTTPS with authentication and authorization. Set false only for local development.")
	fs.StringVar(&cfg.metricsCertDir, "metrics-cert-dir", "",
		"Directory holding tls.crt and tls.key for the metrics endpoint. Empty: a self-signed certificate is generated.")
	fs.StringVar(&cfg.pprofAddr, "pprof-bind-address", "",
		"Address for Go's pprof endpoints (/debug/pprof), for profiling. Empty: off. Bind to localhost; it has no authentication.")
	fs.StringVar(&cfg.probeAddr, "health-probe-bind-address", ":8081",
		"Address the /healthz and /readyz probes bind to.")
	fs.BoolVar(&cfg.enableLeaderElection, "leader-elect", true,
		"Elect a leader so that only one replica reconciles. Disable only when exactly one manager runs.")
	fs.BoolVar(&cfg.enableHTTP2, "enable-http2", false,
		"Serve metrics over HTTP/2. Off by default because of the HTTP/2 Stream Cancellation and Rapid Reset CVEs.")
	fs.Float64Var(&cfg.kubeAPIQPS, "kube-api-qps", 0,
		"Requests per second the manager's client may send to the apiserver. "+
			"0: controller-runtime's default, no client-side limit (the apiserver's API Priority and Fairness throttles).")
	fs.IntVar(&cfg.kubeAPIBurst, "kube-api-burst", 0,
		"Requests the manager's client may send at once above --kube-api-qps; only with --kube-api-qps set.")
	fs.IntVar(&cfg.controllers.RobotWorkers, "robot-workers", controllers.DefaultRobotWorkers,
		"How many Robots are reconciled at once (one robot never by two at a time).")
	fs.IntVar(&cfg.controllers.RunWorkers, "run-workers", controllers.DefaultRunWorkers,
		"How many RobotRuns are reconciled at once; runs of one robot under Forbid, Queue or Replace are admitted one at a time.")
	fs.DurationVar(&cfg.controllers.ScheduleLead, "schedule-lead", controllers.DefaultScheduleLead,
		"How long before a scheduled time its RobotRun is created (robots not under concurrencyPolicy Forbid); "+
			"the Job is still created at that time. 0 creates runs at their time.")
	fs.DurationVar(&cfg.controllers.RunStartDeadline, "run-start-deadline", controllers.DefaultRunStartDeadline,
		"How long a run waits for a missing credential Secret before it fails with CredentialsNotFound.")
	fs.DurationVar(&cfg.controllers.OrphanRunTTL, "orphan-run-ttl", controllers.DefaultOrphanRunTTL,
		"How long a finished RobotRun of a Robot that does not exist is kept before it is deleted (a Robot's own runs follow its history limits).")
	fs.DurationVar(&cfg.controllers.PodStartDeadline, "pod-start-deadline", controllers.DefaultPodStartDeadline,
		"How long a run's pod may fail to pull its image or create its container before the run fails.")
	cfg.zap = zap.Options{Development: false}
	cfg.zap.BindFlags(fs)
	// A flag.ExitOnError FlagSet exits on a bad flag with a usage message.
	_ = fs.Parse(args)
	return cfg
}

// run builds the manager, registers the controllers and blocks until the
// process is signalled to stop.
func run(cfg config) error {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(rpav1alpha1.AddToScheme(scheme))

	restCfg := ctrl.GetConfigOrDie()
	if cfg.kubeAPIQPS > 0 {
		restCfg.QPS = float32(cfg.kubeAPIQPS)
	}
	if cfg.kubeAPIBurst > 0 {
		restCfg.Burst = cfg.kubeAPIBurst
	}
	mgr, err := ctrl.NewManager(restCfg, managerOptions(cfg, scheme))
	if err != nil {
		return fmt.Errorf("create manager: %w", err)
	}
	if err := controllers.Setup(mgr, cfg.controllers); err != nil {
		return fmt.Errorf("set up controllers: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("add health check: %w", err)
	}
	// Ready once the informers have synced: before that the manager would
	// act on an incomplete view of the cluster.
	if err := mgr.AddReadyzCheck("informers-synced", cacheSynced(mgr.GetCache())); err != nil {
		return fmt.Errorf("add ready check: %w", err)
	}
	ctrl.Log.WithName("setup").Info("starting manager", "version", buildinfo.String(), "leaderElection", cfg.enableLeaderElection, "metrics", cfg.metricsAddr)
	return mgr.Start(ctrl.SetupSignalHandler())
}

// cacheSynced is a readiness check that passes once every informer has synced.
func cacheSynced(c cache.Cache) healthz.Checker {
	return func(req *http.Request) error {
		if !c.WaitForCacheSync(req.Context()) {
			return errors.New("informer caches have not synced")
		}
		return nil
	}
}

// managerOptions translates the flags into controller-runtime options.
func managerOptions(cfg config, scheme *runtime.Scheme) manager.Options {
	var tlsOpts []func(*tls.Config)
	if !cfg.enableHTTP2 {
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	metrics := metricsserver.Options{
		BindAddress:   cfg.metricsAddr,
		SecureServing: cfg.metricsSecure,
		CertDir:       cfg.metricsCertDir,
		TLSOpts:       tlsOpts,
	}
	if cfg.metricsSecure {
		// Only callers allowed to GET /metrics (config/rbac/metrics_reader_role.yaml)
		// may read it, checked with TokenReview and SubjectAccessReview.
		metrics.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	return manager.Options{
		Scheme:                        scheme,
		Cache:                         controllers.CacheOptions(),
		Metrics:                       metrics,
		HealthProbeBindAddress:        cfg.probeAddr,
		PprofBindAddress:              cfg.pprofAddr,
		LeaderElection:                cfg.enableLeaderElection,
		LeaderElectionID:              leaderElectionID,
		LeaderElectionReleaseOnCancel: true,
	}
}
