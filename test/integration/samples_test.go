package integration

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
	"github.com/rpa-operator/rpa-operator/controllers/calendar"
)

// sampleManifests are the files config/samples and the sample robots'
// kustomizations are made of.
var sampleManifests = []string{
	"config/samples/*.yaml",
	"config/samples/demo/*.yaml",
	"robots/*/robot.yaml",
	"robots/*/secret.yaml",
	"robots/*/workqueue.yaml",
}

// sampleApplier is the field manager the sample tests apply as, Argo CD's.
const sampleApplier = "argocd-controller"

// sampleRobots are the robots those manifests declare.
var sampleRobots = []string{"welcome-letters", "certificate-journal", "system-monitor", "residence-check", "contract-check",
	"mail-intake", "mail-sorter", "bbr-extract", "olli", "paula"}

// sampleCalendars are the RobotCalendars those manifests declare.
var sampleCalendars = []string{"roskilde"}

// TestSamplesAreAcceptedAndTheRobotsBecomeReady applies every sample
// manifest as a user would (server-side apply, or create for runs with
// generateName) and checks every sample robot ends Ready: the samples are
// documentation, so they must work.
func TestSamplesAreAcceptedAndTheRobotsBecomeReady(t *testing.T) {
	ns := newNamespace(t)
	// The same field manager as the drift test: the cluster-scoped
	// TargetSystem sample is shared by both.
	applied := applySamples(t, ns, sampleApplier)
	NewWithT(t).Expect(len(applied)).To(BeNumerically(">=", 2*len(sampleRobots)), "samples applied")
	waitForSampleRobots(t, ns)
	for _, name := range sampleCalendars {
		cal := &rpav1alpha1.RobotCalendar{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		NewWithT(t).Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(context.Background(), objectKey(cal), cal)).To(Succeed())
			g.Expect(readySummary(cal.Status.Conditions)).To(Equal("Ready=True"), name)
			g.Expect(cal.Status.NextClosedDates).To(HaveLen(calendar.NextClosedDatesShown), name)
		}, timeout, interval).Should(Succeed())
	}
}

// TestAppliedSamplesDoNotDrift is what Argo CD checks after a sync: once
// the controller has reconciled what Git holds, applying Git again changes
// nothing. Defaults live in the CRD schema (so they are part of the applied
// object from the start), and the controller writes only status: every
// field outside status is owned by the applier, and a server-side dry-run
// apply of the same manifests leaves each object as it is.
func TestAppliedSamplesDoNotDrift(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	owner := sampleApplier
	applied := applySamples(t, ns, owner)
	waitForSampleRobots(t, ns)

	for _, desired := range applied {
		live := &unstructured.Unstructured{}
		live.SetGroupVersionKind(desired.GroupVersionKind())
		g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(desired), live)).To(Succeed())
		for _, mf := range live.GetManagedFields() {
			if mf.Manager != owner {
				g.Expect(mf.Subresource).To(Equal("status"),
					"%s %s: %s changed fields outside status: %s", desired.GetKind(), desired.GetName(), mf.Manager, mf.FieldsV1)
			}
		}

		// The dry run answers with the object as it would be after
		// applying Git again: the same generation and content as live.
		again := desired.DeepCopy()
		g.Expect(k8sClient.Apply(ctx, client.ApplyConfigurationFromUnstructured(again),
			client.FieldOwner(owner), client.DryRunAll)).To(Succeed())
		g.Expect(again.GetResourceVersion()).NotTo(BeEmpty(), "the dry run's answer")
		g.Expect(again.GetGeneration()).To(Equal(live.GetGeneration()), "%s %s", desired.GetKind(), desired.GetName())
		field := "spec"
		if desired.GetKind() == "Secret" {
			field = "data"
		}
		want, found, _ := unstructured.NestedFieldNoCopy(live.Object, field)
		g.Expect(found).To(BeTrue(), "%s %s has %s", desired.GetKind(), desired.GetName(), field)
		got, _, _ := unstructured.NestedFieldNoCopy(again.Object, field)
		g.Expect(got).To(Equal(want), "%s %s: applying Git again would change %s", desired.GetKind(), desired.GetName(), field)
		g.Expect(again.GetLabels()).To(Equal(live.GetLabels()))
		g.Expect(again.GetAnnotations()).To(Equal(live.GetAnnotations()))
	}
}

// applySamples applies every sample manifest into ns with server-side
// apply as owner (runs with generateName are created, as kubectl create
// does) and returns the applied objects as they are in Git.
func applySamples(t *testing.T, ns, owner string) []*unstructured.Unstructured {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	var files []string
	for _, pattern := range sampleManifests {
		matched, err := filepath.Glob(filepath.Join("..", "..", filepath.FromSlash(pattern)))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(matched).NotTo(BeEmpty(), pattern)
		files = append(files, matched...)
	}
	var applied []*unstructured.Unstructured
	for _, file := range files {
		if filepath.Base(file) == "kustomization.yaml" {
			continue
		}
		for _, obj := range readManifests(g, file) {
			if obj.GetKind() != "TargetSystem" { // cluster-scoped
				obj.SetNamespace(ns)
			}
			if obj.GetName() == "" {
				g.Expect(k8sClient.Create(ctx, obj)).To(Succeed(), file)
				continue
			}
			applied = append(applied, obj.DeepCopy())
			g.Expect(k8sClient.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj),
				client.FieldOwner(owner), client.ForceOwnership)).To(Succeed(), file)
		}
	}
	return applied
}

// waitForSampleRobots waits until every sample robot is Ready.
func waitForSampleRobots(t *testing.T, ns string) {
	t.Helper()
	g := NewWithT(t)
	for _, name := range sampleRobots {
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
