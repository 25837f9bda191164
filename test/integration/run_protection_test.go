package integration

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/scheduledrun"
)

// TestOnlyTheOperatorCreatesScheduledRuns: a person's run is Manual (or
// API), with no schedule, no scheduled time and no queue, whatever roles
// they have.
func TestOnlyTheOperatorCreatesScheduledRuns(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	robot := createRobot(t, ns, "welcome-letters", nil)
	editor := clientAs(t, ns, "rpa-developer", applyUserRole(t, "rpa_robot_editor_role.yaml"))
	future := metav1.NewTime(time.Now().Add(24 * time.Hour))
	for name, trigger := range map[string]rpav1alpha1.Trigger{
		"claims-a-schedule":    {Type: rpav1alpha1.TriggerSchedule, Schedule: "weekdays", ScheduledTime: &future},
		"schedule-type-only":   {Type: rpav1alpha1.TriggerSchedule},
		"manual-in-a-day":      {Type: rpav1alpha1.TriggerManual, ScheduledTime: &future},
		"manual-of-schedule":   {Type: rpav1alpha1.TriggerManual, Schedule: "weekdays"},
		"by-the-cluster-admin": {Type: rpav1alpha1.TriggerSchedule},
		"claims-a-queue":       {Type: rpav1alpha1.TriggerQueue, Queue: "certificates"},
		"queue-type-only":      {Type: rpav1alpha1.TriggerQueue},
		"manual-of-a-queue":    {Type: rpav1alpha1.TriggerManual, Queue: "certificates"},
	} {
		run := &rpav1alpha1.RobotRun{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec:       rpav1alpha1.RobotRunSpec{RobotName: robot.Name, Trigger: trigger},
		}
		c := editor
		if name == "by-the-cluster-admin" {
			c = k8sClient
		}
		err := c.Create(ctx, run)
		g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%s: %v", name, err)
		g.Expect(err).To(MatchError(ContainSubstring("only the operator creates scheduled and queue-triggered runs")), name)
	}
	manual := &rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "by-hand"},
		Spec:       rpav1alpha1.RobotRunSpec{RobotName: robot.Name, Trigger: rpav1alpha1.Trigger{Type: rpav1alpha1.TriggerManual}},
	}
	g.Expect(editor.Create(ctx, manual)).To(Succeed())
}

// TestARunnerCannotEraseOrPinARun: a runner's patch on a run may cancel it
// (and change labels), not point its owner at a missing object (the garbage
// collector would delete the run, its Job and pod) nor add a finalizer.
func TestARunnerCannotEraseOrPinARun(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	robot := createRobot(t, ns, "certificate-journal", nil)
	runner := clientAs(t, ns, "caseworker", applyUserRole(t, "rpa_robot_runner_role.yaml"))
	run := createRun(t, ns, "journal-1", robot.Name, nil)
	g.Eventually(func(g Gomega) {
		g.Expect(getRun(g, run).OwnerReferences).To(ContainElement(HaveField("UID", robot.UID)))
	}, timeout, interval).Should(Succeed())
	target := &rpav1alpha1.RobotRun{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: run.Name}}

	// Pointing the run's owner at a missing object: refused to the runner
	// (OwnerReferencesPermissionEnforcement, on in this suite, refuses it
	// too, to whoever may not delete runs), and by the policy even to the
	// editor, who may delete runs outright but not have them collected.
	orphan := client.RawPatch(types.MergePatchType, []byte(
		`{"metadata":{"ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"gone","uid":"00000000-0000-0000-0000-000000000000"}]}}`))
	err := runner.Patch(ctx, target, orphan)
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%v", err)
	editor := clientAs(t, ns, "rpa-developer", applyUserRole(t, "rpa_robot_editor_role.yaml"))
	err = editor.Patch(ctx, target.DeepCopy(), orphan)
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%v", err)
	g.Expect(err).To(MatchError(ContainSubstring("owner references are the operator's")))

	pin := `{"metadata":{"finalizers":["example.com/keep"]}}`
	err = runner.Patch(ctx, target, client.RawPatch(types.MergePatchType, []byte(pin)))
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%v", err)
	g.Expect(err).To(MatchError(ContainSubstring("only the operator changes a run's finalizers")))

	created := &rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "owned-by-another",
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "x", UID: "00000000-0000-0000-0000-000000000001"}}},
		Spec: rpav1alpha1.RobotRunSpec{RobotName: robot.Name},
	}
	g.Expect(apierrors.IsForbidden(runner.Create(ctx, created))).To(BeTrue(), "created owned by something else")

	label := `{"metadata":{"labels":{"case":"4711"}},"spec":{"cancel":true}}`
	g.Expect(runner.Patch(ctx, target, client.RawPatch(types.MergePatchType, []byte(label)))).To(Succeed())
	g.Expect(getRun(g, run).OwnerReferences).To(HaveLen(1))
}

// TestScheduledRunNamesDoNotCollideAndATakenNameIsReported: robot "a" with
// schedule "b-c" and robot "a-b" with schedule "c" both run; a run someone
// created under a schedule's run name first is not taken for it: the Robot
// says so (Ready=False, ScheduledRunConflict) and the time does not run.
func TestScheduledRunNamesDoNotCollideAndATakenNameIsReported(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	at := clockJustBefore(t, nextMinute)
	first := createRobot(t, ns, "a", func(r *rpav1alpha1.Robot) {
		r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow
		r.Spec.Schedules = []rpav1alpha1.Schedule{everyMinute("b-c")}
	})
	second := createRobot(t, ns, "a-b", func(r *rpav1alpha1.Robot) {
		r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow
		r.Spec.Schedules = []rpav1alpha1.Schedule{everyMinute("c")}
	})
	squatted := createRun(t, ns, scheduledrun.Name("squatted", "often", at), "a", nil)
	third := createRobot(t, ns, "squatted", func(r *rpav1alpha1.Robot) {
		r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow
		r.Spec.Schedules = []rpav1alpha1.Schedule{everyMinute("often")}
	})
	g.Eventually(func(g Gomega) {
		g.Expect(runNames(runsOfRobot(g, ns, first.Name))).To(ContainElement(scheduledrun.Name("a", "b-c", at)))
		g.Expect(runNames(runsOfRobot(g, ns, second.Name))).To(ContainElement(scheduledrun.Name("a-b", "c", at)))
	}, scheduleTimeout, interval).Should(Succeed())
	g.Eventually(func(g Gomega) {
		ready := readyOf(g, third)
		g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(ready.Reason).To(Equal(rpav1alpha1.ReasonScheduledRunConflict))
		g.Expect(ready.Message).To(ContainSubstring("run " + squatted.Name + " exists but is not this schedule's run"))
	}, scheduleTimeout, interval).Should(Succeed())
	// At its time the time does not run and is counted missed, with a Warning.
	g.Eventually(func(g Gomega) {
		g.Expect(getRobot(g, third).Status.MissedRuns).To(Equal(int64(1)))
		g.Expect(eventReasons(g, ns, third.Name)).To(ContainElement(rpav1alpha1.ReasonScheduledRunConflict))
	}, scheduleTimeout, interval).Should(Succeed())
	g.Expect(runsOfRobot(g, ns, third.Name)).To(BeEmpty())
}
