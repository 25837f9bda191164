package controllers

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// TestSamplesAreAcceptedAndTheRobotBecomesReady applies every manifest in
// config/samples as a user would (server-side apply, or create for runs with
// generateName) and checks the sample robot ends Ready: the samples are
// documentation, so they must work.
func TestSamplesAreAcceptedAndTheRobotBecomesReady(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)

	files, err := filepath.Glob(filepath.Join("..", "config", "samples", "*.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	demo, err := filepath.Glob(filepath.Join("..", "config", "samples", "demo", "*.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	files = append(files, demo...)
	var applied int
	for _, file := range files {
		if filepath.Base(file) == "kustomization.yaml" {
			continue
		}
		for _, obj := range readManifests(g, file) {
			obj.SetNamespace(ns)
			if obj.GetName() == "" {
				g.Expect(k8sClient.Create(ctx, obj)).To(Succeed(), file)
			} else {
				g.Expect(k8sClient.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj),
					client.FieldOwner("samples-test"), client.ForceOwnership)).To(Succeed(), file)
			}
			applied++
		}
	}
	g.Expect(applied).To(BeNumerically(">=", 7), "samples applied")

	for _, name := range []string{"welcome-letters", "residence-check", "contract-check"} {
		robot := &rpav1alpha1.Robot{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		g.Eventually(func(g Gomega) {
			g.Expect(readyOf(g, robot).Status).To(Equal(metav1.ConditionTrue), name)
		}, timeout, interval).Should(Succeed())
	}
}

// readManifests decodes the YAML documents in file.
func readManifests(g Gomega, file string) []*unstructured.Unstructured {
	data, err := os.ReadFile(file)
	g.Expect(err).NotTo(HaveOccurred())
	var objs []*unstructured.Unstructured
	for _, doc := range strings.Split(string(data), "\n---") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		obj := &unstructured.Unstructured{}
		g.Expect(yaml.Unmarshal([]byte(doc), &obj.Object)).To(Succeed(), file)
		if len(obj.Object) > 0 {
			objs = append(objs, obj)
		}
	}
	return objs
}
