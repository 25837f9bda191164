package integration

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// grant gives user verbs on resources in ns with a Role of its own.
func grant(t *testing.T, ns, user, name string, rule rbacv1.PolicyRule) {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Rules: []rbacv1.PolicyRule{rule}}
	g.Expect(k8sClient.Create(ctx, role)).To(Succeed())
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	}
	g.Expect(k8sClient.Create(ctx, binding)).To(Succeed())
}

// TestTheEditorReachesOnlyWhatItMayReadItself: with only the editor role a
// person cannot make a robot's pod mount a Secret they may not read, run
// as another ServiceAccount, or mount a hostPath; granted the Secret (or
// pod creation), they can; and someone editing a robot that already names
// a Secret needs no access to it.
func TestTheEditorReachesOnlyWhatItMayReadItself(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	editor := clientAs(t, ns, "rpa-developer", applyUserRole(t, "rpa_robot_editor_role.yaml"))
	robotWith := func(name string, mutate func(*rpav1alpha1.Robot)) *rpav1alpha1.Robot {
		robot := minimalRobot(ns, name)
		mutate(robot)
		return robot
	}
	refused := map[string]*rpav1alpha1.Robot{
		"you may not get all of payroll-db in namespace": robotWith("credential", func(r *rpav1alpha1.Robot) {
			r.Spec.Credentials = []rpav1alpha1.Credential{{Name: "db", SecretName: "payroll-db"}}
		}),
		"you may not get all of payroll-db in": robotWith("env", func(r *rpav1alpha1.Robot) {
			r.Spec.Template.Env = []corev1.EnvVar{{Name: "PASSWORD", ValueFrom: &corev1.EnvVarSource{
				SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "payroll-db"}, Key: "password"}}}}
		}),
		"you may not get all of payroll-db, payroll-db in": robotWith("volume", func(r *rpav1alpha1.Robot) {
			r.Spec.Template.EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "payroll-db"}}}}
			r.Spec.Template.Volumes = []corev1.Volume{{Name: "db", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "payroll-db"}}}}
		}),
		"may run as ServiceAccount namespace-admin only for whoever may create pods": robotWith("sa", func(r *rpav1alpha1.Robot) {
			r.Spec.Template.ServiceAccountName = "namespace-admin"
		}),
		"volume(s) node-root are not configMap": robotWith("hostpath", func(r *rpav1alpha1.Robot) {
			r.Spec.Template.Volumes = []corev1.Volume{{Name: "node-root", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}
		}),
	}
	for message, robot := range refused {
		err := editor.Create(ctx, robot)
		g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%s: %v", robot.Name, err)
		g.Expect(err).To(MatchError(ContainSubstring(message)), robot.Name)
	}

	// Granted the Secret, the editor may use it.
	grant(t, ns, "rpa-developer", "read-payroll-db", rbacv1.PolicyRule{
		APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"payroll-db"}, Verbs: []string{"get"},
	})
	g.Eventually(func() error {
		return editor.Create(ctx, refused["you may not get all of payroll-db in namespace"].DeepCopy())
	}, timeout, interval).Should(Succeed())

	// Someone who may create pods could run as the ServiceAccount anyway.
	grant(t, ns, "rpa-developer", "create-pods", rbacv1.PolicyRule{
		APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"create"},
	})
	g.Eventually(func() error {
		return editor.Create(ctx, refused["may run as ServiceAccount namespace-admin only for whoever may create pods"].DeepCopy())
	}, timeout, interval).Should(Succeed())

	// A robot that already names a Secret can be suspended by an editor who
	// may not read it.
	existing := robotWith("existing", func(r *rpav1alpha1.Robot) {
		r.Spec.Credentials = []rpav1alpha1.Credential{{Name: "esdh", SecretName: "esdh-account"}}
	})
	g.Expect(k8sClient.Create(ctx, existing)).To(Succeed())
	other := clientAs(t, ns, "process-owner", applyUserRole(t, "rpa_robot_editor_role.yaml"))
	suspend := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"suspend":true}}`))
	g.Expect(other.Patch(ctx, existing.DeepCopy(), suspend)).To(Succeed())
	addSecret := client.RawPatch(types.MergePatchType, []byte(
		`{"spec":{"credentials":[{"name":"esdh","secretName":"esdh-account"},{"name":"db","secretName":"payroll-db"}]}}`))
	g.Expect(other.Patch(ctx, existing.DeepCopy(), addSecret)).To(MatchError(ContainSubstring("you may not get all of payroll-db in")))
}
