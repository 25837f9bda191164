package integration

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/workqueue"
)

// The console's browser tests drive Debian's headless Chromium with
// chromedp: what a process owner clicks, in a real browser that keeps the
// console's cookies, enforces its Content-Security-Policy and submits its
// forms. `make test` installs Chromium (hack/chromium.sh) and names it in
// RPA_CHROMIUM; RPA_CONSOLE_SCREENSHOTS names a directory to write the
// screenshots of docs/console.md into (make console-screenshots).

// browserTimeout bounds one browser test: pages here answer in
// milliseconds, so this is only for a browser that hangs.
const browserTimeout = 2 * time.Minute

// chromium is the browser's executable: RPA_CHROMIUM, else chromium on
// PATH. A machine without one fails the test saying how to get it.
func chromium(t *testing.T) string {
	t.Helper()
	if path := os.Getenv("RPA_CHROMIUM"); path != "" {
		return path
	}
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("no Chromium for the console's browser tests: run hack/chromium.sh path (as root it installs Debian's chromium) or set RPA_CHROMIUM")
	}
	return path
}

// tab is one browser tab of a fresh browser (its own profile: no cookies
// shared between tests) that trusts only ts's certificate.
type tab struct {
	ctx context.Context
	ts  *httptest.Server
}

func newTab(t *testing.T, ts *httptest.Server) *tab {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox, // root on a CI machine
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		// Without these it tries, and fails, to reach the internet.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		// The test server's own certificate, and no other, is trusted.
		chromedp.Flag("ignore-certificate-errors-spki-list", spkiHash(t, ts)),
		chromedp.Flag("accept-lang", "da-DK,da"),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	// The browser lives as long as this context: the timeout ends a hung one.
	ctx, cancelTimeout := context.WithTimeout(ctx, browserTimeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc() // ends the browser process chromedp started
	})
	return &tab{ctx: ctx, ts: ts}
}

