package integration

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/yaml"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// applyUserRole creates (or updates) a ClusterRole from
// config/rbac/user-roles as the platform team installs it.
func applyUserRole(t *testing.T, file string) string {
	t.Helper()
	g := NewWithT(t)
	data, err := os.ReadFile(filepath.Join("..", "..", "config", "rbac", "user-roles", file))
	g.Expect(err).NotTo(HaveOccurred())
	role := &rbacv1.ClusterRole{}
	g.Expect(yaml.Unmarshal(data, role)).To(Succeed())
	err = k8sClient.Create(context.Background(), role)
	if apierrors.IsAlreadyExists(err) {
		existing := &rbacv1.ClusterRole{}
		g.Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(role), existing)).To(Succeed())
		existing.Rules = role.Rules
		err = k8sClient.Update(context.Background(), existing)
	}
	g.Expect(err).NotTo(HaveOccurred())
	return role.Name
}

// clientAs is a client that impersonates user, who has role in ns only.
func clientAs(t *testing.T, ns, user, role string) client.Client {
	t.Helper()
	g := NewWithT(t)
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: user},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	}
	g.Expect(k8sClient.Create(context.Background(), binding)).To(Succeed())
	cfg := rest.CopyConfig(restCfg)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	g.Expect(err).NotTo(HaveOccurred())
	return c
}

