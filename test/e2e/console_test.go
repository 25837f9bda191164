//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The console as hack/deploy-local.sh deploys it: config/console with
// config/console/local, showing rpa-demo, whose demo users it adds.
const (
	consoleNamespace = "rpa-demo"
	consoleName      = "rpa-console"
)

// TestConsoleSignsInWithTheDemoTokensOverItsNodePort: the console runs
// with no credential of its own, becomes Available, and a demo user's
// token (as `kubectl create token` makes it) signs in from this machine
// through the Service's NodePort: the caseworker sees rpa-demo's robots
// and the start button, the process owner the robots but no button, and
// signing out takes the session's CSRF token.
func TestConsoleSignsInWithTheDemoTokensOverItsNodePort(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	g.Eventually(func(g Gomega) {
		var d appsv1.Deployment
		g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: consoleName}, &d)).To(Succeed())
		g.Expect(d.Spec.Template.Spec.AutomountServiceAccountToken).To(Equal(ptr.To(false)), "the console's pod holds no token")
		available := false
		for _, c := range d.Status.Conditions {
			available = available || (c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue)
		}
		g.Expect(available).To(BeTrue(), "deployment %s is not Available: %+v", consoleName, d.Status.Conditions)
	}, 2*time.Minute, poll).Should(Succeed())

	robot := testRobot(t, consoleNamespace, "e2e-console-"+rand.String(5), nil)
	t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), robot) })
	base := consoleURL(t)
	robotPage := "/namespaces/" + consoleNamespace + "/robots/" + robot.Name

	caseworker := signInToConsole(t, base, demoToken(t, "caseworker"))
	status, body := consoleGet(g, caseworker, base+"/")
	g.Expect(status).To(Equal(http.StatusOK), body)
	g.Expect(body).To(ContainSubstring("system:serviceaccount:rpa-demo:caseworker"), "the name kube-apiserver gives the token")
	g.Expect(body).To(ContainSubstring(robot.Name), "the overview lists rpa-demo's robots")
	status, body = consoleGet(g, caseworker, base+robotPage)
	g.Expect(status).To(Equal(http.StatusOK), body)
	g.Expect(body).To(ContainSubstring("Start the run"), "a runner gets the start button")

	owner := signInToConsole(t, base, demoToken(t, "process-owner"))
	status, body = consoleGet(g, owner, base+robotPage)
	g.Expect(status).To(Equal(http.StatusOK), body)
	g.Expect(body).To(ContainSubstring(robot.Name))
	g.Expect(body).NotTo(ContainSubstring("Start the run"), "a viewer gets no start button")

	_, csrf, found := strings.Cut(body, `name="csrf" value="`)
	g.Expect(found).To(BeTrue(), "the page's forms carry the CSRF token")
	csrf, _, _ = strings.Cut(csrf, `"`)
	resp, err := owner.PostForm(base+"/sign-out", url.Values{"csrf": {csrf}})
	g.Expect(err).NotTo(HaveOccurred())
	_ = resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusSeeOther))
	g.Expect(resp.Header.Get("Location")).To(Equal("/sign-in"))
	status, _ = consoleGet(g, owner, base+robotPage)
	g.Expect(status).NotTo(Equal(http.StatusOK), "signed out: no robot page")
}

// consoleURL is the console's NodePort on the node's address, as
// hack/demo.sh prints it.
func consoleURL(t *testing.T) string {
	t.Helper()
	g := NewWithT(t)
	svc, err := clientset.CoreV1().Services(operatorNamespace).Get(context.Background(), consoleName, metav1.GetOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(svc.Spec.Type).To(Equal(corev1.ServiceTypeNodePort), "config/console/local makes it a NodePort")
	nodes, err := clientset.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(nodes.Items).NotTo(BeEmpty())
	for _, a := range nodes.Items[0].Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			return "https://" + net.JoinHostPort(a.Address, strconv.Itoa(int(svc.Spec.Ports[0].NodePort)))
		}
	}
	t.Fatalf("node %s has no InternalIP", nodes.Items[0].Name)
	return ""
}

// demoToken is a demo user's token from the TokenRequest API, as
// `kubectl create token` asks for it.
func demoToken(t *testing.T, serviceAccount string) string {
	t.Helper()
	tr, err := clientset.CoreV1().ServiceAccounts(consoleNamespace).CreateToken(context.Background(), serviceAccount,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600)}}, metav1.CreateOptions{})
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return tr.Status.Token
}