// spkiHash is the base64 SHA-256 of ts's public key, as Chromium's
// --ignore-certificate-errors-spki-list takes it.
func spkiHash(t *testing.T, ts *httptest.Server) string {
	t.Helper()
	cert, err := x509.ParseCertificate(ts.TLS.Certificates[0].Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// do runs steps that load no new page.
func (tb *tab) do(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(tb.ctx, steps...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// load runs steps that load a page (a link, a form, a reload), waits for
// it and returns its HTTP status.
func (tb *tab) load(t *testing.T, steps ...chromedp.Action[chromedp.Void]) int64 {
	t.Helper()
	resp, err := chromedp.RunResponse(tb.ctx, steps...)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return resp.Status
}

// open loads the console's page at path and returns its HTTP status.
func (tb *tab) open(t *testing.T, path string) int64 {
	t.Helper()
	return tb.load(t, chromedp.Navigate(tb.ts.URL+path))
}

// text is what the page shows (innerText of main), as a person reads it.
func (tb *tab) text(t *testing.T) string {
	t.Helper()
	return browserValue(t, tb, chromedp.Text(chromedp.CSS("main")))
}

// waitForText waits until the page shows s, across the pages that load
// meanwhile (a page that reloads itself).
func (tb *tab) waitForText(t *testing.T, s string) {
	t.Helper()
	shows := chromedp.Evaluate[bool]("document.body !== null && document.body.innerText.includes(" + jsString(s) + ")")
	deadline := time.Now().Add(timeout)
	for {
		found, err := chromedp.Run(tb.ctx, shows)
		if err == nil && found {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page did not show %q in %s (last error: %v)", s, timeout, err)
		}
		time.Sleep(interval)
	}
}

// count is how many elements match a CSS selector.
func (tb *tab) count(t *testing.T, selector string) int {
	t.Helper()
	return browserValue(t, tb, chromedp.Evaluate[int]("document.querySelectorAll("+jsString(selector)+").length"))
}

func browserValue[T any](t *testing.T, tb *tab, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(tb.ctx, a)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}

// unlabelled lists the page's form fields that have no label a screen
// reader would read out (a <label for>, or aria-label), by id or name.
func (tb *tab) unlabelled(t *testing.T) []string {
	t.Helper()
	return browserValue(t, tb, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(
		"input:not([type=hidden]), textarea, select"))
		.filter((e) => !(e.labels && e.labels.length) && !e.getAttribute("aria-label"))
		.map((e) => e.id || e.name)`))
}

// signIn signs in on the sign-in page with token, as a person pastes it.
func (tb *tab) signIn(t *testing.T, token string) {
	t.Helper()
	if status := tb.open(t, "/"); status != 200 {
		t.Fatalf("the sign-in page: HTTP %d", status)
	}
	tb.do(t, chromedp.SetValue(chromedp.CSS("#token"), token))
	if status := tb.load(t, chromedp.Click(chromedp.CSS(`form[action="/sign-in"] button`))); status != 200 {
		t.Fatalf("signing in: HTTP %d: %s", status, tb.text(t))
	}
}

// toEnglish presses the language switch (the console starts in Danish for
// a Danish browser).
func (tb *tab) toEnglish(t *testing.T) {
	t.Helper()
	tb.load(t, chromedp.Click(chromedp.CSS(`form[action="/language"] button`)))
	tb.waitForText(t, "Sign out")
}

// forgePost submits, from the signed-in page, a form the page does not
// offer: to action with fields, carrying the session's CSRF token when
// withCSRF (read from the page's own language form), as a crafted page or
// a tampered browser would. It returns the answer's HTTP status.
func (tb *tab) forgePost(t *testing.T, action string, fields map[string]string, withCSRF bool) int64 {
	t.Helper()
	encoded, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf(`(() => {
		const f = document.createElement("form");
		f.method = "post";
		f.action = %s;
		const add = (name, value) => { const i = document.createElement("input"); i.type = "hidden"; i.name = name; i.value = value; f.append(i); };
		for (const [k, v] of Object.entries(%s)) add(k, v);
		if (%t) add("csrf", document.querySelector('form[action="/language"] input[name="csrf"]').value);
		document.body.append(f);
		f.submit();
		return true;
	})()`, jsString(action), encoded, withCSRF)
	submit := chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](script)(ctx, target)
		return err
	})
	return tb.load(t, submit)
}

// screenshot writes the page into RPA_CONSOLE_SCREENSHOTS as name.png,
// when that is set (the pictures of docs/console.md).
func (tb *tab) screenshot(t *testing.T, name string) {
	t.Helper()
	dir := os.Getenv("RPA_CONSOLE_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := browserValue(t, tb, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestInABrowserAProcessOwnerFindsTheFailingRobotAndStartsARunThatSucceeds:
// signed in with a token, a runner sees their department's robots with the
// failing one first and nothing of the other department, switches to
// English, opens the failing robot, starts a run with a parameter typed
// into its form and watches the run succeed on its page, which follows
// the run without a reload (its event stream and script, under the
// console's Content-Security-Policy).
func TestInABrowserAProcessOwnerFindsTheFailingRobotAndStartsARunThatSucceeds(t *testing.T) {
	g := NewWithT(t)
	hr, other := newNamespace(t), newNamespace(t)
	createRobot(t, hr, "welcome-letters", func(r *rpav1alpha1.Robot) {
		r.Spec.Description = "Welcome letters to new residents, through Digital Post"
	})
	createRobot(t, hr, "certificate-journal", func(r *rpav1alpha1.Robot) {
		r.Spec.Description = "Criminal-record certificates into the ESDH case of each new employee"
		r.Spec.Parameters = []rpav1alpha1.Parameter{{Name: "municipality", Required: true, Description: "Whose certificates to journal"}}
		r.Spec.Schedules = []rpav1alpha1.Schedule{{Name: "mornings", Cron: "0 7 * * 1-5", TimeZone: "Europe/Copenhagen",
			Arguments: map[string]string{"municipality": "Herning"}}}
	})
	createRobot(t, other, "payroll-of-another-department", nil)
	finishRun(g, createRun(t, hr, "welcome-letters-1", "welcome-letters", nil), `{"itemsProcessed":12,"summary":"12 letters sent"}`)
	failed := createRun(t, hr, "certificate-journal-1", "certificate-journal", nil)
	waitForOutcome(g, failed, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonInvalidArguments)
	waitForLastRun(g, hr, "certificate-journal", rpav1alpha1.PhaseFailed)

	registerAPIService(t, serveAPI(t))
	copenhagen, err := time.LoadLocation("Europe/Copenhagen")
	g.Expect(err).NotTo(HaveOccurred())
	ts := serveConsoleIn(t, copenhagen, hr, other)
	b := newTab(t, ts)
	b.signIn(t, userToken(t, hr, "caseworker", "rpa_robot_runner_role.yaml"))
	g.Expect(b.text(t)).To(ContainSubstring("Seneste kørsel fejlede"), "Danish for a Danish browser")
	b.toEnglish(t)
	overview := b.text(t)
	g.Expect(overview).To(ContainSubstring("The last run failed"))
	g.Expect(overview).To(ContainSubstring("failed today: 1"), "the runs that failed since midnight")
	g.Expect(overview).NotTo(ContainSubstring("payroll-of-another-department"), "nothing of the other department")
	first := browserValue(t, b, chromedp.Text(chromedp.CSS("main table tbody tr:first-child td:nth-child(2)")))
	g.Expect(first).To(Equal("certificate-journal"), "the robot that needs a person comes first")
	g.Expect(b.unlabelled(t)).To(BeEmpty(), "every field of the overview is labelled")
	b.screenshot(t, "console-overview")

	g.Expect(b.load(t, chromedp.Click(chromedp.CSS(`main a[href$="/robots/certificate-journal"]`)))).To(BeEquivalentTo(200))
	g.Expect(b.text(t)).To(ContainSubstring("mornings"), "the next scheduled times")
	g.Expect(b.unlabelled(t)).To(BeEmpty(), "every field of the robot page is labelled")
	b.screenshot(t, "console-robot")
	// By keyboard: type into the field, Enter submits its form.
	b.do(t, chromedp.SendKeys(chromedp.CSS("#arg-municipality"), "Herning"))
	g.Expect(b.load(t, chromedp.SendKeys(chromedp.CSS("#arg-municipality"), kb.Enter))).To(BeEquivalentTo(200))
	started := waitForManualRun(g, hr, "certificate-journal", "Herning")
	g.Expect(started.Spec.RequestedBy.Username).To(Equal("system:serviceaccount:"+hr+":caseworker"), "started as the runner")
	b.waitForText(t, started.Name)

	g.Expect(b.load(t, chromedp.Click(chromedp.CSS(`main a[href$="/runs/`+started.Name+`"]`)))).To(BeEquivalentTo(200))
	b.waitForText(t, "This page follows the run")
	// The suite has no kubelet: the test plays its part, the operator the
	// rest. The page follows without a reload: the state changes, then
	// the finished run's page with the robot's summary loads by itself.
	finishRun(g, started, `{"itemsProcessed":4,"summary":"4 certificates journaled"}`)
	b.waitForText(t, "4 certificates journaled")
	g.Expect(b.text(t)).To(ContainSubstring("succeeded"))
	g.Expect(b.count(t, "#run-live")).To(BeZero(), "a finished run is not followed")
	b.screenshot(t, "console-run")
}

// TestInABrowserACaseworkerHandlesABusinessException: the queue page lists
// the items that wait for a person with the robot's reason; the caseworker
// types a comment into the item's field and presses its button, and the
// item is handled as them.
func TestInABrowserACaseworkerHandlesABusinessException(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	registerAPIService(t, serveAPI(t))
	wq := createWorkQueue(t, ns, "certificates", nil)
	ids := itemsForAPerson(g, wq, 2, "The certificate is not clean: HR decides")
	ts := serveConsole(t, ns)
	b := newTab(t, ts)
	b.signIn(t, userToken(t, ns, "caseworker", "rpa_robot_runner_role.yaml"))
	b.toEnglish(t)

	page := fmt.Sprintf("/namespaces/%s/queues/certificates", ns)
	g.Eventually(func() int64 {
		return b.open(t, page)
	}, timeout, interval).Should(BeEquivalentTo(200), "the work-item API is served")
	g.Expect(b.text(t)).To(ContainSubstring("The certificate is not clean: HR decides"))
	g.Expect(b.unlabelled(t)).To(BeEmpty(), "every field of the queue page is labelled")
	b.screenshot(t, "console-queue")

	field := fmt.Sprintf("#comment-%d", ids[0])
	b.do(t, chromedp.SendKeys(chromedp.CSS(field), "Sent to HR by post"))
	g.Expect(b.load(t, chromedp.Click(chromedp.CSS(fmt.Sprintf(`form[action$="/items/%d/handle"] button`, ids[0]))))).To(BeEquivalentTo(200))
	g.Eventually(func(g Gomega) {
		item, err := items.Get(ctx, ns, ids[0])
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(item.State).To(Equal(workqueue.Handled))
	}, timeout, interval).Should(Succeed())
	history, err := items.History(ctx, ns, ids[0])
	g.Expect(err).NotTo(HaveOccurred())
	last := history[len(history)-1]
	g.Expect(last.Actor).To(Equal("system:serviceaccount:"+ns+":caseworker"), "handled as the caseworker")
	g.Expect(last.Detail).To(Equal("Sent to HR by post"))
	b.waitForText(t, "Sign out")
	g.Expect(b.count(t, fmt.Sprintf(`form[action$="/items/%d/handle"]`, ids[0]))).To(BeZero(), "no longer waits for a person")
	g.Expect(b.count(t, fmt.Sprintf(`form[action$="/items/%d/handle"]`, ids[1]))).To(Equal(1), "the other still waits")
}

// TestInABrowserAViewerCannotStartARunNorSeeAnotherNamespace: a viewer's
// robot page has no start form, and the run they forge from the page is
// refused by kube-apiserver with 403; a form that lost its CSRF token is
// refused by the console; the other namespace's robot is refused too.
func TestInABrowserAViewerCannotStartARunNorSeeAnotherNamespace(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns, other := newNamespace(t), newNamespace(t)
	createRobot(t, ns, "welcome-letters", func(r *rpav1alpha1.Robot) {
		r.Spec.Parameters = []rpav1alpha1.Parameter{{Name: "municipality"}}
	})
	createRobot(t, other, "payroll", nil)
	ts := serveConsole(t, ns, other)
	b := newTab(t, ts)
	b.signIn(t, userToken(t, ns, "process-owner", "rpa_robot_viewer_role.yaml"))
	b.toEnglish(t)

	g.Expect(b.open(t, "/namespaces/"+ns+"/robots/welcome-letters")).To(BeEquivalentTo(200))
	g.Expect(b.count(t, `form[action$="/runs"]`)).To(BeZero(), "a viewer gets no start form")
	g.Expect(b.text(t)).NotTo(ContainSubstring("Start the run"))

	status := b.forgePost(t, "/namespaces/"+ns+"/robots/welcome-letters/runs", map[string]string{"arg.municipality": "Herning"}, true)
	g.Expect(status).To(BeEquivalentTo(403), "kube-apiserver refuses the viewer's run")
	var runs rpav1alpha1.RobotRunList
	g.Expect(k8sClient.List(ctx, &runs, client.InNamespace(ns))).To(Succeed())
	g.Expect(runs.Items).To(BeEmpty(), "no run was made")

	b.open(t, "/")
	status = b.forgePost(t, "/language", map[string]string{"lang": "da"}, false)
	g.Expect(status).To(BeEquivalentTo(403), "a form without its CSRF token")

	g.Expect(b.open(t, "/namespaces/"+other+"/robots/payroll")).To(BeEquivalentTo(403), "another namespace's robot")
	g.Expect(b.text(t)).NotTo(ContainSubstring("payroll"))
	b.open(t, "/")
	g.Expect(b.text(t)).NotTo(ContainSubstring("payroll"), "nor on the overview")
}

// waitForManualRun waits for the run of robot whose municipality argument
// is municipality, and returns it.
func waitForManualRun(g Gomega, ns, robot, municipality string) *rpav1alpha1.RobotRun {
	var found *rpav1alpha1.RobotRun
	g.Eventually(func(g Gomega) {
		var runs rpav1alpha1.RobotRunList
		g.Expect(k8sClient.List(context.Background(), &runs, client.InNamespace(ns))).To(Succeed())
		found = nil
		for i := range runs.Items {
			if r := &runs.Items[i]; r.Spec.RobotName == robot && r.Spec.Arguments["municipality"] == municipality {
				found = r
			}
		}
		g.Expect(found).NotTo(BeNil(), "a run of %s for %s", robot, municipality)
	}, timeout, interval).Should(Succeed())
	return found
}
