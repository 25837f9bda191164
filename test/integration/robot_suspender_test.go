package integration

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	runrecords "github.com/rpa-operator/rpa-operator/internal/runrecord/store"
)

// TestWhoSuspendedAndResumedARobotIsStampedByTheAPIServer: suspending
// stamps rpa.dev/suspended-by with the authenticated user, resuming
// rpa.dev/resumed-by; a claimed stamp is overwritten with the true one (or
// refused where there is none), a dropped one comes back, and an applied
// Robot keeps its stamps.
func TestWhoSuspendedAndResumedARobotIsStampedByTheAPIServer(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	editor := clientAs(t, ns, "process-owner@rudersdal.dk", applyUserRole(t, "rpa_robot_editor_role.yaml"))
	robot := createRobot(t, ns, "welcome-letters", nil)
	stamps := func() (string, string) {
		got := &rpav1alpha1.Robot{}
		g.Expect(k8sClient.Get(ctx, objectKey(robot), got)).To(Succeed())
		return got.Annotations[rpav1alpha1.AnnotationSuspendedBy], got.Annotations[rpav1alpha1.AnnotationResumedBy]
	}
	patch := func(c client.Client, body string) error {
		return c.Patch(ctx, robot.DeepCopy(), client.RawPatch(client.Merge.Type(), []byte(body)))
	}

	g.Expect(patch(editor, `{"spec":{"suspend":true}}`)).To(Succeed())
	suspendedBy, resumedBy := stamps()
	g.Expect(suspendedBy).To(Equal("process-owner@rudersdal.dk"))
	g.Expect(resumedBy).To(BeEmpty())

	g.Expect(patch(k8sClient, `{"spec":{"suspend":false}}`)).To(Succeed())
	suspendedBy, resumedBy = stamps()
	g.Expect(suspendedBy).To(Equal("process-owner@rudersdal.dk"), "the last suspender stays")
	g.Expect(resumedBy).NotTo(BeEmpty())
	g.Expect(resumedBy).NotTo(Equal(suspendedBy), "the admin resumed it")

	g.Expect(patch(editor, `{"metadata":{"annotations":{"rpa.dev/suspended-by":"someone-else"}}}`)).To(Succeed())
	suspendedBy, resumedBy = stamps()
	g.Expect(suspendedBy).To(Equal("process-owner@rudersdal.dk"), "a claimed stamp is overwritten with the true one")
	g.Expect(patch(editor, `{"metadata":{"annotations":{"rpa.dev/suspended-by":null,"rpa.dev/resumed-by":null}}}`)).To(Succeed())
	again, resumedAgain := stamps()
	g.Expect([]string{again, resumedAgain}).To(Equal([]string{suspendedBy, resumedBy}), "dropped stamps come back")

	forged := minimalRobot(ns, "forged")
	forged.Annotations = map[string]string{rpav1alpha1.AnnotationSuspendedBy: "someone-else"}
	err := editor.Create(ctx, forged)
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "a new robot with a stamp it was not given: %v", err)
	forged.Spec.Suspend = true
	g.Expect(editor.Create(ctx, forged)).To(Succeed())
	g.Expect(forged.Annotations[rpav1alpha1.AnnotationSuspendedBy]).To(Equal("process-owner@rudersdal.dk"), "created suspended: the creator, over the claim")

	// rpa-server records each change with who made it.
	g.Eventually(func(g Gomega) {
		changes, err := records.RobotChanges(ctx, runrecords.ChangeListOptions{Namespace: ns, Robot: robot.Name})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(changes).To(HaveLen(2))
		g.Expect([]string{changes[0].Action, changes[0].Actor}).To(Equal([]string{runrecords.ActionSuspend, "process-owner@rudersdal.dk"}))
		g.Expect([]string{changes[1].Action, changes[1].Actor}).To(Equal([]string{runrecords.ActionResume, resumedBy}))
	}, timeout, interval).Should(Succeed())
	registerAPIService(t, serveAPI(t))
	var res cliResult
	g.Eventually(func() error {
		res = kubectlRobotQueue(t, ns, "", "audit", "--changes", "--from", "2000-01-01", "--before", "2999-01-01", "-o", "csv")
		return res.err
	}, timeout, interval).Should(Succeed())
	g.Expect(res.out).To(ContainSubstring("," + ns + ",welcome-letters,Suspend,process-owner@rudersdal.dk,"))
	g.Expect(res.out).To(ContainSubstring("," + ns + ",welcome-letters,Resume," + resumedBy + ","))
	g.Expect(res.out).To(ContainSubstring("," + ns + ",forged,Suspend,process-owner@rudersdal.dk,"))

	applied := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rpa.dev/v1alpha1", "kind": "Robot",
		"metadata": map[string]any{"namespace": ns, "name": "in-git"},
		"spec":     map[string]any{"suspend": true, "template": map[string]any{"image": robotImage}},
	}}
	apply := func() error {
		return k8sClient.Apply(ctx, client.ApplyConfigurationFromUnstructured(applied.DeepCopy()), client.FieldOwner(sampleApplier), client.ForceOwnership)
	}
	g.Expect(apply()).To(Succeed())
	g.Expect(apply()).To(Succeed(), "applied again without the stamp")
	got := &rpav1alpha1.Robot{}
	g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "in-git"}, got)).To(Succeed())
	g.Expect(got.Annotations[rpav1alpha1.AnnotationSuspendedBy]).NotTo(BeEmpty())
}
