package integration

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	authorizationv1 "k8s.io/api/authorization/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
	"github.com/rpa-operator/rpa-operator/controllers/queueaccess"
)

// queueRobotBinding reads the namespace's queue-robot RoleBinding's
// subjects' names; nil when there is none.
func queueRobotBinding(g Gomega, ns string) []string {
	binding := &rbacv1.RoleBinding{}
	err := k8sClient.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: queueaccess.BindingName}, binding)
	if apierrors.IsNotFound(err) {
		return nil
	}
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(binding.RoleRef).To(Equal(rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: queueaccess.ClusterRoleName}))
	names := []string{}
	for _, s := range binding.Subjects {
		g.Expect(s.Kind).To(Equal(rbacv1.ServiceAccountKind))
		g.Expect(s.Namespace).To(Equal(ns))
		names = append(names, s.Name)
	}
	return names
}

// mayDo asks kube-apiserver's RBAC whether the ServiceAccount may do verb
// on the queue.rpa.dev resource and subresource in ns.
func mayDo(g Gomega, ns, sa, verb, resource, subresource string) bool {
	review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:   "system:serviceaccount:" + ns + ":" + sa,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace: ns, Verb: verb, Group: queuev1alpha1.GroupName, Resource: resource, Subresource: subresource,
		},
	}}
	g.Expect(k8sClient.Create(context.Background(), review)).To(Succeed())
	return review.Status.Allowed
}

// TestRobotsAWorkQueueNamesMayUseTheWorkItemAPIAndNoOthers: the manager,
// under its own ClusterRole, binds rpa-queue-robot to the ServiceAccounts
// of the robots the namespace's queues name (a robot without one runs as
// default), follows the queues and robots as they change, puts an edited
// binding right, and removes it when no queue names a robot.
func TestRobotsAWorkQueueNamesMayUseTheWorkItemAPIAndNoOthers(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	applyUserRole(t, "rpa_queue_robot_role.yaml")
	createRobot(t, ns, "journal", func(r *rpav1alpha1.Robot) { r.Spec.Template.ServiceAccountName = "journal-robot" })
	createRobot(t, ns, "paula", nil)
	createRobot(t, ns, "unrelated", func(r *rpav1alpha1.Robot) { r.Spec.Template.ServiceAccountName = "unrelated-robot" })
	wq := createWorkQueue(t, ns, "certificates", func(q *rpav1alpha1.WorkQueue) {
		q.Spec.Trigger = &rpav1alpha1.WorkQueueTrigger{RobotName: "journal"}
		q.Spec.Robots = []string{"paula", "not-created-yet"}
	})

	g.Eventually(func(g Gomega) []string { return queueRobotBinding(g, ns) }, timeout, interval).
		Should(Equal([]string{"default", "journal-robot"}))
	for _, verb := range [][2]string{{"queues", "take"}, {"workitems", "done"}, {"workitems", "businessexception"}, {"workitems", "systemexception"}, {"workitems", ""}} {
		g.Expect(mayDo(g, ns, "journal-robot", "create", verb[0], verb[1])).To(BeTrue(), "journal-robot %v", verb)
	}
	// The robot role gives nothing else: no reading items, no deciding on them.
	g.Expect(mayDo(g, ns, "journal-robot", "list", "workitems", "")).To(BeFalse())
	g.Expect(mayDo(g, ns, "journal-robot", "create", "workitems", "handle")).To(BeFalse())
	g.Expect(mayDo(g, ns, "unrelated-robot", "create", "queues", "take")).To(BeFalse(), "a robot no queue names")

	// The robot the queue named before it existed gets access once it does.
	createRobot(t, ns, "not-created-yet", func(r *rpav1alpha1.Robot) { r.Spec.Template.ServiceAccountName = "late-robot" })
	g.Eventually(func(g Gomega) []string { return queueRobotBinding(g, ns) }, timeout, interval).
		Should(Equal([]string{"default", "journal-robot", "late-robot"}))

	// An edit of the binding is put right.
	binding := &rbacv1.RoleBinding{}
	g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: queueaccess.BindingName}, binding)).To(Succeed())
	binding.Subjects = append(binding.Subjects, rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: "intruder"})
	g.Expect(k8sClient.Update(ctx, binding)).To(Succeed())
	g.Eventually(func(g Gomega) []string { return queueRobotBinding(g, ns) }, timeout, interval).
		Should(Equal([]string{"default", "journal-robot", "late-robot"}))

	// The queue stops naming paula and the late robot: default loses access.
	g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(wq), wq)).To(Succeed())
	wq.Spec.Robots = nil
	g.Expect(k8sClient.Update(ctx, wq)).To(Succeed())
	g.Eventually(func(g Gomega) []string { return queueRobotBinding(g, ns) }, timeout, interval).
		Should(Equal([]string{"journal-robot"}))

	// No queue, no binding.
	g.Expect(k8sClient.Delete(ctx, wq)).To(Succeed())
	g.Eventually(func(g Gomega) []string { return queueRobotBinding(g, ns) }, timeout, interval).Should(BeNil())
	g.Consistently(func(g Gomega) []string { return queueRobotBinding(g, ns) }, "2s", interval).Should(BeNil())
}

