package integration

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers"
)

func TestGeneratedPodIsAdmittedUnderRestrictedPodSecurity(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	restrictNamespace(g, ns)
	createSecret(t, ns, "sbsys-account", map[string]string{"username": "robot", "password": "fake"})
	robot := createRobot(t, ns, "close-expired-cases", func(r *rpav1alpha1.Robot) {
		r.Spec.Credentials = []rpav1alpha1.Credential{{Name: "sbsys", SecretName: "sbsys-account", Env: true}}
		r.Spec.Template.Resources = corev1.ResourceRequirements{}
	})
	job := waitForJob(g, createRun(t, ns, "restricted", robot.Name, nil))

	// The pod the Job controller would create from the template is admitted...
	g.Expect(createPodFromTemplate(ctx, job, "admitted")).To(Succeed())

	// ...while the same pod on the host's network is refused: PodSecurity
	// is enforcing, so the first create proved something.
	hostNetwork := job.DeepCopy()
	hostNetwork.Spec.Template.Spec.HostNetwork = true
	err := createPodFromTemplate(ctx, hostNetwork, "host-network")
	g.Expect(err).To(HaveOccurred())
	g.Expect(err.Error()).To(ContainSubstring(`violates PodSecurity "restricted:latest"`))
}

func TestSecretValuesNeverAppearInStatusEventsOrLogs(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	const password = "Kodeord-7f3a9c-never-leak"
	createSecret(t, ns, "esdh-account", map[string]string{"username": "robot-aalborg", "password": password})
	robot := createRobot(t, ns, "certificate-journal", func(r *rpav1alpha1.Robot) {
		r.Spec.Credentials = []rpav1alpha1.Credential{{Name: "esdh", SecretName: "esdh-account", Env: true}}
	})
	run := createRun(t, ns, "with-secret", robot.Name, nil)
	job := waitForJob(g, run)
	startJob(g, job)
	endPod(g, createPod(g, job, "a1"), 3, `{"itemsProcessed":1,"businessExceptions":1,"summary":"certificate not clean"}`)
	failJob(g, job, batchv1.JobReasonPodFailurePolicy, 1)
	waitForOutcome(g, run, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonBusinessException)

	// Events are sent in the background: wait for the run's outcome.
	var events eventsv1.EventList
	g.Eventually(func(g Gomega) {
		g.Expect(k8sClient.List(ctx, &events, client.InNamespace(ns))).To(Succeed())
		g.Expect(events.Items).To(ContainElement(HaveField("Reason", rpav1alpha1.ReasonBusinessException)))
	}, timeout, interval).Should(Succeed())
	places := map[string]any{
		"run":    getRun(g, run),
		"robot":  getRobot(g, robot),
		"job":    job,
		"events": events,
	}
	forbidden := []string{password, base64.StdEncoding.EncodeToString([]byte(password))}
	for name, obj := range places {
		data, err := json.Marshal(obj)
		g.Expect(err).NotTo(HaveOccurred())
		for _, value := range forbidden {
			g.Expect(string(data)).NotTo(ContainSubstring(value), "the secret's value appears in the %s", name)
		}
	}
	logs := managerLogs.String()
	g.Expect(logs).To(ContainSubstring("with-secret"), "the capture holds this run's logs")
	for _, value := range forbidden {
		g.Expect(logs).NotTo(ContainSubstring(value), "the secret's value appears in the controller's logs")
	}
}

// TestTwoControllersCreateOneJobAndReportOnce runs a second manager beside
// the suite's, both unelected, as after a restart or during a leader
// handover with a stale cache: every run still gets exactly one Job, the
// robot's concurrencyPolicy Forbid holds (never two unfinished Jobs, runs
// start in the order they were created: the managers' robot locks are each
// their own, so only the apiserver-read Jobs and the ordering keep them
// apart), and each outcome is written, announced and counted once.
func TestTwoControllersCreateOneJobAndReportOnce(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	second := startSecondManager(t)
	ns := newNamespace(t)
	robot := createRobot(t, ns, "welcome-letters", nil)
	before := succeededRuns(g, ns, robot.Name)

	const runs = 6
	created := make([]*rpav1alpha1.RobotRun, 0, runs)
	for i := range runs {
		created = append(created, createRun(t, ns, fmt.Sprintf("race-%d", i), robot.Name, nil))
	}
	for _, run := range created {
		g.Eventually(func(g Gomega) {
			g.Expect(unfinishedJobs(g, ns)).To(Equal([]string{run.Name}), "the only Job running")
		}, timeout, interval).Should(Succeed())
		g.Consistently(func(g Gomega) {
			g.Expect(unfinishedJobs(g, ns)).To(Equal([]string{run.Name}), "concurrencyPolicy Forbid")
		}, "500ms", "20ms").Should(Succeed())
		succeedJob(g, waitForJob(g, run))
	}
	for _, run := range created {
		waitForOutcome(g, run, rpav1alpha1.PhaseSucceeded, rpav1alpha1.ReasonCompleted)
	}
	g.Expect(jobsIn(g, ns)).To(HaveLen(runs), "one Job per run")

	g.Eventually(func(g Gomega) {
		var events eventsv1.EventList
		g.Expect(k8sClient.List(ctx, &events, client.InNamespace(ns))).To(Succeed())
		completed := map[string]int32{}
		for _, e := range events.Items {
			if e.Reason == rpav1alpha1.ReasonCompleted {
				completed[e.Regarding.Name] += eventCount(e)
			}
		}
		for _, run := range created {
			g.Expect(completed[run.Name]).To(Equal(int32(1)), "Completed events of %s", run.Name)
		}
	}, timeout, interval).Should(Succeed())
	// Each manager counts what it finished in its own registry; together,
	// each run once.
	g.Expect(succeededRuns(g, ns, robot.Name)+counterIn(g, second, "rpa_robotruns_finished_total", ns, robot.Name, "Succeeded")).
		To(Equal(before+runs), "each run counted once")
}

