package itemsapi

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
)

// Column types of the table.
const (
	colString  = "string"
	colInteger = "integer"
)

var itemColumns = []metav1.TableColumnDefinition{
	{Name: "Name", Type: colString, Format: "name", Description: "the item's id"},
	{Name: "Queue", Type: colString},
	{Name: "State", Type: colString},
	{Name: "Reference", Type: colString},
	{Name: "Attempts", Type: colInteger},
	{Name: "Held By", Type: colString, Description: "the run holding the item"},
	{Name: "Age", Type: colString},
	{Name: "Priority", Type: colInteger, Priority: 1},
	{Name: "Reason", Type: colString, Priority: 1},
	{Name: "Created By", Type: colString, Priority: 1},
}

// ConvertToTable is what `kubectl get workitems` prints. Robot-written
// text (the reason) is printed by kubectl as it prints any cell.
func (s *ItemStorage) ConvertToTable(_ context.Context, obj runtime.Object, _ runtime.Object) (*metav1.Table, error) {
	table := &metav1.Table{ColumnDefinitions: itemColumns}
	switch o := obj.(type) {
	case *queuev1alpha1.WorkItem:
		table.Rows = []metav1.TableRow{itemRow(o)}
	case *queuev1alpha1.WorkItemList:
		for i := range o.Items {
			table.Rows = append(table.Rows, itemRow(&o.Items[i]))
		}
		table.ResourceVersion, table.Continue = o.ResourceVersion, o.Continue
	default:
		return nil, fmt.Errorf("cannot print %T as a table of work items", obj)
	}
	return table, nil
}

func itemRow(wi *queuev1alpha1.WorkItem) metav1.TableRow {
	held := "<none>"
	if wi.Status.HeldBy != nil {
		held = wi.Status.HeldBy.Run
	}
	return metav1.TableRow{
		Cells: []any{wi.Name, wi.Spec.Queue, wi.Status.State, wi.Spec.Reference, int64(wi.Status.Attempts), held,
			duration.HumanDuration(metav1.Now().Sub(wi.CreationTimestamp.Time)), int64(wi.Spec.Priority), wi.Status.Reason,
			wi.Status.CreatedBy},
		Object: runtime.RawExtension{Object: wi},
	}
}
