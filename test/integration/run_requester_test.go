package integration

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// TestARunsRequesterIsStampedByTheAPIServerAndCannotBeChanged: whoever
// creates a run is recorded in spec.requestedBy as the apiserver
// authenticated them, whatever the request claimed; nobody, the cluster
// admin included, can change it after, and a request that leaves it out
// keeps it; the operator's own runs name its ServiceAccount.
func TestARunsRequesterIsStampedByTheAPIServerAndCannotBeChanged(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	createRobot(t, ns, "welcome-letters", nil)
	caseworker := clientAs(t, ns, "anne@roskilde.dk", applyUserRole(t, "rpa_robot_runner_role.yaml"))

	claimed := &rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "by-anne"},
		Spec: rpav1alpha1.RobotRunSpec{RobotName: "welcome-letters",
			RequestedBy: &rpav1alpha1.RunRequester{Username: "mayor@roskilde.dk"}},
	}
	g.Expect(caseworker.Create(ctx, claimed)).To(Succeed())
	g.Expect(claimed.Spec.RequestedBy).To(Equal(&rpav1alpha1.RunRequester{Username: "anne@roskilde.dk"}), "the creator, not the claim")

	plain := &rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "by-anne-again"},
		Spec:       rpav1alpha1.RobotRunSpec{RobotName: "welcome-letters"},
	}
	g.Expect(caseworker.Create(ctx, plain)).To(Succeed())
	g.Expect(plain.Spec.RequestedBy).To(Equal(&rpav1alpha1.RunRequester{Username: "anne@roskilde.dk"}))

	err := k8sClient.Patch(ctx, &rpav1alpha1.RobotRun{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: claimed.Name}},
		client.RawPatch(types.MergePatchType, []byte(`{"spec":{"requestedBy":{"username":"mayor@roskilde.dk"}}}`)))
	g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "the cluster admin changes the requester: %v", err)
	g.Expect(err.Error()).To(ContainSubstring("requestedBy is immutable"))
	// Leaving it out (a patch or an apply without it) keeps it.
	g.Expect(k8sClient.Patch(ctx, &rpav1alpha1.RobotRun{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: claimed.Name}},
		client.RawPatch(types.MergePatchType, []byte(`{"spec":{"requestedBy":null}}`)))).To(Succeed())
	kept := &rpav1alpha1.RobotRun{}
	g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(claimed), kept)).To(Succeed())
	g.Expect(kept.Spec.RequestedBy).To(Equal(&rpav1alpha1.RunRequester{Username: "anne@roskilde.dk"}), "put back")

	// A queue-triggered run is the operator's.
	createRobot(t, ns, "per", func(r *rpav1alpha1.Robot) { r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow })
	wq := createWorkQueue(t, ns, "mail", func(q *rpav1alpha1.WorkQueue) {
		q.Spec.Trigger = &rpav1alpha1.WorkQueueTrigger{RobotName: "per", MinItems: 1, MaxConcurrentRuns: 1, ItemsPerRun: 1}
	})
	addItems(g, wq, 1)
	g.Eventually(func(g Gomega) {
		runs := triggeredRuns(g, wq)
		g.Expect(runs).To(HaveLen(1))
		g.Expect(runs[0].Spec.RequestedBy).To(Equal(&rpav1alpha1.RunRequester{
			Username: "system:serviceaccount:" + managerNamespace + ":" + managerServiceAccount}))
	}, timeout, interval).Should(Succeed())
}

// TestWhoCancelledARunIsStampedByTheAPIServer: the user whose patch sets
// spec.cancel is recorded in spec.cancelledBy, over any claim; nobody can
// set it otherwise or change it after.
func TestWhoCancelledARunIsStampedByTheAPIServer(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	createRobot(t, ns, "welcome-letters", nil)
	caseworker := clientAs(t, ns, "anne@roskilde.dk", applyUserRole(t, "rpa_robot_runner_role.yaml"))
	run := &rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "to-cancel"},
		Spec:       rpav1alpha1.RobotRunSpec{RobotName: "welcome-letters"},
	}
	g.Expect(k8sClient.Create(ctx, run)).To(Succeed())
	key := &rpav1alpha1.RobotRun{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: run.Name}}
	patch := func(c client.Client, body string) error {
		return c.Patch(ctx, key.DeepCopy(), client.RawPatch(types.MergePatchType, []byte(body)))
	}

	err := patch(k8sClient, `{"spec":{"cancelledBy":{"username":"anne@roskilde.dk"}}}`)
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "naming a canceller without cancelling: %v", err)
	g.Expect(patch(caseworker, `{"spec":{"cancel":true,"cancelledBy":{"username":"mayor@roskilde.dk"}}}`)).To(Succeed())
	got := &rpav1alpha1.RobotRun{}
	g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(run), got)).To(Succeed())
	g.Expect(got.Spec.CancelledBy).To(Equal(&rpav1alpha1.RunRequester{Username: "anne@roskilde.dk"}), "the canceller, not the claim")

	err = patch(k8sClient, `{"spec":{"cancelledBy":{"username":"mayor@roskilde.dk"}}}`)
	g.Expect(err).To(HaveOccurred(), "the cluster admin changes the canceller")
	g.Expect(patch(k8sClient, `{"spec":{"cancelledBy":null}}`)).To(Succeed(), "leaving it out keeps it")
	g.Expect(apierrors.IsForbidden(err) || apierrors.IsInvalid(err)).To(BeTrue(), "%v", err)
	g.Expect(patch(k8sClient, `{"metadata":{"labels":{"checked":"yes"}}}`)).To(Succeed(), "other changes keep the canceller")
	g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(run), got)).To(Succeed())
	g.Expect(got.Spec.CancelledBy.Username).To(Equal("anne@roskilde.dk"))
}

// TestAppliedRunsKeepTheirStamps: a run kept in Git and applied again
// (server-side apply, as Argo CD syncs it) keeps its requester and
// canceller, although the manifest names neither.
func TestAppliedRunsKeepTheirStamps(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	createRobot(t, ns, "welcome-letters", nil)
	manifest := func(cancel bool) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "rpa.dev/v1alpha1", "kind": "RobotRun",
			"metadata": map[string]any{"namespace": ns, "name": "in-git"},
			"spec":     map[string]any{"robotName": "welcome-letters", "cancel": cancel},
		}}
	}
	apply := func(cancel bool) error {
		return k8sClient.Apply(ctx, client.ApplyConfigurationFromUnstructured(manifest(cancel)), client.FieldOwner(sampleApplier), client.ForceOwnership)
	}
	g.Expect(apply(false)).To(Succeed())
	g.Expect(apply(false)).To(Succeed(), "applied again")
	got := &rpav1alpha1.RobotRun{}
	g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "in-git"}, got)).To(Succeed())
	g.Expect(got.Spec.RequestedBy).NotTo(BeNil())
	requester := got.Spec.RequestedBy.Username
	g.Expect(apply(true)).To(Succeed(), "cancelled in Git")
	g.Expect(apply(true)).To(Succeed(), "applied again")
	g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "in-git"}, got)).To(Succeed())
	g.Expect(got.Spec.RequestedBy).To(Equal(&rpav1alpha1.RunRequester{Username: requester}))
	g.Expect(got.Spec.CancelledBy).To(Equal(&rpav1alpha1.RunRequester{Username: requester}))
}
