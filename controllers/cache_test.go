package controllers

import (
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
)

func TestStripForCache(t *testing.T) {
	managed := []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}

	t.Run("pods keep metadata and status, not their spec or run file", func(t *testing.T) {
		obj := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				Annotations:   map[string]string{"a": "b", rpav1alpha1.AnnotationRunJSON: "{}"},
				ManagedFields: managed,
			},
			Spec:   corev1.PodSpec{Containers: []corev1.Container{{Name: jobs.ContainerName, Image: "x"}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: jobs.ContainerName}}},
		}
		got, _ := stripForCache(obj)
		p := got.(*corev1.Pod)
		if p.Annotations["a"] != "b" || p.ManagedFields != nil {
			t.Errorf("annotations %v, managed fields %v; want annotations kept and managed fields dropped", p.Annotations, p.ManagedFields)
		}
		if _, ok := p.Annotations[rpav1alpha1.AnnotationRunJSON]; ok || len(p.Spec.Containers) != 0 {
			t.Errorf("run file %v, spec %+v; want both dropped", p.Annotations, p.Spec)
		}
		if p.Status.Phase != corev1.PodRunning || len(p.Status.ContainerStatuses) != 1 {
			t.Errorf("status %+v; want it kept", p.Status)
		}
	})
	t.Run("jobs keep what the controllers read, not their pod template or selector", func(t *testing.T) {
		job := &batchv1.Job{
			ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{rpav1alpha1.AnnotationRunName: "r"}, ManagedFields: managed},
			Spec: batchv1.JobSpec{
				BackoffLimit: ptr.To[int32](2), ActiveDeadlineSeconds: ptr.To[int64](3600),
				PodFailurePolicy: &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{Action: batchv1.PodFailurePolicyActionFailJob}}},
				Selector:         &metav1.LabelSelector{MatchLabels: map[string]string{"batch.kubernetes.io/controller-uid": "u"}},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{rpav1alpha1.AnnotationRunJSON: "{}"}},
					Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "robot", Image: "x"}}},
				},
			},
			Status: batchv1.JobStatus{Failed: 1},
		}
		got, _ := stripForCache(job)
		j := got.(*batchv1.Job)
		if len(j.Spec.Template.Spec.Containers) != 0 || j.Spec.Template.Annotations != nil || j.Spec.Selector != nil {
			t.Errorf("pod template %+v and selector %v must be dropped", j.Spec.Template, j.Spec.Selector)
		}
		if *j.Spec.BackoffLimit != 2 || *j.Spec.ActiveDeadlineSeconds != 3600 || len(j.Spec.PodFailurePolicy.Rules) != 1 ||
			j.Annotations[rpav1alpha1.AnnotationRunName] != "r" || j.Status.Failed != 1 || j.ManagedFields != nil {
			t.Errorf("job after stripping: %+v", j)
		}
	})
	t.Run("tombstones pass through", func(t *testing.T) {
		tomb := toolscache.DeletedFinalStateUnknown{Key: "ns/x"}
		got, err := stripForCache(tomb)
		if err != nil || got.(toolscache.DeletedFinalStateUnknown).Key != "ns/x" {
			t.Errorf("got %v, %v", got, err)
		}
	})
}
