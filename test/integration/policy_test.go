package integration

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// applyPolicy creates the objects of a file in config/policies, its
// binding limited to namespaces labelled for this test: the policy is
// cluster-wide, and the other tests' robots must not meet it.
func applyPolicy(t *testing.T, file, testLabel string) {
	t.Helper()
	g := NewWithT(t)
	data, err := os.ReadFile(filepath.Join("..", "..", "config", "policies", file))
	g.Expect(err).NotTo(HaveOccurred())
	decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		obj := &unstructured.Unstructured{}
		if err := decoder.Decode(&obj.Object); err != nil {
			break
		}
		if obj.GetKind() == "ValidatingAdmissionPolicyBinding" {
			g.Expect(unstructured.SetNestedStringMap(obj.Object, map[string]string{testLabel: "true"},
				"spec", "matchResources", "namespaceSelector", "matchLabels")).To(Succeed())
		}
		g.Expect(k8sClient.Create(context.Background(), obj)).To(Succeed(), "create %s %s", obj.GetKind(), obj.GetName())
		t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), obj) })
	}
}

func addNamespaceLabels(g Gomega, ns string, labels map[string]string) {
	namespace := &corev1.Namespace{}
	g.Expect(k8sClient.Get(context.Background(), client.ObjectKey{Name: ns}, namespace)).To(Succeed())
	if namespace.Labels == nil {
		namespace.Labels = map[string]string{}
	}
	for k, v := range labels {
		namespace.Labels[k] = v
	}
	g.Expect(k8sClient.Update(context.Background(), namespace)).To(Succeed())
}

func TestPriorityCapPolicyKeepsTenantsFromOutrankingEachOther(t *testing.T) {
	g := NewWithT(t)
	const testLabel = "rpa.dev/test-priority-cap"
	ns := newNamespace(t)
	addNamespaceLabels(g, ns, map[string]string{testLabel: "true"})
	applyPolicy(t, "priority-cap.yaml", testLabel)

	robot := minimalRobot(ns, "journal")
	robot.Spec.Template.Image = robotImage
	robot.Spec.Priority = 500
	// The policy takes effect once the apiserver has compiled it.
	g.Eventually(func() error {
		return k8sClient.Create(context.Background(), robot.DeepCopy(), client.DryRunAll)
	}, timeout, interval).Should(MatchError(ContainSubstring("priority 500 is above 100")))

	robot.Spec.Priority = 100
	g.Expect(k8sClient.Create(context.Background(), robot)).To(Succeed())
	urgent := &rpav1alpha1.RobotRun{}
	urgent.Namespace, urgent.Name = ns, "urgent"
	urgent.Spec.RobotName, urgent.Spec.Priority = robot.Name, ptr.To[int32](1000)
	g.Expect(k8sClient.Create(context.Background(), urgent)).To(MatchError(ContainSubstring("label the namespace rpa.dev/priority-unlimited=true")))

	// The platform team lifts the cap for this namespace.
	addNamespaceLabels(g, ns, map[string]string{"rpa.dev/priority-unlimited": "true"})
	g.Eventually(func() error {
		return k8sClient.Create(context.Background(), urgent.DeepCopy())
	}, timeout, interval).Should(Succeed())
}

func addNamespaceAnnotations(g Gomega, ns string, annotations map[string]string) {
	namespace := &corev1.Namespace{}
	g.Expect(k8sClient.Get(context.Background(), client.ObjectKey{Name: ns}, namespace)).To(Succeed())
	namespace.Annotations = annotations
	g.Expect(k8sClient.Update(context.Background(), namespace)).To(Succeed())
}

func TestPlacementPolicyKeepsRobotsOnTheirNamespacesNodePoolAndPriorityClasses(t *testing.T) {
	g := NewWithT(t)
	const testLabel = "rpa.dev/test-placement"
	ns := newNamespace(t)
	addNamespaceLabels(g, ns, map[string]string{testLabel: "true", "rpa.dev/node-pool": "dmz"})
	addNamespaceAnnotations(g, ns, map[string]string{"rpa.dev/priority-classes": "robots-high, robots-low"})
	applyPolicy(t, "placement.yaml", testLabel)

	robot := func(name string, mutate func(*rpav1alpha1.RobotTemplate)) *rpav1alpha1.Robot {
		r := minimalRobot(ns, name)
		r.Spec.Template.NodeSelector = map[string]string{"rpa.dev/node-pool": "dmz"}
		r.Spec.Template.Tolerations = []corev1.Toleration{{Key: "rpa.dev/node-pool", Operator: corev1.TolerationOpEqual, Value: "dmz", Effect: corev1.TaintEffectNoSchedule}}
		if mutate != nil {
			mutate(&r.Spec.Template)
		}
		return r
	}
	// The policy takes effect once the apiserver has compiled it.
	g.Eventually(func() error {
		return k8sClient.Create(context.Background(), robot("probe", func(tpl *rpav1alpha1.RobotTemplate) {
			tpl.NodeSelector = nil
		}), client.DryRunAll)
	}, timeout, interval).Should(MatchError(ContainSubstring("run on node pool dmz")))

	for message, mutate := range map[string]func(*rpav1alpha1.RobotTemplate){
		"run on node pool dmz": func(tpl *rpav1alpha1.RobotTemplate) {
			tpl.NodeSelector = map[string]string{"rpa.dev/node-pool": "finance"}
		},
		"may tolerate only the taint rpa.dev/node-pool=dmz": func(tpl *rpav1alpha1.RobotTemplate) {
			tpl.Tolerations = append(tpl.Tolerations, corev1.Toleration{Operator: corev1.TolerationOpExists})
		},
		"priorityClassName system-cluster-critical is not one namespace": func(tpl *rpav1alpha1.RobotTemplate) {
			tpl.PriorityClassName = "system-cluster-critical"
		},
	} {
		err := k8sClient.Create(context.Background(), robot("refused", mutate), client.DryRunAll)
		g.Expect(err).To(MatchError(ContainSubstring(message)), message)
	}
	g.Expect(k8sClient.Create(context.Background(), robot("placed", func(tpl *rpav1alpha1.RobotTemplate) {
		tpl.PriorityClassName = "robots-high"
	}))).To(Succeed())
}
