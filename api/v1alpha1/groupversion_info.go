// Package v1alpha1 holds the rpa.dev/v1alpha1 API: Robot, a declared RPA
// process, RobotRun, one execution of it, RobotCalendar, the working days
// its schedules keep to, TargetSystem, a system robots share, and
// WorkQueue, a queue of work items robots take one at a time.
//
// +kubebuilder:object:generate=true
// +groupName=rpa.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The package depends only on apimachinery and core API types, so that robot
// SDKs, the kubectl plugin and other tools can import it cheaply.
var (
	// GroupVersion is the API group and version of every type in this package.
	GroupVersion = schema.GroupVersion{Group: "rpa.dev", Version: "v1alpha1"}

	// SchemeBuilder registers this package's types with a runtime.Scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds this package's types to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(scheme *runtime.Scheme) error {
	scheme.AddKnownTypes(GroupVersion, &Robot{}, &RobotList{}, &RobotRun{}, &RobotRunList{},
		&TargetSystem{}, &TargetSystemList{},
		&RobotCalendar{}, &RobotCalendarList{},
		&WorkQueue{}, &WorkQueueList{})
	metav1.AddToGroupVersion(scheme, GroupVersion)
	return nil
}
