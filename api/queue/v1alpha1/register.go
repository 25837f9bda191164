package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupName is the API group rpa-server serves.
const GroupName = "queue.rpa.dev"

// AnnotationExisting marks the answer to an add whose reference the queue
// (with uniqueReferences) already has: the answer is that item, not a new one.
const AnnotationExisting = GroupName + "/existing"

// FieldRun is the field selector that lists the work items a run took,
// whatever became of them since: run=NAME.
const FieldRun = "run"

// SchemeGroupVersion is the group and version of every type here.
var SchemeGroupVersion = schema.GroupVersion{Group: GroupName, Version: "v1alpha1"}

var (
	// SchemeBuilder registers the types with a scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)
	// AddToScheme adds the types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// Types are the kinds of the group, for registration under more than one
// version (rpa-server decodes request bodies into the internal version,
// for which it uses these same types).
func Types() []runtime.Object {
	return []runtime.Object{&WorkItem{}, &WorkItemList{}, &WorkItemOutcome{}, &WorkItemDecision{}, &WorkItemTake{}, &ItemDecision{}, &ItemDecisionList{}}
}

func addKnownTypes(scheme *runtime.Scheme) error {
	scheme.AddKnownTypes(SchemeGroupVersion, Types()...)
	metav1.AddToGroupVersion(scheme, SchemeGroupVersion)
	return nil
}
