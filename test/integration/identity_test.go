package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// The manager's ServiceAccount as config/default installs it.
const (
	managerNamespace      = "rpa-system"
	managerServiceAccount = "rpa-operator-controller-manager"
	managerUser           = "system:serviceaccount:" + managerNamespace + ":" + managerServiceAccount
)

// managerIdentity creates the manager's ServiceAccount, binds it to the
// generated config/rbac/role.yaml, and returns a config that acts as it.
func managerIdentity(ctx context.Context) (*rest.Config, error) {
	return serviceAccountBoundTo(ctx, managerNamespace, managerServiceAccount, filepath.Join("rbac", "role.yaml"), "rpa-operator-")
}

// serviceAccountBoundTo creates a ServiceAccount, binds it cluster-wide to
// the ClusterRole in config/<roleFile> (named with prefix, as
// config/default installs it), and returns a config that acts as it.
func serviceAccountBoundTo(ctx context.Context, namespace, name, roleFile, prefix string) (*rest.Config, error) {
	data, err := os.ReadFile(filepath.Join("..", "..", "config", roleFile))
	if err != nil {
		return nil, err
	}
	role := &rbacv1.ClusterRole{}
	if err := yaml.Unmarshal(data, role); err != nil {
		return nil, fmt.Errorf("config/%s: %w", roleFile, err)
	}
	role.Name = prefix + role.Name
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}},
		role,
		&rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: role.Name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: namespace, Name: name}},
		},
	} {
		if err := k8sClient.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("create %T %s: %w", obj, obj.GetName(), err)
		}
	}
	cfg := rest.CopyConfig(restCfg)
	cfg.Impersonate = rest.ImpersonationConfig{
		UserName: "system:serviceaccount:" + namespace + ":" + name,
		Groups:   []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"},
	}
	return cfg, nil
}

// installAdmissionPolicies creates the policies of config/admission, as
// config/default installs them, and waits until the apiserver enforces
// them (it compiles a new policy a moment after it exists).
func installAdmissionPolicies(ctx context.Context) error {
	files, err := filepath.Glob(filepath.Join("..", "..", "config", "admission", "*.yaml"))
	if err != nil {
		return err
	}
	for _, file := range files {
		if filepath.Base(file) == "kustomization.yaml" {
			continue
		}
		if err := createObjects(ctx, file); err != nil {
			return err
		}
	}
	forged := &rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "policy-probe"},
		Spec:       rpav1alpha1.RobotRunSpec{RobotName: "probe", Trigger: rpav1alpha1.Trigger{Type: rpav1alpha1.TriggerSchedule}},
	}
	// Each policy takes effect a moment after it is created: wait until a
	// forged Schedule run is refused and a manual run is stamped with its
	// requester, so that no test meets one policy without the other.
	manual := &rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "policy-probe"},
		Spec:       rpav1alpha1.RobotRunSpec{RobotName: "probe"},
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		probe := manual.DeepCopy()
		probe.Spec.Cancel = true
		robot := minimalRobot("default", "policy-probe")
		robot.Spec.Suspend = true
		if err := k8sClient.Create(ctx, forged.DeepCopy(), client.DryRunAll); apierrors.IsForbidden(err) &&
			k8sClient.Create(ctx, probe, client.DryRunAll) == nil && probe.Spec.RequestedBy != nil && probe.Spec.CancelledBy != nil &&
			k8sClient.Create(ctx, robot, client.DryRunAll) == nil && robot.Annotations[rpav1alpha1.AnnotationSuspendedBy] != "" {
			return nil
		}
		time.Sleep(interval)
	}
	return errors.New("the run protection, requester and suspender policies are not enforced after " + timeout.String())
}

// createObjects creates every object of a YAML file.
func createObjects(ctx context.Context, file string) error {
	objs, err := readObjects(file)
	if err != nil {
		return err
	}
	for _, obj := range objs {
		if err := k8sClient.Create(ctx, obj); err != nil {
			return fmt.Errorf("create %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
	}
	return nil
}

// readObjects decodes every object of a YAML file.
func readObjects(file string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var objs []*unstructured.Unstructured
	decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		obj := &unstructured.Unstructured{}
		if err := decoder.Decode(&obj.Object); errors.Is(err, io.EOF) {
			return objs, nil
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		objs = append(objs, obj)
	}
}
