// Command rpa-console serves the web console (docs/design/console.md)
// over HTTPS. It has no privileges of its own: every page is made with
// the signed-in user's token. The session key is read from a file (a
// mounted Secret), never from a flag or the environment.
package main

import (
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
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/cert"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/console"
	"github.com/rpa-operator/rpa-operator/internal/console/kube"
	"github.com/rpa-operator/rpa-operator/internal/console/session"
)

type config struct {
	bindAddress             string
	tlsCertFile, tlsKeyFile string
	sessionKeyFile          string
	namespaces              []string
	signIn                  string
	timeZone                string
	zap                     zap.Options
}

func main() {
	cfg := parseFlags(pflag.CommandLine, os.Args[1:])
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&cfg.zap)))
	if err := run(cfg); err != nil {
		ctrl.Log.WithName("setup").Error(err, "rpa-console exited")
		os.Exit(1)
	}
}

func parseFlags(fs *pflag.FlagSet, args []string) config {
	var cfg config
	fs.StringVar(&cfg.bindAddress, "bind-address", ":8446", "Address the console serves HTTPS on.")
	fs.StringVar(&cfg.tlsCertFile, "tls-cert-file", "", "Certificate to serve; a self-signed one is made when none is given.")
	fs.StringVar(&cfg.tlsKeyFile, "tls-private-key-file", "", "The certificate's private key.")
	fs.StringVar(&cfg.sessionKeyFile, "session-key-file", "/etc/rpa-console/session-key/key",
		fmt.Sprintf("File holding the key (at least %d random bytes) that signs and encrypts the session cookies; the same in every replica.", session.MinKeyBytes))
	fs.StringSliceVar(&cfg.namespaces, "namespaces", nil, "Namespaces whose robots the console shows (to the users who may list them there).")
	fs.StringVar(&cfg.signIn, "sign-in", "token", "How people sign in: token (a pasted Kubernetes token, for demos and break-glass).")
	fs.StringVar(&cfg.timeZone, "time-zone", "Europe/Copenhagen", "Time zone times are shown in.")
	zapFlags := flag.NewFlagSet("zap", flag.ContinueOnError)
	cfg.zap.BindFlags(zapFlags)
	fs.AddGoFlagSet(zapFlags)
	_ = fs.Parse(args)
	return cfg
}

func run(cfg config) error {
	if cfg.signIn != "token" {
		return fmt.Errorf("--sign-in %q: only token is built yet (OpenID Connect is next, docs/design/console.md)", cfg.signIn)
	}
	if len(cfg.namespaces) == 0 {
		return errors.New("--namespaces: name the namespaces whose robots the console shows")
	}
	loc, err := time.LoadLocation(cfg.timeZone)
	if err != nil {
		return fmt.Errorf("--time-zone: %w", err)
	}
	key, err := readKey(cfg.sessionKeyFile)
	if err != nil {
		return err
	}
	sessions, err := session.NewStore(key, nil)
	if err != nil {
		return err
	}
	restCfg := ctrl.GetConfigOrDie()
	users, err := userFactory(restCfg)
	if err != nil {
		return err
	}
	srv, err := console.New(console.Config{Sessions: sessions, Users: users, Namespaces: cfg.namespaces, TokenSignIn: true, Location: loc})
	if err != nil {
		return err
	}
	tlsCfg, err := tlsConfig(cfg)
	if err != nil {
		return err
	}
	return serve(ctrl.SetupSignalHandler(), &http.Server{
		Addr: cfg.bindAddress, Handler: srv.Handler(), TLSConfig: tlsCfg,
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute,
	})
}

// userFactory makes users' clients; its RESTMapper reads API discovery,
// which kube-apiserver lets every authenticated identity read.
func userFactory(restCfg *rest.Config) (*kube.Factory, error) {
	scheme := runtime.NewScheme()
	utilruntime.Must(rpav1alpha1.AddToScheme(scheme))
	httpClient, err := rest.HTTPClientFor(restCfg)
	if err != nil {
		return nil, err
	}
	mapper, err := apiutil.NewDynamicRESTMapper(restCfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("API discovery: %w", err)
	}
	return kube.NewFactory(restCfg, scheme, mapper), nil
}

func readKey(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the session key from %s: %w", path, err)
	}
	return []byte(strings.TrimRight(string(data), "\r\n")), nil
}

// tlsConfig serves the given certificate, or a self-signed one.
func tlsConfig(cfg config) (*tls.Config, error) {
	var pair tls.Certificate
	var err error
	if cfg.tlsCertFile != "" {
		pair, err = tls.LoadX509KeyPair(cfg.tlsCertFile, cfg.tlsKeyFile)
	} else {
		var certPEM, keyPEM []byte
		if certPEM, keyPEM, err = cert.GenerateSelfSignedCertKey("rpa-console", nil, nil); err == nil {
			pair, err = tls.X509KeyPair(certPEM, keyPEM)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("the console's certificate: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}

// serve runs the server until ctx ends, then lets requests finish.
func serve(ctx context.Context, srv *http.Server) error {
	errs := make(chan error, 1)
	go func() { errs <- srv.ListenAndServeTLS("", "") }()
	ctrl.Log.WithName("setup").Info("serving the console", "address", srv.Addr)
	select {
	case err := <-errs:
		return err
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return srv.Shutdown(shutdown)
	}
}
