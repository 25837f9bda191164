package integration

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/console"
	"github.com/rpa-operator/rpa-operator/internal/console/kube"
	"github.com/rpa-operator/rpa-operator/internal/console/session"
)

// serveConsole runs the console over TLS (its cookie is Secure) against
// envtest's kube-apiserver, showing the namespaces given.
func serveConsole(t *testing.T, namespaces ...string) *httptest.Server {
	t.Helper()
	g := NewWithT(t)
	httpClient, err := rest.HTTPClientFor(restCfg)
	g.Expect(err).NotTo(HaveOccurred())
	mapper, err := apiutil.NewDynamicRESTMapper(restCfg, httpClient)
	g.Expect(err).NotTo(HaveOccurred())
	sessions, err := session.NewStore([]byte("the integration suite's console session key"), nil)
	g.Expect(err).NotTo(HaveOccurred())
	srv, err := console.New(console.Config{
		Sessions: sessions, Users: kube.NewFactory(restCfg, scheme, mapper), Namespaces: namespaces, TokenSignIn: true,
		Location: time.UTC,
	})
	g.Expect(err).NotTo(HaveOccurred())
	ts := httptest.NewTLSServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts
}

// browser is an HTTPS client with a cookie jar, as a browser keeps the
// session cookie.
func browser(g Gomega, ts *httptest.Server) *http.Client {
	jar, err := cookiejar.New(nil)
	g.Expect(err).NotTo(HaveOccurred())
	c := ts.Client()
	c.Jar = jar
	return c
}

// userToken is a token of a ServiceAccount of ns bound to the shipped
// role there: a person, as far as kube-apiserver's RBAC goes.
func userToken(t *testing.T, ns, name, role string) string {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(k8sClient.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}})).To(Succeed())
	g.Expect(k8sClient.Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: applyUserRole(t, role)},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}},
	})).To(Succeed())
	clientset, err := kubernetes.NewForConfig(restCfg)
	g.Expect(err).NotTo(HaveOccurred())
	tr, err := clientset.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	return tr.Status.Token
}

// get fetches a page and returns its status and body.
func get(g Gomega, c *http.Client, u, lang string) (int, string) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	g.Expect(err).NotTo(HaveOccurred())
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	resp, err := c.Do(req)
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	g.Expect(err).NotTo(HaveOccurred())
	return resp.StatusCode, string(body)
}

// post submits a form as the console's own page does (same origin).
func post(g Gomega, c *http.Client, ts *httptest.Server, path string, form url.Values) (int, string) {
	req, err := http.NewRequest(http.MethodPost, ts.URL+path, strings.NewReader(form.Encode()))
	g.Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", ts.URL)
	resp, err := c.Do(req)
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	g.Expect(err).NotTo(HaveOccurred())
	return resp.StatusCode, string(body)
}

// csrfOf reads the CSRF token a page's forms carry.
func csrfOf(g Gomega, body string) string {
	_, after, found := strings.Cut(body, `name="csrf" value="`)
	g.Expect(found).To(BeTrue(), "the page has a form with a CSRF token")
	token, _, _ := strings.Cut(after, `"`)
	return token
}

