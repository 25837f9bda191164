package integration

import (
	"context"
	"fmt"
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
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/console"
	"github.com/rpa-operator/rpa-operator/internal/console/kube"
	"github.com/rpa-operator/rpa-operator/internal/console/session"
	runrecords "github.com/rpa-operator/rpa-operator/internal/runrecord/store"
	"github.com/rpa-operator/rpa-operator/internal/workqueue"
)

// serveConsole runs the console over TLS (its cookie is Secure) against
// envtest's kube-apiserver, showing the namespaces given.
func serveConsole(t *testing.T, namespaces ...string) *httptest.Server {
	t.Helper()
	return serveConsoleIn(t, time.UTC, namespaces...)
}

// serveConsoleIn is serveConsole showing times in loc.
func serveConsoleIn(t *testing.T, loc *time.Location, namespaces ...string) *httptest.Server {
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
		Location: loc,
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
	// A client of its own: ts.Client() is one shared client.
	return &http.Client{Transport: ts.Client().Transport, Jar: jar}
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
	hr, other := newNamespace(t), newNamespace(t)
	createRobot(t, hr, "welcome-letters", nil)
	createRobot(t, hr, "certificate-journal", func(r *rpav1alpha1.Robot) {
		r.Spec.Parameters = []rpav1alpha1.Parameter{{Name: "municipality", Required: true}}
	})
	createRobot(t, other, "secret-robot-of-another-department", nil)
	failed := createRun(t, hr, "journal-without-arguments", "certificate-journal", nil)
	waitForOutcome(g, failed, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonInvalidArguments)
	waitForLastRun(g, hr, "certificate-journal", rpav1alpha1.PhaseFailed)

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

// signIn signs a browser in with token and returns it.
func signIn(t *testing.T, ts *httptest.Server, token string) *http.Client {
	t.Helper()
	g := NewWithT(t)
	c := browser(g, ts)
	status, body := post(g, c, ts, "/sign-in", url.Values{"token": {token}})
	g.Expect(status).To(Equal(http.StatusOK), body)
	return c
}

// TestARunnerStartsARunFromTheConsoleAndAViewerCannot: the robot page's
// form starts a run with the parameter the runner typed, as the runner
// (the apiserver stamps them as requester); a missing required parameter
// is told on the form, and no run made; a viewer gets no start button,
// and their forged POST is refused by kube-apiserver with 403.
func TestARunnerStartsARunFromTheConsoleAndAViewerCannot(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	createRobot(t, ns, "welcome-letters", func(r *rpav1alpha1.Robot) {
		r.Spec.Parameters = []rpav1alpha1.Parameter{
			{Name: "municipality", Required: true, Description: "The municipality the letters are from"},
			{Name: "batchSize", Default: ptr.To("40")},
		}
		r.Spec.Description = `Welcome letters <b>to new</b> residents`
	})
	ts := serveConsole(t, ns)
	page := ts.URL + "/namespaces/" + ns + "/robots/welcome-letters"

	runner := signIn(t, ts, userToken(t, ns, "caseworker", "rpa_robot_runner_role.yaml"))
	status, body := get(g, runner, page, "en")
	g.Expect(status).To(Equal(http.StatusOK), body)
	g.Expect(body).To(ContainSubstring(`<label for="arg-municipality">municipality *</label>`), "a labelled field per parameter")
	g.Expect(body).To(ContainSubstring(`Welcome letters &lt;b&gt;to new&lt;/b&gt; residents`), "a robot's text is escaped")
	g.Expect(body).NotTo(ContainSubstring(`/suspend"`), "a runner may not patch robots: no suspend button")
	csrf := csrfOf(g, body)
	g.Expect(body).To(ContainSubstring("No scheduled runs ahead"), "a robot without schedules")

	createRobot(t, ns, "yearly-report", func(r *rpav1alpha1.Robot) {
		r.Spec.Schedules = []rpav1alpha1.Schedule{
			{Name: "new-year", Cron: "0 7 1 1 *", TimeZone: "Europe/Copenhagen"},
			{Name: "holidays", Cron: "0 7 * * *", TimeZone: "Europe/Copenhagen", Calendar: "lejre"},
		}
	})
	_, body = get(g, runner, ts.URL+"/namespaces/"+ns+"/robots/yearly-report", "en")
	// The first New Year ahead (wrong only between midnight and 07:00 on 1 January).
	year := time.Now().Year() + 1
	g.Expect(body).To(ContainSubstring(fmt.Sprintf("%d-01-01 07:00 CET", year)), "the next times, in the schedule's zone")
	g.Expect(body).To(ContainSubstring(fmt.Sprintf("%d-01-01 07:00 CET", year+9)), "ten of them")
	g.Expect(body).NotTo(ContainSubstring(fmt.Sprintf("%d-01-01 07:00 CET", year+10)))
	g.Expect(body).To(ContainSubstring(`Starts no runs: holidays: RobotCalendar &#34;lejre&#34; not found`), "a schedule that starts none says why")

	status, body = post(g, runner, ts, "/namespaces/"+ns+"/robots/welcome-letters/runs", url.Values{"csrf": {csrf}, "arg.batchSize": {"10"}})
	g.Expect(status).To(Equal(http.StatusBadRequest))
	g.Expect(body).To(ContainSubstring("Udfyld: municipality"), "told on the form (in Danish: the POST carries no Accept-Language)")
	g.Expect(body).To(ContainSubstring(`value="10"`), "what was typed stays")
	var runs rpav1alpha1.RobotRunList
	g.Expect(k8sClient.List(ctx, &runs, client.InNamespace(ns))).To(Succeed())
	g.Expect(runs.Items).To(BeEmpty(), "no run for a form that is not complete")

	status, body = post(g, runner, ts, "/namespaces/"+ns+"/robots/welcome-letters/runs",
		url.Values{"csrf": {csrf}, "arg.municipality": {"Herning"}, "arg.batchSize": {""}})
	g.Expect(status).To(Equal(http.StatusOK), body)
	g.Expect(k8sClient.List(ctx, &runs, client.InNamespace(ns))).To(Succeed())
	g.Expect(runs.Items).To(HaveLen(1))
	run := runs.Items[0]
	g.Expect(run.Spec.Arguments).To(Equal(map[string]string{"municipality": "Herning"}), "an empty field keeps the default")
	g.Expect(run.Spec.RequestedBy.Username).To(Equal("system:serviceaccount:"+ns+":caseworker"), "the runner, stamped by the apiserver")
	g.Expect(body).To(ContainSubstring(run.Name), "the robot page lists the new run")

	viewer := signIn(t, ts, userToken(t, ns, "process-owner", "rpa_robot_viewer_role.yaml"))
	status, body = get(g, viewer, page, "en")
	g.Expect(status).To(Equal(http.StatusOK))
	g.Expect(body).NotTo(ContainSubstring("Start the run"), "a viewer gets no start button")
	viewerCSRF := csrfOf(g, body)
	status, body = post(g, viewer, ts, "/namespaces/"+ns+"/robots/welcome-letters/runs", url.Values{"csrf": {viewerCSRF}, "arg.municipality": {"Herning"}})
	g.Expect(status).To(Equal(http.StatusForbidden), "a forged POST is refused by kube-apiserver: %s", body)
	status, _ = post(g, viewer, ts, "/namespaces/"+ns+"/robots/welcome-letters/suspend", url.Values{"csrf": {viewerCSRF}, "suspend": {"true"}})
	g.Expect(status).To(Equal(http.StatusForbidden))
	g.Expect(k8sClient.List(ctx, &runs, client.InNamespace(ns))).To(Succeed())
	g.Expect(runs.Items).To(HaveLen(1), "the viewer made no run")

	editor := signIn(t, ts, userToken(t, ns, "rpa-developer", "rpa_robot_editor_role.yaml"))
	_, body = get(g, editor, page, "en")
	status, _ = post(g, editor, ts, "/namespaces/"+ns+"/robots/welcome-letters/suspend",
		url.Values{"csrf": {csrfOf(g, body)}, "suspend": {"true"}, "reason": {"ESDH is upgraded tonight"}})
	g.Expect(status).To(Equal(http.StatusOK))
	robot := &rpav1alpha1.Robot{}
	g.Expect(k8sClient.Get(ctx, client2key(ns, "welcome-letters"), robot)).To(Succeed())
	g.Expect(robot.Spec.Suspend).To(BeTrue())
	g.Expect(robot.Annotations).To(HaveKeyWithValue(rpav1alpha1.AnnotationSuspendedBy, "system:serviceaccount:"+ns+":rpa-developer"))
	g.Expect(robot.Annotations).To(HaveKeyWithValue(console.AnnotationSuspendReason, "ESDH is upgraded tonight"))

	status, _ = get(g, editor, ts.URL+"/namespaces/"+ns+"/robots/no-such-robot", "en")
	g.Expect(status).To(Equal(http.StatusNotFound))
}

// TestACaseworkerHandlesABusinessExceptionInTheConsole: the queue page
// shows the items that wait for a person, with the robot's reason
// escaped; the caseworker marks one handled with a comment, as
// themselves; handling needs a comment; a viewer may not see the items.
func TestACaseworkerHandlesABusinessExceptionInTheConsole(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	registerAPIService(t, serveAPI(t))
	wq := createWorkQueue(t, ns, "certificates", nil)
	ids := itemsForAPerson(g, wq, 2, `<img src=x onerror=alert(1)> address protection`)

	ts := serveConsole(t, ns)
	page := ts.URL + "/namespaces/" + ns + "/queues/certificates"
	caseworker := signIn(t, ts, userToken(t, ns, "caseworker", "rpa_robot_runner_role.yaml"))
	var status int
	var body string
	g.Eventually(func() int {
		status, body = get(g, caseworker, page, "en")
		return status
	}, timeout, interval).Should(Equal(http.StatusOK), "the work-item API is served")
	g.Expect(body).To(ContainSubstring("&lt;img src=x onerror=alert(1)&gt; address protection"), "the robot's reason, escaped")
	g.Expect(body).To(ContainSubstring("Mark handled"))
	csrf := csrfOf(g, body)
	action := fmt.Sprintf("/namespaces/%s/queues/certificates/items/%d/handle", ns, ids[0])

	status, _ = post(g, caseworker, ts, action, url.Values{"csrf": {csrf}, "comment": {""}})
	g.Expect(status).To(Equal(http.StatusBadRequest), "handling needs a comment")
	status, body = post(g, caseworker, ts, action, url.Values{"csrf": {csrf}, "comment": {"sent by post"}})
	g.Expect(status).To(Equal(http.StatusOK), body)
	handled, err := items.Get(ctx, ns, ids[0])
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(handled.State).To(Equal(workqueue.Handled))
	history, err := items.History(ctx, ns, ids[0])
	g.Expect(err).NotTo(HaveOccurred())
	last := history[len(history)-1]
	g.Expect(last.Actor).To(Equal("system:serviceaccount:"+ns+":caseworker"), "handled as the caseworker")
	g.Expect(last.Detail).To(Equal("sent by post"))
	status, body = post(g, caseworker, ts, action, url.Values{"csrf": {csrf}, "comment": {"again"}})
	g.Expect(status).To(Equal(http.StatusConflict), "an item handled already: %s", body)

	retry := fmt.Sprintf("/namespaces/%s/queues/certificates/items/%d/retry", ns, ids[1])
	status, body = post(g, caseworker, ts, retry, url.Values{"csrf": {csrf}})
	g.Expect(status).To(Equal(http.StatusOK), body)
	retried, err := items.Get(ctx, ns, ids[1])
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(retried.State).To(Equal(workqueue.New), "back in the queue for the robot")

	viewer := signIn(t, ts, userToken(t, ns, "process-owner", "rpa_robot_viewer_role.yaml"))
	status, _ = get(g, viewer, page, "en")
	g.Expect(status).To(Equal(http.StatusForbidden), "a viewer may not read items: they hold personal data")
}

// TestTheRunPageShowsWhatRanAndItsRecordAfterPruning: a run's page says
// what ran (requester, account, digest) while the cluster has it and,
// from the run records, after it is pruned; its log only to those who
// may read logs; a runner cancels a run from it, stamped as canceller.
func TestTheRunPageShowsWhatRanAndItsRecordAfterPruning(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newRecordedNamespace(t)
	registerAPIService(t, serveAPI(t))
	createSecret(t, ns, "esdh-login", map[string]string{"password": "Sommer2026!"})
	createRobot(t, ns, "certificate-journal", func(r *rpav1alpha1.Robot) {
		r.Spec.SuccessfulRunsHistoryLimit = ptr.To[int32](1)
		r.Spec.Credentials = []rpav1alpha1.Credential{{Name: "esdh", SecretName: "esdh-login", Account: "rpa-hr-journal"}}
	})
	first := createRun(t, ns, "journal-1", "certificate-journal", nil)
	taken := itemsForAPerson(g, createWorkQueue(t, ns, "certificates", nil), 2, "not clean <b>")
	finishRun(g, first, `{"itemsProcessed":3,"summary":"3 journaled <script>"}`)
	second := createRun(t, ns, "journal-2", "certificate-journal", nil)
	finishRun(g, second, `{"itemsProcessed":5}`)
	waitForRecord(g, records, first)
	g.Eventually(func() bool {
		return apierrors.IsNotFound(k8sClient.Get(ctx, objectKey(first), &rpav1alpha1.RobotRun{}))
	}, timeout, interval).Should(BeTrue(), "the first run is pruned")

	ts := serveConsole(t, ns)
	runner := signIn(t, ts, userToken(t, ns, "caseworker", "rpa_robot_runner_role.yaml"))
	status, body := get(g, runner, ts.URL+"/namespaces/"+ns+"/runs/journal-2", "en")
	g.Expect(status).To(Equal(http.StatusOK), body)
	g.Expect(body).To(ContainSubstring(robotImageID), "the digest that ran")
	g.Expect(body).To(ContainSubstring("esdh: rpa-hr-journal"), "the account")
	g.Expect(body).NotTo(ContainSubstring("Sommer2026!"))
	g.Expect(body).To(ContainSubstring("You may not read this run&#39;s log"), "a runner does not read pod logs")
	g.Expect(body).To(ContainSubstring("It took no work items."))

	g.Eventually(func(g Gomega) {
		status, body = get(g, runner, ts.URL+"/namespaces/"+ns+"/runs/journal-1", "en")
		g.Expect(status).To(Equal(http.StatusOK), body)
	}, timeout, interval).Should(Succeed(), "the records API is served")
	g.Expect(body).To(ContainSubstring("from the run records"))
	g.Expect(body).To(ContainSubstring("succeeded: Done (Completed)"), "the reason in plain words")
	for _, id := range taken {
		g.Expect(body).To(ContainSubstring(fmt.Sprintf(`<a href="/namespaces/%s/queues/certificates/items/%d">%d</a>`, ns, id, id)), "the items it took")
	}
	g.Expect(strings.Count(body, "not clean &lt;b&gt;")).To(Equal(2), "each item's reason, escaped")
	_, err := items.Erase(ctx, ns, taken[0])
	g.Expect(err).NotTo(HaveOccurred())
	_, body = get(g, runner, ts.URL+"/namespaces/"+ns+"/runs/journal-1", "en")
	g.Expect(strings.Count(body, "not clean &lt;b&gt;")).To(Equal(1))
	g.Expect(body).To(ContainSubstring("Items it took that the queue&#39;s retention has deleted since: 1."), "the record still names it")
	g.Expect(body).To(ContainSubstring("You may not read this run&#39;s log"), "a runner does not read recorded logs either")
	_, body = get(g, runner, ts.URL+"/namespaces/"+ns+"/robots/certificate-journal", "en")
	g.Expect(body).To(ContainSubstring(`<a href="/namespaces/`+ns+`/runs/journal-1">journal-1</a>`), "the pruned run, from its record")
	g.Expect(body).To(MatchRegexp(`journal-1</a>.*<td>3</td>.*<td>the run records</td>`), "its items and where it is kept")
	g.Expect(body).To(MatchRegexp(`journal-2</a>.*<td>5</td>.*<td>the cluster and the run records</td>`), "the live run, recorded too")
	editor := signIn(t, ts, userToken(t, ns, "rpa-developer", "rpa_robot_editor_role.yaml"))
	_, body = get(g, editor, ts.URL+"/namespaces/"+ns+"/runs/journal-1", "en")
	g.Expect(body).To(ContainSubstring("[rpa-server: the kubelet gave no log"), "an editor reads the recorded log")
	viewer := signIn(t, ts, userToken(t, ns, "process-owner", "rpa_robot_viewer_role.yaml"))
	status, body = get(g, viewer, ts.URL+"/namespaces/"+ns+"/runs/journal-1", "en")
	g.Expect(status).To(Equal(http.StatusOK), body)
	g.Expect(body).To(ContainSubstring("You may not read the work items"), "a viewer reads runs, not the items' personal data")
	g.Expect(body).NotTo(ContainSubstring("not clean"))

	createRobot(t, ns, "slow", func(r *rpav1alpha1.Robot) { r.Spec.Suspend = true })
	waiting := createRun(t, ns, "slow-1", "slow", nil)
	_, body = get(g, runner, ts.URL+"/namespaces/"+ns+"/runs/slow-1", "en")
	g.Expect(body).To(ContainSubstring("Cancel the run"))
	status, body = post(g, runner, ts, "/namespaces/"+ns+"/runs/slow-1/cancel", url.Values{"csrf": {csrfOf(g, body)}})
	g.Expect(status).To(Equal(http.StatusOK), body)
	got := &rpav1alpha1.RobotRun{}
	g.Expect(k8sClient.Get(ctx, objectKey(waiting), got)).To(Succeed())
	g.Expect(got.Spec.Cancel).To(BeTrue())
	g.Expect(got.Spec.CancelledBy.Username).To(Equal("system:serviceaccount:" + ns + ":caseworker"))
}

// TestTheAuditPageShowsAndExportsAMonth: a viewer sees who ran, who
// suspended and who handled what in a month, and downloads each as CSV.
func TestTheAuditPageShowsAndExportsAMonth(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newRecordedNamespace(t)
	registerAPIService(t, serveAPI(t))
	createRobot(t, ns, "welcome-letters", nil)
	run := createRun(t, ns, "letters-1", "welcome-letters", nil)
	finishRun(g, run, `{"itemsProcessed":2}`)
	rec := waitForRecord(g, records, run)
	month := rec.FinishedAt.UTC().Format("2006-01")

	editor := clientAs(t, ns, "process-owner@herning.dk", applyUserRole(t, "rpa_robot_editor_role.yaml"))
	robot := &rpav1alpha1.Robot{}
	g.Expect(k8sClient.Get(ctx, client2key(ns, "welcome-letters"), robot)).To(Succeed())
	g.Expect(editor.Patch(ctx, robot, client.RawPatch(client.Merge.Type(), []byte(`{"spec":{"suspend":true}}`)))).To(Succeed())
	g.Eventually(func(g Gomega) {
		changes, err := records.RobotChanges(ctx, runrecords.ChangeListOptions{Namespace: ns})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(changes).NotTo(BeEmpty())
	}, timeout, interval).Should(Succeed())

	ts := serveConsole(t, ns)
	viewer := signIn(t, ts, userToken(t, ns, "auditor", "rpa_robot_viewer_role.yaml"))
	page := ts.URL + "/namespaces/" + ns + "/audit?month=" + month
	var status int
	var body string
	g.Eventually(func() int {
		status, body = get(g, viewer, page, "en")
		return status
	}, timeout, interval).Should(Equal(http.StatusOK))
	g.Expect(body).To(ContainSubstring("letters-1"))
	g.Expect(body).To(ContainSubstring("process-owner@herning.dk"), "who suspended")
	g.Expect(body).To(ContainSubstring("suspended"))

	resp, err := viewer.Get(page + "&export=runs&format=csv")
	g.Expect(err).NotTo(HaveOccurred())
	csvBody, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	g.Expect(resp.Header.Get("Content-Disposition")).To(ContainSubstring(ns + "-runs-" + month + ".csv"))
	g.Expect(string(csvBody)).To(HavePrefix("finished,namespace,robot,run,"))
	g.Expect(string(csvBody)).To(ContainSubstring(",welcome-letters,letters-1,"))
}