func TestKubectlGetShowsTheDocumentedColumns(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	robot := createRobot(t, ns, "welcome-letters", nil)
	run := createRun(t, ns, "columns", robot.Name, nil)
	job := waitForJob(g, run)
	succeedJob(g, job)
	waitForOutcome(g, run, rpav1alpha1.PhaseSucceeded, rpav1alpha1.ReasonCompleted)

	runs := serverTable(g, ns, "robotruns")
	g.Expect(columnNames(runs)).To(Equal([]string{"Name", "Robot", "Trigger", "Phase", "Reason", "Waiting For", "Requested By", "Items", "Started", "Duration", "Age"}))
	created := getRun(g, run)
	g.Expect(created.Spec.RequestedBy).NotTo(BeNil(), "stamped by the admission policy")
	g.Expect(runs.Rows[0].Cells[:8]).To(Equal([]any{"columns", "welcome-letters", "Manual", "Succeeded", "Completed", nil, created.Spec.RequestedBy.Username, int64(12)}))

	g.Eventually(func(g Gomega) {
		robots := serverTable(g, ns, "robots")
		g.Expect(columnNames(robots)).To(Equal([]string{"Name", "Ready", "Suspended", "Schedules", "Next Run", "Last Schedule", "Last Run", "Last Success", "Age"}))
		g.Expect(robots.Rows[0].Cells[:4]).To(Equal([]any{"welcome-letters", "True", false, nil}))
		g.Expect(robots.Rows[0].Cells[6]).To(Equal("Succeeded"))
	}, timeout, interval).Should(Succeed())
}

func restrictNamespace(g Gomega, ns string) {
	namespace := &corev1.Namespace{}
	g.Expect(k8sClient.Get(context.Background(), client.ObjectKey{Name: ns}, namespace)).To(Succeed())
	namespace.Labels["pod-security.kubernetes.io/enforce"] = "restricted"
	namespace.Labels["pod-security.kubernetes.io/enforce-version"] = "latest"
	g.Expect(k8sClient.Update(context.Background(), namespace)).To(Succeed())
}

func createPodFromTemplate(ctx context.Context, job *batchv1.Job, name string) error {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: job.Namespace, Name: name, Labels: job.Spec.Template.Labels, Annotations: job.Spec.Template.Annotations},
		Spec:       *job.Spec.Template.Spec.DeepCopy(),
	}
	return k8sClient.Create(ctx, pod)
}

func getRobot(g Gomega, robot *rpav1alpha1.Robot) *rpav1alpha1.Robot {
	got := &rpav1alpha1.Robot{}
	g.Expect(k8sClient.Get(context.Background(), objectKey(robot), got)).To(Succeed())
	return got
}

// eventCount is how many times an Event happened: 1, or its series' count.
func eventCount(e eventsv1.Event) int32 {
	if e.Series != nil {
		return e.Series.Count
	}
	return 1
}

// startSecondManager runs a second instance of the controllers until the
// test ends and returns the registry of its metrics.
func startSecondManager(t *testing.T) prometheus.Gatherer {
	t.Helper()
	mgr, err := ctrl.NewManager(managerCfg, ctrl.Options{
		Scheme:                 scheme,
		Cache:                  controllers.CacheOptions(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
	})
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	registry := prometheus.NewRegistry()
	NewWithT(t).Expect(controllers.Setup(mgr, controllers.Options{
		Clock: testClock, ScheduleLead: controllers.DefaultScheduleLead, Registry: registry,
	})).To(Succeed())
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-stopped; err != nil {
			t.Errorf("second manager: %v", err)
		}
	})
	return registry
}

// serverTable asks the apiserver for resources as kubectl get does: as a
// Table built from the CRD's printer columns.
func serverTable(g Gomega, ns, resource string) *metav1.Table {
	httpClient, err := rest.HTTPClientFor(restCfg)
	g.Expect(err).NotTo(HaveOccurred())
	url := fmt.Sprintf("%s/apis/rpa.dev/v1alpha1/namespaces/%s/%s", strings.TrimSuffix(restCfg.Host, "/"), ns, resource)
	req, err := http.NewRequest(http.MethodGet, url, nil)
	g.Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	resp, err := httpClient.Do(req)
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK), string(body))
	table := &metav1.Table{}
	decoder := json.NewDecoder(strings.NewReader(string(body)))
	decoder.UseNumber()
	g.Expect(decoder.Decode(table)).To(Succeed())
	for _, row := range table.Rows {
		for i, cell := range row.Cells {
			if n, ok := cell.(json.Number); ok {
				v, _ := n.Int64()
				row.Cells[i] = v
			}
		}
	}
	g.Expect(table.Rows).NotTo(BeEmpty())
	return table
}

func columnNames(table *metav1.Table) []string {
	names := make([]string, 0, len(table.ColumnDefinitions))
	for _, c := range table.ColumnDefinitions {
		names = append(names, c.Name)
	}
	return names
}