// signInToConsole pastes token into the sign-in form, as a browser would,
// and returns that browser: its cookie jar holds the session. The
// certificate is the console's self-signed one.
func signInToConsole(t *testing.T, base, token string) *http.Client {
	t.Helper()
	g := NewWithT(t)
	jar, err := cookiejar.New(nil)
	g.Expect(err).NotTo(HaveOccurred())
	browser := &http.Client{
		Jar: jar, Timeout: 30 * time.Second,
		// The console serves a self-signed certificate (config/console).
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		// The redirects are what is checked.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	status, body := consoleGet(g, browser, base+"/sign-in")
	g.Expect(status).To(Equal(http.StatusOK), body)
	g.Expect(body).To(ContainSubstring(`name="token"`), "the sign-in form")
	resp, err := browser.PostForm(base+"/sign-in", url.Values{"token": {token}})
	g.Expect(err).NotTo(HaveOccurred())
	_ = resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusSeeOther), "kube-apiserver accepts the token")
	g.Expect(resp.Header.Get("Location")).To(Equal("/"))
	return browser
}

// consoleGet reads a page in English.
func consoleGet(g Gomega, browser *http.Client, page string) (int, string) {
	req, err := http.NewRequest(http.MethodGet, page, nil)
	g.Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Accept-Language", "en")
	resp, err := browser.Do(req)
	g.Expect(err).NotTo(HaveOccurred(), fmt.Sprintf("GET %s", page))
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	g.Expect(err).NotTo(HaveOccurred())
	return resp.StatusCode, string(body)
}

// TestConsoleStreamsARunningRunsLogFromARealRobot: the run page's event
// stream, read as a person who may read pod logs (the built-in view role),
// carries the robot container's log lines while it runs, then its final
// state, then the end.
func TestConsoleStreamsARunningRunsLogFromARealRobot(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	reader := "log-reader-" + rand.String(5)
	g.Expect(k8sClient.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: consoleNamespace, Name: reader}})).To(Succeed())
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: consoleNamespace, Name: reader},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: consoleNamespace, Name: reader}},
	}
	g.Expect(k8sClient.Create(ctx, binding)).To(Succeed())
	t.Cleanup(func() {
		_ = k8sClient.Delete(context.Background(), binding)
		_ = k8sClient.Delete(context.Background(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: consoleNamespace, Name: reader}})
	})
	robot := testRobot(t, consoleNamespace, "e2e-live-"+rand.String(5), nil)
	t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), robot) })
	run := startRun(t, consoleNamespace, robot.Name+"-1", robot.Name, map[string]string{"mode": "sleep", "sleep": "6s", "items": "3"})

	browser := signInToConsole(t, consoleURL(t), demoToken(t, reader))
	streamer := *browser
	streamer.Timeout = 0 // the stream lasts as long as the run
	streamCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(streamCtx, http.MethodGet, consoleURL(t)+"/namespaces/"+consoleNamespace+"/runs/"+run.Name+"/events", nil)
	g.Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Accept-Language", "en")
	resp, err := streamer.Do(req)
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	g.Expect(resp.Header.Get("Content-Type")).To(HavePrefix("text/event-stream"))

	var events []string // "event: data" in the order they came
	scanner := bufio.NewScanner(resp.Body)
	event := ""
	for scanner.Scan() {
		line := scanner.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			events = append(events, event+": "+strings.TrimPrefix(line, "data: "))
		}
	}
	g.Expect(events).NotTo(BeEmpty())
	g.Expect(events[len(events)-1]).To(Equal("end: {}"), "the stream ends once the run has: %v", events)
	firstLog := slices.IndexFunc(events, func(e string) bool { return strings.HasPrefix(e, "log: ") && strings.Contains(e, "started") })
	itemDone := slices.IndexFunc(events, func(e string) bool { return strings.HasPrefix(e, "log: ") && strings.Contains(e, "item done") })
	finished := slices.IndexFunc(events, func(e string) bool { return strings.HasPrefix(e, "status: ") && strings.Contains(e, `"finished":true`) })
	g.Expect(firstLog).To(BeNumerically(">=", 0), "the robot's first log line: %v", events)
	g.Expect(itemDone).To(BeNumerically(">", firstLog), "lines in the order the robot wrote them")
	g.Expect(finished).To(BeNumerically(">", firstLog), "the log arrived while the run was running: %v", events)
	g.Expect(events[finished]).To(ContainSubstring("succeeded"))
}
