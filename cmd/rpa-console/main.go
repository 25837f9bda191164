// Command rpa-console serves the web console (docs/design/console.md)
// over HTTPS. It has no privileges of its own: every page is made with
// the signed-in user's token. The session key is read from a file (a
// mounted Secret), never from a flag or the environment, and so is the
// OpenID client secret (docs/console-oidc.md). How it is deployed:
// config/console and docs/console.md.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	// Times are shown in --time-zone, and the robot page computes
	// schedules in their own zones; the image has no zone database.
	_ "time/tzdata"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/cert"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/buildinfo"
	"github.com/rpa-operator/rpa-operator/internal/console"
	"github.com/rpa-operator/rpa-operator/internal/console/kube"
	"github.com/rpa-operator/rpa-operator/internal/console/session"
	"github.com/rpa-operator/rpa-operator/internal/console/signin"
)

type config struct {
	bindAddress             string
	tlsCertFile, tlsKeyFile string
	sessionKeyFile          string
	apiserverCAFile         string
	namespaces              []string
	signIn                  string
	oidc                    oidcFlags
	timeZone                string
	zap                     zap.Options
}

// oidcFlags are the OpenID provider's settings; the client secret is a
// file's path, never the secret itself.
type oidcFlags struct {
	issuerURL, clientID, clientSecretFile, redirectURL, caFile, providerName string
	scopes                                                                   []string
}

// set reports whether any OpenID flag was given.
func (o oidcFlags) set() bool {
	return o.issuerURL != "" || o.clientID != "" || o.clientSecretFile != "" || o.redirectURL != "" || o.caFile != "" || o.providerName != ""
}

// signInMethods are the ways people may sign in.
type signInMethods struct{ token, oidc bool }

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
	fs.StringVar(&cfg.apiserverCAFile, "apiserver-ca-file", "",
		"CA of kube-apiserver, reached at $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT with no credential of the console's own "+
			"(a pod without a ServiceAccount token); when not given, the kubeconfig's or the pod's address and CA.")
	fs.StringSliceVar(&cfg.namespaces, "namespaces", nil, "Namespaces whose robots the console shows (to the users who may list them there).")
	fs.StringVar(&cfg.signIn, "sign-in", "token",
		"How people sign in: oidc (through an OpenID provider the cluster trusts), token (a pasted Kubernetes token, for demos and break-glass), or oidc,token.")
	fs.StringVar(&cfg.oidc.issuerURL, "oidc-issuer-url", "", "The OpenID provider's issuer URL (https), the one kube-apiserver's JWT authenticator trusts.")
	fs.StringVar(&cfg.oidc.clientID, "oidc-client-id", "", "The console's client ID at the provider: the audience kube-apiserver expects.")
	fs.StringVar(&cfg.oidc.clientSecretFile, "oidc-client-secret-file", "", "File holding the console's client secret (a mounted Secret).")
	fs.StringVar(&cfg.oidc.redirectURL, "oidc-redirect-url", "",
		"The console's callback as browsers reach it, registered with the provider: https://HOST"+signin.CallbackPath+".")
	fs.StringSliceVar(&cfg.oidc.scopes, "oidc-scopes", []string{"openid", "profile", "email", "offline_access"},
		"Scopes asked for; openid is needed, offline_access gives the refresh token that renews the ID token.")
	fs.StringVar(&cfg.oidc.caFile, "oidc-ca-file", "", "PEM file of the CA that signed the provider's certificate, when the system's do not.")
	fs.StringVar(&cfg.oidc.providerName, "oidc-provider-name", "", "The provider's name on the sign-in button; the issuer's host when not given.")
	fs.StringVar(&cfg.timeZone, "time-zone", "Europe/Copenhagen", "Time zone times are shown in.")
	zapFlags := flag.NewFlagSet("zap", flag.ContinueOnError)
	cfg.zap.BindFlags(zapFlags)
	fs.AddGoFlagSet(zapFlags)
	_ = fs.Parse(args)
	return cfg
}