// TestOnlyARobotAQueueNamesGetsAQueueToken: a run of a robot a WorkQueue
// names gets a projected token bound to its pod, and a run of another
// robot gets no token at all.
func TestOnlyARobotAQueueNamesGetsAQueueToken(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	createRobot(t, ns, "paula", nil)
	createRobot(t, ns, "olli", nil)
	createWorkQueue(t, ns, "letters", func(q *rpav1alpha1.WorkQueue) { q.Spec.Robots = []string{"paula"} })

	queueVolume := func(job *batchv1.Job) *corev1.Volume {
		for i, v := range job.Spec.Template.Spec.Volumes {
			if v.Projected != nil && len(v.Projected.Sources) > 0 && v.Projected.Sources[0].ServiceAccountToken != nil {
				return &job.Spec.Template.Spec.Volumes[i]
			}
		}
		return nil
	}
	paula := waitForJob(g, createRun(t, ns, "paula-by-hand", "paula", nil))
	g.Expect(queueVolume(paula)).NotTo(BeNil(), "paula's pod gets a queue token")
	g.Expect(paula.Spec.Template.Spec.Containers[0].VolumeMounts).To(ContainElement(HaveField("MountPath", jobs.QueueAccessDir)))
	olli := waitForJob(g, createRun(t, ns, "olli-by-hand", "olli", nil))
	g.Expect(queueVolume(olli)).To(BeNil(), "olli uses no queue")
	g.Expect(*olli.Spec.Template.Spec.AutomountServiceAccountToken).To(BeFalse())
}

// TestPeopleRolesOnWorkItems: runners and editors read, add, retry and
// handle work items, editors also erase them; viewers see the queues'
// counts but no item (payloads hold personal data); no role lets a person
// take or report an item as a robot would. Asked of kube-apiserver's RBAC, which authorizes a request
// before it is proxied to rpa-server.
func TestPeopleRolesOnWorkItems(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	roles := map[string]string{
		"caseworker":    applyUserRole(t, "rpa_robot_runner_role.yaml"),
		"process-owner": applyUserRole(t, "rpa_robot_viewer_role.yaml"),
		"rpa-developer": applyUserRole(t, "rpa_robot_editor_role.yaml"),
	}
	for user, role := range roles {
		clientAs(t, ns, user, role)
	}
	may := func(user, verb, resource, subresource string) bool {
		review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: user, Groups: []string{"system:authenticated"},
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Namespace: ns, Verb: verb, Group: queuev1alpha1.GroupName, Resource: resource, Subresource: subresource,
			},
		}}
		g.Expect(k8sClient.Create(context.Background(), review)).To(Succeed())
		return review.Status.Allowed
	}
	for _, tc := range []struct {
		verb, resource, subresource  string
		caseworker, owner, developer bool
	}{
		{"list", "workitems", "", true, false, true},
		{"get", "workitems", "", true, false, true},
		{"create", "workitems", "", true, false, true},
		{"create", "workitems", "retry", true, false, true},
		{"create", "workitems", "handle", true, false, true},
		{"create", "workitems", "done", false, false, false},
		{"create", "queues", "take", false, false, false},
		{"delete", "workitems", "", false, false, true},
	} {
		what := tc.verb + " " + tc.resource + "/" + tc.subresource
		g.Expect(may("caseworker", tc.verb, tc.resource, tc.subresource)).To(Equal(tc.caseworker), "caseworker: %s", what)
		g.Expect(may("process-owner", tc.verb, tc.resource, tc.subresource)).To(Equal(tc.owner), "process owner: %s", what)
		g.Expect(may("rpa-developer", tc.verb, tc.resource, tc.subresource)).To(Equal(tc.developer), "rpa developer: %s", what)
	}
}
