package recordsapi

import (
	"context"
	"fmt"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	recordsv1alpha1 "github.com/rpa-operator/rpa-operator/api/records/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/runrecord/store"
	"github.com/rpa-operator/rpa-operator/internal/server/fieldselect"
)

// Changes is what the API reads of the robot changes.
type Changes interface {
	RobotChanges(ctx context.Context, o store.ChangeListOptions) ([]store.RobotChange, error)
}

// ChangeStorage is the robotchanges resource: list only.
type ChangeStorage struct{ Changes Changes }

var (
	_ rest.Storage              = &ChangeStorage{}
	_ rest.Scoper               = &ChangeStorage{}
	_ rest.SingularNameProvider = &ChangeStorage{}
	_ rest.Lister               = &ChangeStorage{}
)

// New implements the apiserver's REST storage interfaces for ChangeStorage.
func (s *ChangeStorage) New() runtime.Object { return &recordsv1alpha1.RobotChange{} }

// NewList implements the apiserver's REST storage interfaces for ChangeStorage.
func (s *ChangeStorage) NewList() runtime.Object { return &recordsv1alpha1.RobotChangeList{} }

// Destroy implements the apiserver's REST storage interfaces for ChangeStorage.
func (s *ChangeStorage) Destroy() {}

// NamespaceScoped implements the apiserver's REST storage interfaces for ChangeStorage.
func (s *ChangeStorage) NamespaceScoped() bool { return true }

// GetSingularName implements the apiserver's REST storage interfaces for ChangeStorage.
func (s *ChangeStorage) GetSingularName() string { return "robotchange" }

// List returns the namespace's robot changes, oldest first, selected by
// robot (FieldChangedRobot) and period (FieldFrom, FieldBefore), paged.
func (s *ChangeStorage) List(ctx context.Context, options *metainternalversion.ListOptions) (runtime.Object, error) {
	namespace, ok := request.NamespaceFrom(ctx)
	if !ok || namespace == "" {
		return nil, apierrors.NewBadRequest("list robot changes in a namespace (-n): they are kept per namespace")
	}
	opts := store.ChangeListOptions{Namespace: namespace}
	if err := selectChanges(options, &opts); err != nil {
		return nil, err
	}
	changes, err := s.Changes.RobotChanges(ctx, opts)
	if err != nil {
		return nil, statusError(err, "")
	}
	list := &recordsv1alpha1.RobotChangeList{TypeMeta: metav1.TypeMeta{APIVersion: recordsv1alpha1.SchemeGroupVersion.String(), Kind: "RobotChangeList"}}
	for _, c := range changes {
		list.Items = append(list.Items, robotChange(c))
	}
	if opts.Limit > 0 && len(changes) == opts.Limit {
		list.Continue = strconv.FormatInt(changes[len(changes)-1].ID, 10)
	}
	return list, nil
}

func selectChanges(options *metainternalversion.ListOptions, opts *store.ChangeListOptions) error {
	var err error
	if opts.Limit, opts.AfterID, err = fieldselect.IDPage(options, store.MaxListLimit); err != nil {
		return err
	}
	reqs, err := fieldselect.Exact(options)
	if err != nil {
		return err
	}
	for _, req := range reqs {
		switch req.Field {
		case FieldChangedRobot:
			opts.Robot = req.Value
		case FieldFrom:
			opts.From, err = fieldselect.Time(req.Field, req.Value)
		case FieldBefore:
			opts.Before, err = fieldselect.Time(req.Field, req.Value)
		case fieldselect.Namespace:
		default:
			err = fieldselect.Unsupported(req.Field, FieldChangedRobot, FieldFrom, FieldBefore)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func robotChange(c store.RobotChange) recordsv1alpha1.RobotChange {
	name := strconv.FormatInt(c.ID, 10)
	return recordsv1alpha1.RobotChange{
		TypeMeta: metav1.TypeMeta{APIVersion: recordsv1alpha1.SchemeGroupVersion.String(), Kind: "RobotChange"},
		ObjectMeta: metav1.ObjectMeta{Namespace: c.Namespace, Name: name, UID: types.UID("robotchange-" + name),
			CreationTimestamp: metav1.NewTime(c.ObservedAt), ResourceVersion: name},
		RobotName: c.Robot, Action: c.Action, Actor: c.Actor, RobotGeneration: c.Generation, ObservedTime: metav1.NewTime(c.ObservedAt),
	}
}

var changeColumns = []metav1.TableColumnDefinition{
	{Name: "Name", Type: colString, Format: "name"},
	{Name: "Robot", Type: colString},
	{Name: "Action", Type: colString},
	{Name: "Actor", Type: colString},
	{Name: "Seen", Type: colString, Description: "how long ago rpa-server saw the change"},
}

// ConvertToTable is what `kubectl get robotchanges` prints.
func (s *ChangeStorage) ConvertToTable(_ context.Context, obj runtime.Object, _ runtime.Object) (*metav1.Table, error) {
	list, ok := obj.(*recordsv1alpha1.RobotChangeList)
	if !ok {
		return nil, fmt.Errorf("cannot print %T as a table of robot changes", obj)
	}
	table := &metav1.Table{ColumnDefinitions: changeColumns}
	for i := range list.Items {
		c := &list.Items[i]
		table.Rows = append(table.Rows, metav1.TableRow{
			Cells:  []any{c.Name, c.RobotName, c.Action, orNone(c.Actor), duration.HumanDuration(metav1.Now().Sub(c.ObservedTime.Time))},
			Object: runtime.RawExtension{Object: c},
		})
	}
	table.Continue = list.Continue
	return table, nil
}
