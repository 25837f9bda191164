package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/hack/internal/benchenv"
	"github.com/rpa-operator/rpa-operator/internal/console"
	"github.com/rpa-operator/rpa-operator/internal/console/kube"
	"github.com/rpa-operator/rpa-operator/internal/console/session"
)

// credential is what the console itself has to reach kube-apiserver
// with. Every page is read with the person's token whatever it is; but
// it decides whether some long-lived client of the console's shares the
// TLS settings of the person's clients, and so keeps client-go's cached
// transport, and its open connection, alive for them between pages.
type credential string

const (
	// noCredential is the console without a credential of its own,
	// reaching kube-apiserver with its CA only (cmd/rpa-console
	// --apiserver-ca-file, as config/console runs it): nothing of the
	// console's shares the person's clients' TLS settings. So is a
	// kubeconfig with a client certificate. The benchmark maps kinds to
	// resources by discovery as envtest's admin, standing in for
	// cmd/rpa-console's mapping from its scheme, which sends no request.
	noCredential credential = "none"
	// tokenCredential is a ServiceAccount token of the console's own,
	// with which it reads API discovery (cmd/rpa-console in a pod with
	// a token, without --apiserver-ca-file): the discovery client has
	// the same TLS settings as the person's clients.
	tokenCredential credential = "token"
)

// consoleNamespace holds the console's own ServiceAccount, bound to nothing.
const consoleNamespace = "rpa-system"

// runningConsole is the console served over HTTPS in this process, and a
// browser signed in to it as the person.
type runningConsole struct {
	server  *httptest.Server
	users   *kube.Factory
	browser *http.Client
	// pages receives, for each GET / served, what it took inside the
	// server and what it asked kube-apiserver.
	pages chan sample
}

// startConsole serves the console as cmd/rpa-console does (token sign-in,
// the console's namespaces, its own credential only for discovery) and
// signs the person in with their token.
func startConsole(ctx context.Context, plane *benchenv.ControlPlane, f *fleet, cred credential) (*runningConsole, error) {
	cfg, discovery, err := consoleConfig(ctx, plane, cred)
	if err != nil {
		return nil, err
	}
	users, err := userFactory(cfg, discovery)
	if err != nil {
		return nil, err
	}
	sessions, err := session.NewStore([]byte("bench-console's session key, 32 bytes or more"), nil)
	if err != nil {
		return nil, err
	}
	srv, err := console.New(console.Config{
		Sessions: sessions, Users: users, Namespaces: f.namespaces, TokenSignIn: true, Location: copenhagen,
	})
	if err != nil {
		return nil, err
	}
	c := &runningConsole{users: users, pages: make(chan sample, 1)}
	c.server = httptest.NewTLSServer(c.timed(srv.Handler()))
	if c.browser, err = signIn(c.server, f.token); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

func (c *runningConsole) stop() { c.server.Close() }

// consoleConfig is the console's own rest.Config, not rate limited on the
// client, as ctrl.GetConfig leaves it, and the config API discovery is
// read with.
func consoleConfig(ctx context.Context, plane *benchenv.ControlPlane, cred credential) (cfg, discovery *rest.Config, err error) {
	if cred == noCredential {
		return rest.AnonymousClientConfig(plane.Admin), plane.Admin, nil
	}
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: consoleNamespace}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: consoleNamespace, Name: "rpa-console"}},
	} {
		if err := plane.Kube.Create(ctx, obj); err != nil {
			return nil, nil, fmt.Errorf("the console's ServiceAccount: %w", err)
		}
	}
	tr, err := plane.Clientset.CoreV1().ServiceAccounts(consoleNamespace).CreateToken(ctx, "rpa-console", &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](2 * 3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("the console's token: %w", err)
	}
	cfg = rest.AnonymousClientConfig(plane.Admin)
	cfg.BearerToken = tr.Status.Token
	return cfg, cfg, nil
}

// userFactory makes the person's clients as cmd/rpa-console does, from
// cfg (whose credentials kube.Factory drops), with a RESTMapper that
// reads API discovery through discovery.
func userFactory(cfg, discovery *rest.Config) (*kube.Factory, error) {
	scheme := runtime.NewScheme()
	utilruntime.Must(rpav1alpha1.AddToScheme(scheme))
	httpClient, err := rest.HTTPClientFor(discovery)
	if err != nil {
		return nil, err
	}
	mapper, err := apiutil.NewDynamicRESTMapper(discovery, httpClient)
	if err != nil {
		return nil, fmt.Errorf("API discovery: %w", err)
	}
	return kube.NewFactory(cfg, scheme, mapper), nil
}

// signIn posts the token to the sign-in form as a browser does, and
// returns the browser holding the session cookie.
func signIn(ts *httptest.Server, token string) (*http.Client, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	b := &http.Client{
		Transport: ts.Client().Transport, Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/sign-in", strings.NewReader(url.Values{"token": {token}}.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", ts.URL)
	resp, err := b.Do(req)
	if err != nil {
		return nil, err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		return nil, fmt.Errorf("sign-in: %s, to %q", resp.Status, resp.Header.Get("Location"))
	}
	return b, nil
}

// overview is GET / as the signed-in browser: what the server said it
// took, and what the browser waited.
func (c *runningConsole) overview(ctx context.Context, f *fleet) (sample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.server.URL+"/", nil)
	if err != nil {
		return sample{}, err
	}
	req.Header.Set("Accept-Language", "da")
	start := time.Now()
	resp, err := c.browser.Do(req)
	if err != nil {
		return sample{}, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	waited := time.Since(start)
	if err != nil {
		return sample{}, err
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), f.user) {
		return sample{}, fmt.Errorf("GET /: %s, not the person's overview", resp.Status)
	}
	s := <-c.pages
	s.waited, s.bytes = waited, int64(len(body))
	return s, nil
}

// timed wraps the console's handler: for each GET /, it times the
// handler and counts, through an httptrace.ClientTrace on the request's
// context (which the console passes to every call it makes), the
// requests to kube-apiserver and the connections they opened.
func (c *runningConsole) timed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/" {
			next.ServeHTTP(w, r)
			return
		}
		var counts callCounter
		start := time.Now()
		next.ServeHTTP(w, r.WithContext(counts.trace(r.Context())))
		c.pages <- sample{took: time.Since(start), calls: counts.calls()}
	})
}

// callCounter counts a page's requests to kube-apiserver, as
// httptrace reports them (a new connection is dialed on a goroutine of
// its own, hence the atomics).
type callCounter struct {
	requests, dials, handshakes atomic.Int64
}

func (c *callCounter) trace(ctx context.Context) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn:           func(httptrace.GotConnInfo) { c.requests.Add(1) },
		ConnectStart:      func(string, string) { c.dials.Add(1) },
		TLSHandshakeStart: func() { c.handshakes.Add(1) },
	})
}

func (c *callCounter) calls() calls {
	return calls{requests: c.requests.Load(), dials: c.dials.Load(), handshakes: c.handshakes.Load()}
}

// calls are what a page asked kube-apiserver.
type calls struct {
	requests, dials, handshakes int64
}
