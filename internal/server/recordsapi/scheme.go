// Package recordsapi is rpa-server's records.rpa.dev API: the REST storage
// behind `kubectl get runrecords` and the log of a run long pruned, read
// from the run-record store. It is read-only: records are written by the
// recorder (internal/server/runrecorder) and deleted by retention.
package recordsapi

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	recordsv1alpha1 "github.com/rpa-operator/rpa-operator/api/records/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/server/fieldselect"
)

var (
	// Scheme holds the group's types under v1alpha1 and, the same Go
	// types, under the internal version.
	Scheme = runtime.NewScheme()
	// Codecs encode and decode the group's types.
	Codecs = serializer.NewCodecFactory(Scheme)
	// ParameterCodec decodes query parameters.
	ParameterCodec = runtime.NewParameterCodec(Scheme)
)

// Field selectors a list of run records accepts: exact robot and phase,
// and the period the runs finished in (from inclusive, before exclusive;
// RFC 3339 times or dates, which are midnight UTC).
const (
	FieldRobot  = "spec.robotName"
	FieldPhase  = "status.phase"
	FieldFrom   = "from"
	FieldBefore = "before"
	// FieldChangedRobot selects a robot's changes.
	FieldChangedRobot = "robotName"
)

var runRecordsResource = schema.GroupResource{Group: recordsv1alpha1.GroupName, Resource: "runrecords"}

func init() {
	internal := schema.GroupVersion{Group: recordsv1alpha1.GroupName, Version: runtime.APIVersionInternal}
	Scheme.AddKnownTypes(recordsv1alpha1.SchemeGroupVersion, recordsv1alpha1.Types()...)
	Scheme.AddKnownTypes(internal, recordsv1alpha1.Types()...)
	metav1.AddToGroupVersion(Scheme, recordsv1alpha1.SchemeGroupVersion)
	metav1.AddToGroupVersion(Scheme, schema.GroupVersion{Version: "v1"})
	err := Scheme.AddFieldLabelConversionFunc(recordsv1alpha1.SchemeGroupVersion.WithKind("RunRecord"),
		func(label, value string) (string, string, error) {
			switch label {
			case "metadata.name", fieldselect.Namespace, FieldRobot, FieldPhase, FieldFrom, FieldBefore:
				return label, value, nil
			}
			return "", "", fmt.Errorf("field label %q is not supported for run records: use %s, %s, %s or %s",
				label, FieldRobot, FieldPhase, FieldFrom, FieldBefore)
		})
	if err != nil {
		panic(err)
	}
	err = Scheme.AddFieldLabelConversionFunc(recordsv1alpha1.SchemeGroupVersion.WithKind("RobotChange"),
		func(label, value string) (string, string, error) {
			switch label {
			case "metadata.name", fieldselect.Namespace, FieldChangedRobot, FieldFrom, FieldBefore:
				return label, value, nil
			}
			return "", "", fmt.Errorf("field label %q is not supported for robot changes: use %s, %s or %s",
				label, FieldChangedRobot, FieldFrom, FieldBefore)
		})
	if err != nil {
		panic(err)
	}
}
