package integration

import (
	"context"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/rpa-operator/rpa-operator/internal/console"
	"github.com/rpa-operator/rpa-operator/internal/console/kube"
	"github.com/rpa-operator/rpa-operator/internal/console/session"
	"github.com/rpa-operator/rpa-operator/internal/console/signin"
	"github.com/rpa-operator/rpa-operator/internal/oidctest"
)

// consoleSessionKey signs and encrypts the OIDC consoles' cookies; the
// tests read the session back with it.
var consoleSessionKey = []byte("the integration suite's OIDC console session key")

// oidcConsole is a console that signs people in through oidcProvider.
type oidcConsole struct {
	*httptest.Server
	sessions *session.Store
}

// serveOIDCConsole runs a console over TLS whose only sign-in is the
// test's OpenID provider, registered there as clientID (which must have
// been added to the provider) with its redirect URL.
func serveOIDCConsole(t *testing.T, clientID, secret string, namespaces ...string) *oidcConsole {
	t.Helper()
	g := NewWithT(t)
	ts := httptest.NewUnstartedServer(nil)
	base := "https://" + ts.Listener.Addr().String()
	oidcProvider.AllowRedirect(clientID, base+signin.CallbackPath, base+"/sign-in")

	httpClient, err := rest.HTTPClientFor(restCfg)
	g.Expect(err).NotTo(HaveOccurred())
	mapper, err := apiutil.NewDynamicRESTMapper(restCfg, httpClient)
	g.Expect(err).NotTo(HaveOccurred())
	sessions, err := session.NewStore(consoleSessionKey, nil)
	g.Expect(err).NotTo(HaveOccurred())
	provider, err := signin.New(context.Background(), signin.Config{
		IssuerURL: oidcProvider.Issuer, ClientID: clientID, ClientSecret: secret,
		RedirectURL: base + signin.CallbackPath, Scopes: []string{"openid", "profile", "email", "offline_access"},
		HTTPClient: oidcProvider.HTTPClient(), FlowKey: consoleSessionKey,
	})
	g.Expect(err).NotTo(HaveOccurred())
	srv, err := console.New(console.Config{
		Sessions: sessions, Users: kube.NewFactory(restCfg, scheme, mapper), Namespaces: namespaces,
		OIDC: provider, OIDCProvider: "Herning Login", Location: time.UTC,
	})
	g.Expect(err).NotTo(HaveOccurred())
	ts.Config.Handler = srv.Handler()
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return &oidcConsole{Server: ts, sessions: sessions}
}

// oidcBrowser trusts the console and the provider, and keeps cookies.
func oidcBrowser(g Gomega, c *oidcConsole) *http.Client {
	jar, err := cookiejar.New(nil)
	g.Expect(err).NotTo(HaveOccurred())
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(oidcProvider.CAPEM())
	pool.AddCert(c.Certificate())
	transport := c.Client().Transport.(*http.Transport).Clone()
	transport.TLSClientConfig.RootCAs = pool
	return &http.Client{Transport: transport, Jar: jar}
}

// toProviderLogin clicks "Sign in with ..." and follows the redirects to
// the provider's login form; it returns the authorization request's id.
func toProviderLogin(g Gomega, b *http.Client, c *oidcConsole) string {
	resp, err := b.Get(c.URL + "/sign-in/oidc")
	g.Expect(err).NotTo(HaveOccurred())
	_ = resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	g.Expect(resp.Request.URL.String()).To(HavePrefix(oidcProvider.Issuer+"/login?"), "at the provider's login form")
	return resp.Request.URL.Query().Get("authRequestID")
}

// signInAtProvider signs in at the provider's login form as username and
// follows the redirects back to the console; it returns the last page.
func signInAtProvider(g Gomega, b *http.Client, authRequest, username string) (int, string, *url.URL) {
	resp, err := b.PostForm(oidcProvider.Issuer+"/login", url.Values{
		"id": {authRequest}, "username": {username}, "password": {"password of " + username},
	})
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	g.Expect(err).NotTo(HaveOccurred())
	return resp.StatusCode, string(body), resp.Request.URL
}

// addPerson lets username sign in at the provider; kube-apiserver names
// them oidc:<email>.
func addPerson(username, email string, groups ...string) string {
	oidcProvider.AddPerson(oidctest.Person{Username: username, Password: "password of " + username, Email: email, Groups: groups})
	return oidctest.UsernamePrefix + email
}

// bindUser gives the apiserver's user the shipped role in ns.
func bindUser(t *testing.T, ns, user, roleFile string) {
	t.Helper()
	NewWithT(t).Expect(k8sClient.Create(context.Background(), &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: "oidc-"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: applyUserRole(t, roleFile)},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	})).To(Succeed())
}

