package integration

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	lua "github.com/yuin/gopher-lua"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// healthCase is an object the real controller brought into a state, and the
// health generic tools must read from it: kstatus (Flux, kpt, cli-utils)
// and our Argo CD health check (config/argocd).
type healthCase struct {
	name    string
	object  client.Object
	kstatus status.Status
	argo    string
}

// TestHealthOfWhatTheControllerWrites drives robots and runs into each
// state through the real controllers, then computes their health as
// kstatus and as Argo CD (with gopher-lua, the interpreter Argo CD embeds,
// running the scripts from config/argocd) would.
func TestHealthOfWhatTheControllerWrites(t *testing.T) {
	ns := newNamespace(t)
	cases := healthCases(t, ns)
	scripts := argoHealthScripts(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			obj := asUnstructured(g, tc.object)

			res, err := status.Compute(obj)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(res.Status).To(Equal(tc.kstatus), "kstatus: %s", res.Message)

			script := scripts[obj.GetKind()]
			g.Expect(script).NotTo(BeEmpty(), "a health check for %s", obj.GetKind())
			health, message := runArgoHealth(g, script, obj.Object)
			g.Expect(health).To(Equal(tc.argo), "Argo CD: %s", message)
			g.Expect(message).NotTo(BeEmpty(), "Argo CD shows why")
		})
	}
}