func run(cfg config) error {
	methods, err := checkSignIn(cfg.signIn, cfg.oidc)
	if err != nil {
		return err
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
	var provider *signin.Config
	if methods.oidc {
		if provider, err = providerConfig(cfg.oidc, key); err != nil {
			return err
		}
	}
	ctx := ctrl.SetupSignalHandler()
	consoleCfg := console.Config{Sessions: sessions, Namespaces: cfg.namespaces, TokenSignIn: methods.token, Location: loc}
	if provider != nil {
		if consoleCfg.OIDC, err = signin.New(ctx, *provider); err != nil {
			return err
		}
		consoleCfg.OIDCProvider = providerName(cfg.oidc)
	}
	restCfg, err := apiserverConfig(cfg.apiserverCAFile, os.Getenv)
	if err != nil {
		return err
	}
	consoleCfg.Users = userFactory(restCfg)
	srv, err := console.New(consoleCfg)
	if err != nil {
		return err
	}
	tlsCfg, err := tlsConfig(cfg)
	if err != nil {
		return err
	}
	httpSrv := &http.Server{
		Addr: cfg.bindAddress, Handler: withHealthz(srv.Handler()), TLSConfig: tlsCfg,
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute,
	}
	// Open run streams would hold the shutdown for its whole grace period:
	// they end at once, and the browsers reconnect to another replica.
	httpSrv.RegisterOnShutdown(srv.EndStreams)
	return serve(ctx, httpSrv)
}

// checkSignIn reads --sign-in and checks the OpenID flags against it:
// each wrong combination is refused saying what to change.
func checkSignIn(value string, o oidcFlags) (signInMethods, error) {
	var m signInMethods
	for _, method := range strings.Split(value, ",") {
		switch strings.TrimSpace(method) {
		case "token":
			if m.token {
				return m, fmt.Errorf("--sign-in %q: token is named twice", value)
			}
			m.token = true
		case "oidc":
			if m.oidc {
				return m, fmt.Errorf("--sign-in %q: oidc is named twice", value)
			}
			m.oidc = true
		default:
			return m, fmt.Errorf("--sign-in %q: want oidc, token or oidc,token", value)
		}
	}
	if !m.oidc {
		if o.set() {
			return m, fmt.Errorf("--oidc-* flags are set but --sign-in %q does not include oidc", value)
		}
		return m, nil
	}
	return m, checkOIDCFlags(o)
}

// checkOIDCFlags checks what the provider needs before anything is read
// or fetched.
func checkOIDCFlags(o oidcFlags) error {
	switch {
	case o.issuerURL == "":
		return errors.New("--oidc-issuer-url: name the OpenID provider's issuer (--sign-in includes oidc)")
	case !validIssuer(o.issuerURL):
		return fmt.Errorf("--oidc-issuer-url %q: want an https:// URL without query or fragment, as kube-apiserver requires", o.issuerURL)
	case o.clientID == "":
		return errors.New("--oidc-client-id: name the console's client ID at the provider")
	case o.clientSecretFile == "":
		return errors.New("--oidc-client-secret-file: name the file holding the console's client secret (a mounted Secret)")
	case o.redirectURL == "":
		return fmt.Errorf("--oidc-redirect-url: give the console's callback, https://HOST%s, as registered with the provider", signin.CallbackPath)
	case !validRedirect(o.redirectURL):
		return fmt.Errorf("--oidc-redirect-url %q: want https://HOST%s (the console serves only HTTPS, and the callback there)", o.redirectURL, signin.CallbackPath)
	case !slices.Contains(o.scopes, "openid"):
		return fmt.Errorf("--oidc-scopes %q: openid is needed for an ID token", strings.Join(o.scopes, ","))
	}
	return nil
}

// validIssuer: kube-apiserver takes only an https issuer without query or
// fragment, and the console must name the same one.
func validIssuer(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.RawQuery == "" && u.Fragment == ""
}

// validRedirect: the provider sends the code back to the console's own
// callback, over HTTPS.
func validRedirect(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.Path == signin.CallbackPath && u.RawQuery == ""
}

// providerConfig reads the client secret and the CA from their files.
// The session key also keys the sign-in's flow cookie (apart, by HKDF).
func providerConfig(o oidcFlags, key []byte) (*signin.Config, error) {
	data, err := os.ReadFile(o.clientSecretFile)
	if err != nil {
		return nil, fmt.Errorf("--oidc-client-secret-file: %w", err)
	}
	secret := strings.TrimRight(string(data), "\r\n")
	if secret == "" {
		return nil, fmt.Errorf("--oidc-client-secret-file %s: the file is empty", o.clientSecretFile)
	}
	httpClient, err := providerClient(o.caFile)
	if err != nil {
		return nil, err
	}
	return &signin.Config{
		IssuerURL: o.issuerURL, ClientID: o.clientID, ClientSecret: secret, RedirectURL: o.redirectURL,
		Scopes: o.scopes, HTTPClient: httpClient, FlowKey: key,
	}, nil
}

// providerClient trusts the system's CAs and, if given, caFile's too.
func providerClient(caFile string) (*http.Client, error) {
	if caFile == "" {
		return &http.Client{Timeout: 30 * time.Second}, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("--oidc-ca-file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--oidc-ca-file %s: no PEM certificate in it", caFile)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: transport, Timeout: 30 * time.Second}, nil
}

// providerName is the button's, or the issuer's host.
func providerName(o oidcFlags) string {
	if o.providerName != "" {
		return o.providerName
	}
	if u, err := url.Parse(o.issuerURL); err == nil {
		return u.Hostname()
	}
	return o.issuerURL
}

// apiserverConfig is where kube-apiserver is and which CA to trust. With
// caFile, that is all: the kubernetes Service's address, which the kubelet
// gives every container, and the cluster's CA (the kube-root-ca.crt
// ConfigMap), so the console's pod needs no ServiceAccount token
// (config/console). Without it, the kubeconfig's or the pod's config, whose
// credentials internal/console/kube drops.
func apiserverConfig(caFile string, getenv func(string) string) (*rest.Config, error) {
	if caFile == "" {
		return ctrl.GetConfig()
	}
	host, port := getenv("KUBERNETES_SERVICE_HOST"), getenv("KUBERNETES_SERVICE_PORT")
	if host == "" || port == "" {
		return nil, errors.New("--apiserver-ca-file: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set " +
			"(run in a pod, or leave the flag out to use a kubeconfig)")
	}
	if _, err := cert.NewPool(caFile); err != nil {
		return nil, fmt.Errorf("--apiserver-ca-file: %w", err)
	}
	return &rest.Config{Host: "https://" + net.JoinHostPort(host, port), TLSClientConfig: rest.TLSClientConfig{CAFile: caFile}}, nil
}

// userFactory makes users' clients. The console has no credential of its
// own, and kube-apiserver lets no anonymous request read API discovery, so
// kinds are mapped to resources from the scheme (restMapper), not
// discovered.
func userFactory(restCfg *rest.Config) *kube.Factory {
	scheme := consoleScheme()
	return kube.NewFactory(restCfg, scheme, restMapper(scheme))
}

// consoleScheme knows the rpa.dev kinds the console reads and writes.
func consoleScheme() *runtime.Scheme {
	scheme := runtime.NewScheme()
	utilruntime.Must(rpav1alpha1.AddToScheme(scheme))
	return scheme
}

// clusterScoped are the rpa.dev kinds that belong to no namespace
// (+kubebuilder:resource:scope=Cluster). TestRESTMapperAgreesWithTheCRDs
// checks every kind against config/crd/bases.
var clusterScoped = map[string]bool{"TargetSystem": true}

// restMapper maps each rpa.dev kind the console is built with (each kind
// with a list kind) to its resource, as its CRD names it.
func restMapper(scheme *runtime.Scheme) meta.RESTMapper {
	gv := rpav1alpha1.GroupVersion
	mapper := meta.NewDefaultRESTMapper([]schema.GroupVersion{gv})
	for kind := range scheme.KnownTypes(gv) {
		if !scheme.Recognizes(gv.WithKind(kind + "List")) {
			continue
		}
		scope := meta.RESTScopeNamespace
		if clusterScoped[kind] {
			scope = meta.RESTScopeRoot
		}
		mapper.Add(gv.WithKind(kind), scope)
	}
	return mapper
}

// withHealthz answers the kubelet's probes at /healthz: the console needs
// nothing but itself to serve its pages (an unreachable kube-apiserver is
// said on them, and a restart would not mend it).
func withHealthz(console http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.Handle("/", console)
	return mux
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
	ctrl.Log.WithName("setup").Info("serving the console", "version", buildinfo.String(), "address", srv.Addr)
	select {
	case err := <-errs:
		return err
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return srv.Shutdown(shutdown)
	}
}