// sessionOf reads the browser's console session with the console's key.
func sessionOf(g Gomega, b *http.Client, c *oidcConsole) (session.Session, error) {
	u, err := url.Parse(c.URL)
	g.Expect(err).NotTo(HaveOccurred())
	req := httptest.NewRequest(http.MethodGet, c.URL+"/", nil)
	for _, cookie := range b.Jar.Cookies(u) {
		req.AddCookie(cookie)
	}
	return c.sessions.Load(req)
}

// whoIs asks kube-apiserver who a bearer token is.
func whoIs(token string) (authenticationv1.UserInfo, error) {
	cfg := rest.AnonymousClientConfig(restCfg)
	cfg.BearerToken = token
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return authenticationv1.UserInfo{}, err
	}
	review, err := cs.AuthenticationV1().SelfSubjectReviews().Create(context.Background(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return authenticationv1.UserInfo{}, err
	}
	return review.Status.UserInfo, nil
}

// TestOIDCSignInShowsAPersonTheirDepartmentOnly: a
// process owner signs in at the OpenID provider; the console shows the
// name kube-apiserver gives their ID token (oidc:<email>, with their
// groups), their department's robots through the viewer role bound to
// that name, and nothing of another department; signing out ends the
// session here and at the provider.
func TestOIDCSignInShowsAPersonTheirDepartmentOnly(t *testing.T) {
	g := NewWithT(t)
	hr, other := newNamespace(t), newNamespace(t)
	createRobot(t, hr, "welcome-letters", nil)
	createRobot(t, other, "secret-robot-of-another-department", nil)
	user := addPerson("anna", "anna@herning.dk", "rpa-hr")
	bindUser(t, hr, user, "rpa_robot_viewer_role.yaml")
	c := serveOIDCConsole(t, consoleClientID, consoleClientSecret, hr, other)
	b := oidcBrowser(g, c)

	status, body := get(g, b, c.URL+"/", "en")
	g.Expect(status).To(Equal(http.StatusOK))
	g.Expect(body).To(ContainSubstring("Sign in with Herning Login"))
	g.Expect(body).NotTo(ContainSubstring(`name="token"`), "token sign-in is off")

	status, body, at := signInAtProvider(g, b, toProviderLogin(g, b, c), "anna")
	g.Expect(status).To(Equal(http.StatusOK), body)
	g.Expect(at.String()).To(Equal(c.URL+"/"), "back at the console's overview")
	g.Expect(body).To(ContainSubstring(user), "the name kube-apiserver gives the ID token")
	g.Expect(body).To(ContainSubstring("welcome-letters"))
	g.Expect(body).NotTo(ContainSubstring("secret-robot-of-another-department"), "nothing of the other department")

	sess, err := sessionOf(g, b, c)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(sess.OIDC).To(BeTrue())
	g.Expect(sess.Refresh).NotTo(BeEmpty(), "offline_access gave a refresh token")
	who, err := whoIs(sess.Token)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(who.Username).To(Equal(user))
	g.Expect(who.Groups).To(ContainElement(oidctest.GroupsPrefix+"rpa-hr"), "the groups claim, mapped by the apiserver")
	consoleURL, _ := url.Parse(c.URL)
	for _, cookie := range b.Jar.Cookies(consoleURL) {
		g.Expect(cookie.Name).NotTo(Equal(signin.FlowCookieName), "the sign-in's flow cookie is used up")
	}

	var via []string
	b.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		via = append(via, req.URL.Scheme+"://"+req.URL.Host+req.URL.Path)
		return nil
	}
	status, body = post(g, b, c.Server, "/sign-out", url.Values{"csrf": {csrfOf(g, body)}})
	g.Expect(status).To(Equal(http.StatusOK), body)
	g.Expect(via).To(Equal([]string{oidcProvider.Issuer + "/end_session", c.URL + "/sign-in"}), "signed out at the provider too")
	g.Expect(body).To(ContainSubstring("Log ind med Herning Login"), "back at the sign-in page (in Danish: no Accept-Language), through the provider's end_session_endpoint")
	_, err = sessionOf(g, b, c)
	g.Expect(err).To(MatchError(session.ErrNoSession))
}

