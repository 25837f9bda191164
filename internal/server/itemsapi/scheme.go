// Package itemsapi is rpa-server's queue.rpa.dev API: the REST storage
// behind `kubectl get workitems`, the robots' take and outcome calls, and
// people's retry and handle, over the work-item store. Who calls comes
// from the apiserver (the user and, for a robot, its pod from the bound
// ServiceAccount token), never from the request body (docs/work-queues.md).
package itemsapi

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/server/fieldselect"
)

var (
	// Scheme holds the group's types under v1alpha1 and, the same Go
	// types, under the internal version request bodies are decoded into.
	Scheme = runtime.NewScheme()
	// Codecs encode and decode the group's types.
	Codecs = serializer.NewCodecFactory(Scheme)
	// ParameterCodec decodes query parameters.
	ParameterCodec = runtime.NewParameterCodec(Scheme)
)

// Field selectors a list of work items accepts.
const (
	FieldQueue     = "spec.queue"
	FieldState     = "status.state"
	FieldReference = "spec.reference"
	// FieldRun selects the items a run took, whatever became of them.
	FieldRun = queuev1alpha1.FieldRun
)

func init() {
	internal := schema.GroupVersion{Group: queuev1alpha1.GroupName, Version: runtime.APIVersionInternal}
	Scheme.AddKnownTypes(queuev1alpha1.SchemeGroupVersion, queuev1alpha1.Types()...)
	Scheme.AddKnownTypes(internal, queuev1alpha1.Types()...)
	metav1.AddToGroupVersion(Scheme, queuev1alpha1.SchemeGroupVersion)
	metav1.AddToGroupVersion(Scheme, schema.GroupVersion{Version: "v1"})
	err := Scheme.AddFieldLabelConversionFunc(queuev1alpha1.SchemeGroupVersion.WithKind("WorkItem"),
		func(label, value string) (string, string, error) {
			switch label {
			case "metadata.name", fieldselect.Namespace, FieldQueue, FieldState, FieldReference, FieldRun:
				return label, value, nil
			}
			return "", "", fmt.Errorf("field label %q is not supported for work items: use %s, %s, %s or %s", label, FieldQueue, FieldState, FieldReference, FieldRun)
		})
	if err != nil {
		panic(err)
	}
	err = Scheme.AddFieldLabelConversionFunc(queuev1alpha1.SchemeGroupVersion.WithKind("ItemDecision"),
		func(label, value string) (string, string, error) {
			switch label {
			case "metadata.name", fieldselect.Namespace, FieldQueue, FieldFrom, FieldBefore:
				return label, value, nil
			}
			return "", "", fmt.Errorf("field label %q is not supported for item decisions: use %s, %s or %s", label, FieldQueue, FieldFrom, FieldBefore)
		})
	if err != nil {
		panic(err)
	}
}