// healthCases creates the objects and waits until the controller has put
// each in its state.
func healthCases(t *testing.T, ns string) []healthCase {
	g := NewWithT(t)
	// Allow: the runs below go on at the same time.
	withSecret := func(r *rpav1alpha1.Robot) {
		r.Spec.Credentials = []rpav1alpha1.Credential{{Name: "esdh", SecretName: "esdh-account"}}
		r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow
	}
	createSecret(t, ns, "esdh-account", map[string]string{"username": "robot", "password": "x"})

	ready := createRobot(t, ns, "ready", withSecret)
	suspended := createRobot(t, ns, "suspended", func(r *rpav1alpha1.Robot) { r.Spec.Suspend = true })
	missing := createRobot(t, ns, "missing-secret", func(r *rpav1alpha1.Robot) {
		r.Spec.Credentials = []rpav1alpha1.Credential{{Name: "esdh", SecretName: "not-created"}}
	})
	badSchedule := createRobot(t, ns, "bad-schedule", func(r *rpav1alpha1.Robot) {
		r.Spec.Schedules = []rpav1alpha1.Schedule{{Name: "daily", Cron: "0 7 * * *", TimeZone: "Europe/Kobenhavn"}}
	})
	noSystem := createRobot(t, ns, "no-system", func(r *rpav1alpha1.Robot) { r.Spec.Systems = []string{ns + "-nowhere"} })
	for _, robot := range []*rpav1alpha1.Robot{ready, suspended, missing, badSchedule, noSystem} {
		g.Eventually(func(g Gomega) {
			g.Expect(getRobot(g, robot).Status.Conditions).NotTo(BeEmpty())
		}, timeout, interval).Should(Succeed())
	}

	running := createRun(t, ns, "running", ready.Name, nil)
	job := waitForJob(g, running)
	startJob(g, job)
	runPod(g, createPod(g, job, "a1"))
	g.Eventually(func(g Gomega) {
		g.Expect(getRun(g, running).Status.Phase).To(Equal(rpav1alpha1.PhaseRunning))
	}, timeout, interval).Should(Succeed())

	succeeded := createRun(t, ns, "succeeded", ready.Name, nil)
	succeedJob(g, waitForJob(g, succeeded))
	waitForOutcome(g, succeeded, rpav1alpha1.PhaseSucceeded, rpav1alpha1.ReasonCompleted)

	failed := createRun(t, ns, "business-exception", ready.Name, nil)
	job = waitForJob(g, failed)
	startJob(g, job)
	endPod(g, createPod(g, job, "a1"), 3, `{"itemsProcessed":1,"businessExceptions":1,"summary":"flagged for HR"}`)
	failJob(g, job, batchv1.JobReasonPodFailurePolicy, 1)
	waitForOutcome(g, failed, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonBusinessException)

	cancelled := createRun(t, ns, "cancelled", ready.Name, nil)
	waitForJob(g, cancelled)
	cancel(g, cancelled)
	waitForOutcome(g, cancelled, rpav1alpha1.PhaseCancelled, rpav1alpha1.ReasonCancelled)

	noSecret := createRun(t, ns, "no-secret", missing.Name, nil)
	noSecretJob := waitForJob(g, noSecret)
	startJob(g, noSecretJob)
	secretEnvMissing(g, createPod(g, noSecretJob, "a1"), "not-created")
	waitForOutcome(g, noSecret, rpav1alpha1.PhasePending, rpav1alpha1.ReasonCredentialsNotFound)
	g.Eventually(func(g Gomega) {
		g.Expect(readyOf(g, missing).Reason).To(Equal(rpav1alpha1.ReasonCredentialsNotFound))
	}, timeout, interval).Should(Succeed())

	waitsForSystem := createRun(t, ns, "waits-for-system", noSystem.Name, nil)
	waitForOutcome(g, waitsForSystem, rpav1alpha1.PhasePending, rpav1alpha1.ReasonTargetSystemNotFound)

	waitsForResume := createRun(t, ns, "waits-for-resume", suspended.Name, nil)
	waitForOutcome(g, waitsForResume, rpav1alpha1.PhasePending, rpav1alpha1.ReasonRobotSuspended)

	elsewhere := createTargetSystem(t, ns, 1)
	g.Eventually(func() error {
		if err := k8sClient.Get(context.Background(), client.ObjectKeyFromObject(elsewhere), elsewhere); err != nil {
			return err
		}
		elsewhere.Spec.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"test.rpa.dev/nobody": "yes"}}
		return k8sClient.Update(context.Background(), elsewhere)
	}, timeout, interval).Should(Succeed())
	notAllowed := createRobot(t, ns, "not-allowed", func(r *rpav1alpha1.Robot) { r.Spec.Systems = []string{elsewhere.Name} })
	waitsForAccess := createRun(t, ns, "waits-for-access", notAllowed.Name, nil)
	waitForOutcome(g, waitsForAccess, rpav1alpha1.PhasePending, rpav1alpha1.ReasonTargetSystemNotAllowed)

	counted := createWorkQueue(t, ns, "counted", func(q *rpav1alpha1.WorkQueue) {
		q.Spec.Trigger = &rpav1alpha1.WorkQueueTrigger{RobotName: ready.Name}
	})
	noRobot := createWorkQueue(t, ns, "no-robot", func(q *rpav1alpha1.WorkQueue) {
		q.Spec.Trigger = &rpav1alpha1.WorkQueueTrigger{RobotName: "nobody"}
	})
	pausedQueue := createWorkQueue(t, ns, "paused", func(q *rpav1alpha1.WorkQueue) { q.Spec.Suspend = true })
	for _, wq := range []*rpav1alpha1.WorkQueue{counted, noRobot, pausedQueue} {
		g.Eventually(func(g Gomega) {
			got := getWorkQueue(g, wq)
			g.Expect(meta.FindStatusCondition(got.Status.Conditions, rpav1alpha1.ConditionReady)).NotTo(BeNil())
			if wq.Spec.Trigger != nil {
				g.Expect(meta.FindStatusCondition(got.Status.Conditions, rpav1alpha1.ConditionTriggering)).NotTo(BeNil())
			}
		}, timeout, interval).Should(Succeed())
	}

	return []healthCase{
		{"ready robot", getRobot(g, ready), status.CurrentStatus, "Healthy"},
		{"suspended robot", getRobot(g, suspended), status.CurrentStatus, "Suspended"},
		{"robot whose run waits for a missing credential", getRobot(g, missing), status.FailedStatus, "Degraded"},
		{"robot with an invalid schedule", getRobot(g, badSchedule), status.FailedStatus, "Degraded"},
		{"robot naming a TargetSystem that does not exist", getRobot(g, noSystem), status.FailedStatus, "Degraded"},
		{"running run", getRun(g, running), status.InProgressStatus, "Progressing"},
		{"succeeded run", getRun(g, succeeded), status.CurrentStatus, "Healthy"},
		{"failed run", getRun(g, failed), status.FailedStatus, "Degraded"},
		{"cancelled run", getRun(g, cancelled), status.FailedStatus, "Suspended"},
		{"run waiting for a missing credential", getRun(g, noSecret), status.FailedStatus, "Degraded"},
		{"run waiting for its suspended robot", getRun(g, waitsForResume), status.InProgressStatus, "Suspended"},
		{"run waiting for a TargetSystem that does not exist", getRun(g, waitsForSystem), status.FailedStatus, "Degraded"},
		{"run of a namespace a TargetSystem does not serve", getRun(g, waitsForAccess), status.FailedStatus, "Degraded"},
		{"counted work queue", getWorkQueue(g, counted), status.CurrentStatus, "Healthy"},
		{"work queue whose trigger names no robot", getWorkQueue(g, noRobot), status.CurrentStatus, "Degraded"},
		{"suspended work queue", getWorkQueue(g, pausedQueue), status.CurrentStatus, "Suspended"},
	}
}