// TestOIDCCallbackWithAnotherBrowsersStateIsRefused: someone who
// signed in at the provider sends their callback link (code and state)
// to a colleague, to sign the colleague's browser in as themselves
// (login CSRF). The colleague's browser, with no sign-in started, or with
// one of its own, refuses it, and starts no session.
func TestOIDCCallbackWithAnotherBrowsersStateIsRefused(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	user := addPerson("mallory", "mallory@herning.dk")
	bindUser(t, ns, user, "rpa_robot_viewer_role.yaml")
	c := serveOIDCConsole(t, consoleClientID, consoleClientSecret, ns)

	attacker := oidcBrowser(g, c)
	var callback *url.URL
	attacker.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if req.URL.Path == signin.CallbackPath {
			callback = req.URL
			return http.ErrUseLastResponse
		}
		return nil
	}
	_, _, _ = signInAtProvider(g, attacker, toProviderLogin(g, attacker, c), "mallory")
	g.Expect(callback).NotTo(BeNil(), "the provider sent the attacker's browser to the callback")

	colleague := oidcBrowser(g, c)
	status, body := get(g, colleague, callback.String(), "en")
	g.Expect(status).To(Equal(http.StatusBadRequest))
	g.Expect(body).To(ContainSubstring("No sign-in was started in this browser"))

	toProviderLogin(g, colleague, c)
	status, body = get(g, colleague, callback.String(), "en")
	g.Expect(status).To(Equal(http.StatusBadRequest))
	g.Expect(body).To(ContainSubstring("was not the one this browser started"))
	_, err := sessionOf(g, colleague, c)
	g.Expect(err).To(MatchError(session.ErrNoSession), "no session for the colleague")

	wrongState := *callback
	q := wrongState.Query()
	q.Set("state", "not-the-state")
	wrongState.RawQuery = q.Encode()
	toProviderLogin(g, colleague, c)
	status, _ = get(g, colleague, wrongState.String(), "en")
	g.Expect(status).To(Equal(http.StatusBadRequest), "a made-up state")
}

// TestOIDCExpiredIDTokenIsRenewedWithTheRefreshToken: the provider issues
// ID tokens valid for seconds; once kube-apiserver refuses the session's
// token as expired, the next page still shows the person, with a new ID
// token from the refresh token that kube-apiserver accepts.
func TestOIDCExpiredIDTokenIsRenewedWithTheRefreshToken(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	createRobot(t, ns, "welcome-letters", nil)
	user := addPerson("bent", "bent@herning.dk")
	bindUser(t, ns, user, "rpa_robot_viewer_role.yaml")
	oidcProvider.SetIDTokenLifetime(3 * time.Second)
	t.Cleanup(func() { oidcProvider.SetIDTokenLifetime(time.Hour) })
	c := serveOIDCConsole(t, consoleClientID, consoleClientSecret, ns)
	b := oidcBrowser(g, c)

	status, body, _ := signInAtProvider(g, b, toProviderLogin(g, b, c), "bent")
	g.Expect(status).To(Equal(http.StatusOK), body)
	g.Expect(body).To(ContainSubstring(user))
	before, err := sessionOf(g, b, c)
	g.Expect(err).NotTo(HaveOccurred())
	// kube-apiserver caches a token it accepted for ten seconds, so the
	// expired one is refused a little after it expires.
	g.Eventually(func() bool {
		_, err := whoIs(before.Token)
		return apierrors.IsUnauthorized(err)
	}, 30*time.Second, 250*time.Millisecond).Should(BeTrue(), "kube-apiserver refuses the expired ID token")

	status, body = get(g, b, c.URL+"/", "en")
	g.Expect(status).To(Equal(http.StatusOK))
	g.Expect(body).To(ContainSubstring(user), "still signed in")
	g.Expect(body).To(ContainSubstring("welcome-letters"))
	after, err := sessionOf(g, b, c)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(after.Token).NotTo(Equal(before.Token), "a renewed ID token")
	g.Expect(after.Refresh).NotTo(Equal(before.Refresh), "the provider rotated the refresh token")
	g.Expect(after.Expiry).To(Equal(before.Expiry), "the session ends when it would have")
}

// TestOIDCTokenTheClusterDoesNotAcceptStartsNoSession: a console
// registered at the provider under a client ID the cluster does not
// trust gets a valid, signed ID token, which kube-apiserver refuses; the
// person is told, and no session starts.
func TestOIDCTokenTheClusterDoesNotAcceptStartsNoSession(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	addPerson("carl", "carl@herning.dk")
	oidcProvider.AddClient("console-the-cluster-does-not-trust", "its secret")
	c := serveOIDCConsole(t, "console-the-cluster-does-not-trust", "its secret", ns)
	b := oidcBrowser(g, c)

	status, body, _ := signInAtProvider(g, b, toProviderLogin(g, b, c), "carl")
	g.Expect(status).To(Equal(http.StatusUnauthorized), body)
	g.Expect(body).To(ContainSubstring("men klyngen godtog ikke dit log ind"), "told why, in Danish: the redirects carry no Accept-Language")
	_, err := sessionOf(g, b, c)
	g.Expect(err).To(MatchError(session.ErrNoSession))
}