// TestTheConsoleShowsAUserWhatTheyMaySeeAndNothingElse: a viewer of one
// department signs in with their own token; the overview lists that
// department's robots, the failing one first, in the browser's language,
// and nothing of the other department; a bad token starts no session, and
// a form without its CSRF token is refused.
func TestTheConsoleShowsAUserWhatTheyMaySeeAndNothingElse(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	hr, other := newNamespace(t), newNamespace(t)
	createRobot(t, hr, "welcome-letters", nil)
	createRobot(t, hr, "certificate-journal", func(r *rpav1alpha1.Robot) {
		r.Spec.Parameters = []rpav1alpha1.Parameter{{Name: "municipality", Required: true}}
	})
	createRobot(t, other, "secret-robot-of-another-department", nil)
	failed := createRun(t, hr, "journal-without-arguments", "certificate-journal", nil)
	waitForOutcome(g, failed, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonInvalidArguments)
	g.Eventually(func(g Gomega) {
		r := &rpav1alpha1.Robot{}
		g.Expect(k8sClient.Get(ctx, client2key(hr, "certificate-journal"), r)).To(Succeed())
		g.Expect(r.Status.LastRun).NotTo(BeNil())
		g.Expect(r.Status.LastRun.Phase).To(Equal(rpav1alpha1.PhaseFailed))
	}, timeout, interval).Should(Succeed())

	ts := serveConsole(t, hr, other)
	c := browser(g, ts)
	status, body := get(g, c, ts.URL+"/", "")
	g.Expect(status).To(Equal(http.StatusOK))
	g.Expect(body).To(ContainSubstring(`name="token"`), "not signed in: the sign-in form")

	status, _ = post(g, c, ts, "/sign-in", url.Values{"token": {"not-a-token"}})
	g.Expect(status).To(Equal(http.StatusUnauthorized))
	u, _ := url.Parse(ts.URL)
	g.Expect(c.Jar.Cookies(u)).To(BeEmpty(), "a refused token starts no session")

	token := userToken(t, hr, "process-owner", "rpa_robot_viewer_role.yaml")
	status, body = post(g, c, ts, "/sign-in", url.Values{"token": {token}})
	g.Expect(status).To(Equal(http.StatusOK), body)
	g.Expect(body).To(ContainSubstring("system:serviceaccount:" + hr + ":process-owner"))
	g.Expect(body).To(ContainSubstring("Overblik"), "Danish without an Accept-Language")
	g.Expect(body).To(ContainSubstring("Seneste kørsel fejlede"))
	g.Expect(body).NotTo(ContainSubstring("secret-robot-of-another-department"), "nothing of the other department")
	g.Expect(body).To(ContainSubstring("Afdelinger, du ikke må se, er udeladt."))
	failing, ok := strings.CutPrefix(body[strings.Index(body, "<tbody>"):], "<tbody>")
	g.Expect(ok).To(BeTrue())
	g.Expect(strings.Index(failing, "certificate-journal")).To(BeNumerically("<", strings.Index(failing, "welcome-letters")),
		"the robot that needs a person comes first")

	status, body = get(g, c, ts.URL+"/", "en-GB,en;q=0.8")
	g.Expect(status).To(Equal(http.StatusOK))
	g.Expect(body).To(ContainSubstring("The last run failed"), "English for an English browser")

	csrf := csrfOf(g, body)
	status, _ = post(g, c, ts, "/language", url.Values{"lang": {"da"}})
	g.Expect(status).To(Equal(http.StatusForbidden), "a form without its CSRF token")
	status, body = post(g, c, ts, "/language", url.Values{"lang": {"da"}, "csrf": {csrf}})
	g.Expect(status).To(Equal(http.StatusOK))
	g.Expect(body).To(ContainSubstring("Overblik"), "the chosen language")
	_, body = get(g, c, ts.URL+"/", "en")
	g.Expect(body).To(ContainSubstring("Overblik"), "kept in the session over the browser's")

	resp, err := c.Get(ts.URL + "/")
	g.Expect(err).NotTo(HaveOccurred())
	_ = resp.Body.Close()
	g.Expect(resp.Header.Get("Content-Security-Policy")).To(ContainSubstring("default-src 'none'"))
	g.Expect(resp.Header.Get("X-Content-Type-Options")).To(Equal("nosniff"))

	crossSite, err := http.NewRequest(http.MethodPost, ts.URL+"/sign-out", strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
	g.Expect(err).NotTo(HaveOccurred())
	crossSite.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	crossSite.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err = c.Do(crossSite)
	g.Expect(err).NotTo(HaveOccurred())
	_ = resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusForbidden), "a cross-site POST, even with the token")

	status, body = post(g, c, ts, "/sign-out", url.Values{"csrf": {csrf}})
	g.Expect(status).To(Equal(http.StatusOK))
	g.Expect(body).To(ContainSubstring(`name="token"`), "signed out: the sign-in form")
}