func TestHealthOfARobotTheOperatorHasNotSeenYet(t *testing.T) {
	g := NewWithT(t)
	robot := minimalRobot("any", "new")
	robot.Generation = 2
	robot.Status.ObservedGeneration = 1
	obj := asUnstructured(g, robot)
	res, err := status.Compute(obj)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Status).To(Equal(status.InProgressStatus))
	health, _ := runArgoHealth(g, argoHealthScripts(t)["Robot"], obj.Object)
	g.Expect(health).To(Equal("Progressing"))
}

// asUnstructured is the object as generic tools see it: JSON from the
// apiserver, with its kind set.
func asUnstructured(g Gomega, obj client.Object) *unstructured.Unstructured {
	gvk, err := k8sClient.GroupVersionKindFor(obj)
	g.Expect(err).NotTo(HaveOccurred())
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	g.Expect(err).NotTo(HaveOccurred())
	u := &unstructured.Unstructured{Object: content}
	u.SetGroupVersionKind(gvk)
	return u
}

// argoHealthScripts reads the Lua health checks from the argocd-cm patch,
// by kind.
func argoHealthScripts(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "config", "argocd", "argocd-cm-health.yaml"))
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	var cm corev1.ConfigMap
	NewWithT(t).Expect(yaml.Unmarshal(data, &cm)).To(Succeed())
	return map[string]string{
		"Robot":     cm.Data["resource.customizations.health.rpa.dev_Robot"],
		"RobotRun":  cm.Data["resource.customizations.health.rpa.dev_RobotRun"],
		"WorkQueue": cm.Data["resource.customizations.health.rpa.dev_WorkQueue"],
	}
}

// runArgoHealth runs a health script as Argo CD does: the object as the
// global obj, and a table with status and message returned.
func runArgoHealth(g Gomega, script string, obj map[string]any) (health, message string) {
	L := lua.NewState()
	defer L.Close()
	L.SetGlobal("obj", toLua(L, obj))
	g.Expect(L.DoString(script)).To(Succeed())
	result, ok := L.Get(-1).(*lua.LTable)
	g.Expect(ok).To(BeTrue(), "the script returns a table")
	return result.RawGetString("status").String(), result.RawGetString("message").String()
}

// toLua converts JSON-like Go values into Lua values: objects and arrays
// become tables (arrays 1-based), numbers LNumber, as Argo CD converts.
func toLua(L *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case map[string]any:
		t := L.NewTable()
		for k, item := range v {
			t.RawSetString(k, toLua(L, item))
		}
		return t
	case []any:
		t := L.NewTable()
		for _, item := range v {
			t.Append(toLua(L, item))
		}
		return t
	case string:
		return lua.LString(v)
	case bool:
		return lua.LBool(v)
	case int64:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	case nil:
		return lua.LNil
	default:
		panic("unexpected JSON value type")
	}
}
