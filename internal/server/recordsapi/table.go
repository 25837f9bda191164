package recordsapi

import (
	"context"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"

	recordsv1alpha1 "github.com/rpa-operator/rpa-operator/api/records/v1alpha1"
)

// Column types of the tables.
const (
	colString  = "string"
	colInteger = "integer"
)

var recordColumns = []metav1.TableColumnDefinition{
	{Name: "Name", Type: colString, Format: "name", Description: "the run's name"},
	{Name: "Robot", Type: colString},
	{Name: "Trigger", Type: colString},
	{Name: "Phase", Type: colString},
	{Name: "Reason", Type: colString},
	{Name: "Requested By", Type: colString},
	{Name: "Finished", Type: colString, Description: "how long ago the run finished"},
	{Name: "Duration", Type: colString},
	{Name: "Attempts", Type: colInteger, Priority: 1},
	{Name: "Accounts", Type: colString, Priority: 1, Description: "the credentials' declared accounts"},
	{Name: "Image ID", Type: colString, Priority: 1},
	{Name: "Cancelled By", Type: colString, Priority: 1},
}

// ConvertToTable is what `kubectl get runrecords` prints.
func (s *RecordStorage) ConvertToTable(_ context.Context, obj runtime.Object, _ runtime.Object) (*metav1.Table, error) {
	table := &metav1.Table{ColumnDefinitions: recordColumns}
	switch o := obj.(type) {
	case *recordsv1alpha1.RunRecord:
		table.Rows = []metav1.TableRow{recordRow(o)}
	case *recordsv1alpha1.RunRecordList:
		for i := range o.Items {
			table.Rows = append(table.Rows, recordRow(&o.Items[i]))
		}
		table.ResourceVersion, table.Continue = o.ResourceVersion, o.Continue
	default:
		return nil, fmt.Errorf("cannot print %T as a table of run records", obj)
	}
	return table, nil
}

func recordRow(r *recordsv1alpha1.RunRecord) metav1.TableRow {
	took := "<none>"
	if r.Status.StartTime != nil {
		took = duration.HumanDuration(r.Status.CompletionTime.Sub(r.Status.StartTime.Time))
	}
	var accounts []string
	for _, c := range r.Status.Credentials {
		if c.Account != "" {
			accounts = append(accounts, c.Account)
		}
	}
	return metav1.TableRow{
		Cells: []any{r.Name, r.Spec.RobotName, r.Spec.Trigger.Type, r.Status.Phase, r.Status.Reason, orNone(r.Spec.RequestedBy),
			duration.HumanDuration(metav1.Now().Sub(r.Status.CompletionTime.Time)), took, int64(r.Status.Attempts),
			orNone(strings.Join(accounts, ",")), orNone(r.Status.ImageID), orNone(r.Spec.CancelledBy)},
		Object: runtime.RawExtension{Object: r},
	}
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}