// TestRunnerMayStartAndCancelRunsButNotEditRobotsAndViewerOnlyReads binds
// the shipped roles in a namespace and acts as their users through the
// apiserver's own RBAC authorizer.
func TestRunnerMayStartAndCancelRunsButNotEditRobotsAndViewerOnlyReads(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	robot := createRobot(t, ns, "welcome-letters", nil)
	runner := clientAs(t, ns, "caseworker", applyUserRole(t, "rpa_robot_runner_role.yaml"))
	viewer := clientAs(t, ns, "process-owner", applyUserRole(t, "rpa_robot_viewer_role.yaml"))
	editor := clientAs(t, ns, "rpa-developer", applyUserRole(t, "rpa_robot_editor_role.yaml"))

	// The runner starts a run and cancels it.
	run := &rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "by-hand"},
		Spec:       rpav1alpha1.RobotRunSpec{RobotName: robot.Name},
	}
	g.Expect(runner.Create(ctx, run)).To(Succeed())
	cancelPatch := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"cancel":true}}`))
	g.Expect(runner.Patch(ctx, &rpav1alpha1.RobotRun{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: run.Name}}, cancelPatch)).To(Succeed())
	// ... but changes nothing else of the run (the schema refuses it) ...
	argsPatch := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"arguments":{"dryRun":"true"}}}`))
	err := runner.Patch(ctx, &rpav1alpha1.RobotRun{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: run.Name}}, argsPatch)
	g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "%v", err)
	// ... and may not edit, create or delete a Robot, or read Secrets.
	suspend := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"suspend":true}}`))
	g.Expect(apierrors.IsForbidden(runner.Patch(ctx, robot.DeepCopy(), suspend))).To(BeTrue(), "runner patches a robot")
	g.Expect(apierrors.IsForbidden(runner.Create(ctx, minimalRobot(ns, "another")))).To(BeTrue(), "runner creates a robot")
	g.Expect(apierrors.IsForbidden(runner.Delete(ctx, robot.DeepCopy()))).To(BeTrue(), "runner deletes a robot")
	g.Expect(apierrors.IsForbidden(runner.Delete(ctx, run.DeepCopy()))).To(BeTrue(), "runner deletes a run")

	// The viewer reads robots and runs and may not start one.
	var runs rpav1alpha1.RobotRunList
	g.Expect(viewer.List(ctx, &runs, client.InNamespace(ns))).To(Succeed())
	g.Expect(runs.Items).To(HaveLen(1))
	g.Expect(viewer.Get(ctx, client.ObjectKeyFromObject(robot), &rpav1alpha1.Robot{})).To(Succeed())
	other := &rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "by-viewer"},
		Spec:       rpav1alpha1.RobotRunSpec{RobotName: robot.Name},
	}
	g.Expect(apierrors.IsForbidden(viewer.Create(ctx, other))).To(BeTrue(), "viewer creates a run")
	g.Expect(apierrors.IsForbidden(viewer.Patch(ctx, run.DeepCopy(), cancelPatch))).To(BeTrue(), "viewer cancels a run")

	// The editor declares robots.
	g.Expect(editor.Patch(ctx, robot.DeepCopy(), suspend)).To(Succeed())
	g.Expect(editor.Create(ctx, minimalRobot(ns, "another"))).To(Succeed())

	// No role reaches beyond its namespace.
	elsewhere := newNamespace(t)
	stray := &rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: elsewhere, Name: "stray"},
		Spec:       rpav1alpha1.RobotRunSpec{RobotName: robot.Name},
	}
	g.Expect(apierrors.IsForbidden(runner.Create(ctx, stray))).To(BeTrue(), "runner in another namespace")
}

// TestBuiltInViewRoleReadsRobotLogsAndRpaRolesDoNot: what the runner
// role's comment and docs/rbac.md say about reading robot logs
// (kubectl robot logs): none of our roles gives pods/log, the built-in
// view role does. view is aggregated from system:aggregate-to-view by
// kube-controller-manager, which envtest does not run: the test binds the
// role view's rules come from.
func TestBuiltInViewRoleReadsRobotLogsAndRpaRolesDoNot(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	roles := map[string]bool{
		applyUserRole(t, "rpa_robot_viewer_role.yaml"): false,
		applyUserRole(t, "rpa_robot_runner_role.yaml"): false,
		applyUserRole(t, "rpa_robot_editor_role.yaml"): false,
		"system:aggregate-to-view":                     true,
	}
	for role, want := range roles {
		user := "logs-" + strings.ReplaceAll(role, ":", "-")
		clientAs(t, ns, user, role)
		for _, resource := range []struct{ resource, subresource string }{{"pods", ""}, {"pods", "log"}} {
			// The authorizer sees a new RoleBinding a moment after it exists.
			NewWithT(t).Eventually(func(g Gomega) {
				review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
					User: user,
					ResourceAttributes: &authorizationv1.ResourceAttributes{
						Namespace: ns, Verb: "get", Resource: resource.resource, Subresource: resource.subresource,
					},
				}}
				g.Expect(k8sClient.Create(ctx, review)).To(Succeed())
				g.Expect(review.Status.Allowed).To(Equal(want), "role %s: get %s/%s", role, resource.resource, resource.subresource)
			}, timeout, interval).Should(Succeed())
		}
	}
}

// TestRunnerMayCreateARunOwnedByItsRobot: kubectl robot run creates the
// run owned by its robot as controllerutil.SetOwnerReference does, without
// blockOwnerDeletion. With OwnerReferencesPermissionEnforcement (on in this
// suite, as on OpenShift) that needs no more than the runner role gives;
// blocking the robot's deletion would need update on robots/finalizers,
// which only the manager has.
func TestRunnerMayCreateARunOwnedByItsRobot(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	robot := createRobot(t, ns, "welcome-letters", nil)
	runner := clientAs(t, ns, "caseworker", applyUserRole(t, "rpa_robot_runner_role.yaml"))
	owned := func(name string, opts ...controllerutil.OwnerReferenceOption) *rpav1alpha1.RobotRun {
		run := &rpav1alpha1.RobotRun{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec:       rpav1alpha1.RobotRunSpec{RobotName: robot.Name},
		}
		g.Expect(controllerutil.SetOwnerReference(robot, run, scheme, opts...)).To(Succeed())
		return run
	}
	g.Expect(runner.Create(context.Background(), owned("as-kubectl-robot-run"))).To(Succeed())
	err := runner.Create(context.Background(), owned("blocking", controllerutil.WithBlockOwnerDeletion(true)))
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%v", err)
}

// TestManagerCannotReadSecrets: the manager's role (config/rbac/role.yaml,
// bound in this suite as it is installed) grants nothing on Secrets, in any
// namespace; a missing Secret is learnt from the kubelet. The suite's
// manager runs under this role, so a Secret watch would not sync at all.
func TestManagerCannotReadSecrets(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	groups := []string{"system:serviceaccounts", "system:serviceaccounts:" + managerNamespace, "system:authenticated"}
	for _, namespace := range []string{ns, ""} {
		for _, verb := range []string{"get", "list", "watch"} {
			review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
				User: managerUser, Groups: groups,
				ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: namespace, Verb: verb, Resource: "secrets"},
			}}
			NewWithT(t).Expect(k8sClient.Create(ctx, review)).To(Succeed())
			if review.Status.Allowed {
				t.Errorf("the manager may %s secrets in namespace %q", verb, namespace)
			}
		}
	}
}

// TestWorkQueuesAreDeclaredByEditorsAndReadByViewersAndRunners: a queue's
// policy (attempts, retention of personal data) is the editor's; viewers
// and runners read its counts.
func TestWorkQueuesAreDeclaredByEditorsAndReadByViewersAndRunners(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	runner := clientAs(t, ns, "caseworker", applyUserRole(t, "rpa_robot_runner_role.yaml"))
	viewer := clientAs(t, ns, "process-owner", applyUserRole(t, "rpa_robot_viewer_role.yaml"))
	editor := clientAs(t, ns, "rpa-developer", applyUserRole(t, "rpa_robot_editor_role.yaml"))

	queue := &rpav1alpha1.WorkQueue{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "certificates"}}
	g.Expect(editor.Create(ctx, queue)).To(Succeed())
	for name, c := range map[string]client.Client{"viewer": viewer, "runner": runner} {
		g.Expect(c.Get(ctx, client.ObjectKeyFromObject(queue), &rpav1alpha1.WorkQueue{})).To(Succeed(), "%s reads the queue", name)
		retention := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"retention":"8760h"}}`))
		g.Expect(apierrors.IsForbidden(c.Patch(ctx, queue.DeepCopy(), retention))).To(BeTrue(), "%s changes the retention", name)
		other := &rpav1alpha1.WorkQueue{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "by-" + name}}
		g.Expect(apierrors.IsForbidden(c.Create(ctx, other))).To(BeTrue(), "%s creates a queue", name)
	}
	// uniqueReferences cannot be turned off once items rely on it.
	g.Expect(editor.Patch(ctx, queue.DeepCopy(), client.RawPatch(types.MergePatchType, []byte(`{"spec":{"uniqueReferences":true}}`)))).
		To(MatchError(ContainSubstring("uniqueReferences cannot be changed")))
}
