package itemsapi

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

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/server/fieldselect"
	"github.com/rpa-operator/rpa-operator/internal/workqueue/store"
)

// Field selectors of the kept decisions besides FieldQueue.
const (
	FieldFrom   = "from"
	FieldBefore = "before"
)

// Decisions is what the itemdecisions resource reads of the store.
type Decisions interface {
	Decisions(ctx context.Context, o store.DecisionListOptions) ([]store.Decision, error)
}

// KeptDecisionStorage is the itemdecisions resource: people's retries and
// handlings as kept for supervision, list only.
type KeptDecisionStorage struct{ Decisions Decisions }

var (
	_ rest.Storage              = &KeptDecisionStorage{}
	_ rest.Scoper               = &KeptDecisionStorage{}
	_ rest.SingularNameProvider = &KeptDecisionStorage{}
	_ rest.Lister               = &KeptDecisionStorage{}
)

// New implements the apiserver's REST storage interfaces for KeptDecisionStorage.
func (s *KeptDecisionStorage) New() runtime.Object { return &queuev1alpha1.ItemDecision{} }

// NewList implements the apiserver's REST storage interfaces for KeptDecisionStorage.
func (s *KeptDecisionStorage) NewList() runtime.Object { return &queuev1alpha1.ItemDecisionList{} }

// Destroy implements the apiserver's REST storage interfaces for KeptDecisionStorage.
func (s *KeptDecisionStorage) Destroy() {}

// NamespaceScoped implements the apiserver's REST storage interfaces for KeptDecisionStorage.
func (s *KeptDecisionStorage) NamespaceScoped() bool { return true }

// GetSingularName implements the apiserver's REST storage interfaces for KeptDecisionStorage.
func (s *KeptDecisionStorage) GetSingularName() string { return "itemdecision" }

// List returns the namespace's decisions, oldest first, by queue and
// period, paged.
func (s *KeptDecisionStorage) List(ctx context.Context, options *metainternalversion.ListOptions) (runtime.Object, error) {
	namespace, ok := request.NamespaceFrom(ctx)
	if !ok || namespace == "" {
		return nil, apierrors.NewBadRequest("list item decisions in a namespace (-n): they are kept per namespace")
	}
	opts := store.DecisionListOptions{Namespace: namespace}
	if err := selectDecisions(options, &opts); err != nil {
		return nil, err
	}
	decisions, err := s.Decisions.Decisions(ctx, opts)
	if err != nil {
		return nil, statusError(err, "")
	}
	list := &queuev1alpha1.ItemDecisionList{TypeMeta: metav1.TypeMeta{APIVersion: queuev1alpha1.SchemeGroupVersion.String(), Kind: "ItemDecisionList"}}
	for _, d := range decisions {
		list.Items = append(list.Items, keptDecision(d))
	}
	if opts.Limit > 0 && len(decisions) == opts.Limit {
		list.Continue = strconv.FormatInt(decisions[len(decisions)-1].ID, 10)
	}
	return list, nil
}

func selectDecisions(options *metainternalversion.ListOptions, opts *store.DecisionListOptions) error {
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
		case FieldQueue:
			opts.Queue = req.Value
		case FieldFrom:
			opts.From, err = fieldselect.Time(req.Field, req.Value)
		case FieldBefore:
			opts.Before, err = fieldselect.Time(req.Field, req.Value)
		case fieldselect.Namespace:
		default:
			err = fieldselect.Unsupported(req.Field, FieldQueue, FieldFrom, FieldBefore)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func keptDecision(d store.Decision) queuev1alpha1.ItemDecision {
	name := strconv.FormatInt(d.ID, 10)
	return queuev1alpha1.ItemDecision{
		TypeMeta: metav1.TypeMeta{APIVersion: queuev1alpha1.SchemeGroupVersion.String(), Kind: "ItemDecision"},
		ObjectMeta: metav1.ObjectMeta{Namespace: d.Namespace, Name: name, UID: types.UID("itemdecision-" + name),
			CreationTimestamp: metav1.NewTime(d.At), ResourceVersion: name},
		Queue: d.Queue, Item: strconv.FormatInt(d.ItemID, 10), Action: d.Action, Actor: d.Actor, From: d.From, To: d.To,
		PayloadEdited: d.PayloadEdited, Time: metav1.NewTime(d.At),
	}
}

var decisionColumns = []metav1.TableColumnDefinition{
	{Name: "Name", Type: colString, Format: "name"},
	{Name: "Queue", Type: colString},
	{Name: "Item", Type: colString},
	{Name: "Action", Type: colString},
	{Name: "Actor", Type: colString},
	{Name: "From", Type: colString},
	{Name: "To", Type: colString},
	{Name: "Age", Type: colString},
}

// ConvertToTable is what `kubectl get itemdecisions` prints.
func (s *KeptDecisionStorage) ConvertToTable(_ context.Context, obj runtime.Object, _ runtime.Object) (*metav1.Table, error) {
	list, ok := obj.(*queuev1alpha1.ItemDecisionList)
	if !ok {
		return nil, fmt.Errorf("cannot print %T as a table of item decisions", obj)
	}
	table := &metav1.Table{ColumnDefinitions: decisionColumns}
	for i := range list.Items {
		d := &list.Items[i]
		table.Rows = append(table.Rows, metav1.TableRow{
			Cells:  []any{d.Name, d.Queue, d.Item, d.Action, d.Actor, d.From, d.To, duration.HumanDuration(metav1.Now().Sub(d.Time.Time))},
			Object: runtime.RawExtension{Object: d},
		})
	}
	table.Continue = list.Continue
	return table, nil
}
