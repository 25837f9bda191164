package itemsapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/server/fieldselect"
	"github.com/rpa-operator/rpa-operator/internal/workqueue"
	"github.com/rpa-operator/rpa-operator/internal/workqueue/store"
)

// Items is what the API needs of the store.
type Items interface {
	Add(ctx context.Context, q store.Queue, actor string, items []store.NewItem) ([]store.Added, error)
	Take(ctx context.Context, q store.Queue, actor string, holder store.Holder) (*store.Item, error)
	Complete(ctx context.Context, q store.Queue, id int64, actor string, holder store.Holder, outcome store.Outcome) (*store.Item, error)
	Retry(ctx context.Context, q store.Queue, id int64, actor string, payload json.RawMessage, comment string) (*store.Item, error)
	Handle(ctx context.Context, q store.Queue, id int64, actor, comment string) (*store.Item, error)
	Get(ctx context.Context, namespace string, id int64) (*store.Item, error)
	List(ctx context.Context, opts store.ListOptions) ([]store.Item, error)
	Erase(ctx context.Context, namespace string, id int64) (*store.Item, error)
}

// ItemStorage is the workitems resource: get, list, add and erase.
type ItemStorage struct {
	Items Items
	// Cluster reads WorkQueues and pods (rpa-server's cache).
	Cluster client.Reader
}

var (
	_ rest.Storage              = &ItemStorage{}
	_ rest.Scoper               = &ItemStorage{}
	_ rest.SingularNameProvider = &ItemStorage{}
	_ rest.Getter               = &ItemStorage{}
	_ rest.Lister               = &ItemStorage{}
	_ rest.Creater              = &ItemStorage{} //nolint:misspell // the apiserver spells it so
	_ rest.GracefulDeleter      = &ItemStorage{}
)

// New implements the apiserver's REST storage interfaces for ItemStorage.
func (s *ItemStorage) New() runtime.Object { return &queuev1alpha1.WorkItem{} }

// NewList implements the apiserver's REST storage interfaces for ItemStorage.
func (s *ItemStorage) NewList() runtime.Object { return &queuev1alpha1.WorkItemList{} }

// Destroy implements the apiserver's REST storage interfaces for ItemStorage.
func (s *ItemStorage) Destroy() {}

// NamespaceScoped implements the apiserver's REST storage interfaces for ItemStorage.
func (s *ItemStorage) NamespaceScoped() bool { return true }

// GetSingularName implements the apiserver's REST storage interfaces for ItemStorage.
func (s *ItemStorage) GetSingularName() string { return "workitem" }

// ShortNames implements the apiserver's REST storage interfaces for ItemStorage.
func (s *ItemStorage) ShortNames() []string { return []string{"wi"} }

// Categories implements the apiserver's REST storage interfaces for ItemStorage.
func (s *ItemStorage) Categories() []string { return []string{"rpa"} }

// Get returns the item named by its id.
func (s *ItemStorage) Get(ctx context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	namespace, _ := request.NamespaceFrom(ctx)
	id, ok := itemID(name)
	if !ok {
		return nil, apierrors.NewNotFound(workItemsResource, name)
	}
	it, err := s.Items.Get(ctx, namespace, id)
	if err != nil {
		return nil, statusError(err, name)
	}
	return workItem(it), nil
}

// List returns the namespace's items, by field selector spec.queue and
// status.state (exact matches), paged by limit and continue.
func (s *ItemStorage) List(ctx context.Context, options *metainternalversion.ListOptions) (runtime.Object, error) {
	namespace, ok := request.NamespaceFrom(ctx)
	if !ok || namespace == "" {
		return nil, apierrors.NewBadRequest("list work items in a namespace (-n): they are kept per namespace")
	}
	opts := store.ListOptions{Namespace: namespace}
	if err := selectItems(options, &opts); err != nil {
		return nil, err
	}
	items, err := s.Items.List(ctx, opts)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	list := &queuev1alpha1.WorkItemList{TypeMeta: metav1.TypeMeta{APIVersion: queuev1alpha1.SchemeGroupVersion.String(), Kind: "WorkItemList"}}
	for i := range items {
		list.Items = append(list.Items, *workItem(&items[i]))
	}
	if opts.Limit > 0 && len(items) == opts.Limit {
		list.Continue = strconv.FormatInt(items[len(items)-1].ID, 10)
	}
	return list, nil
}

// statesList is the states, for an error message.
func statesList() string {
	names := make([]string, len(workqueue.States))
	for i, s := range workqueue.States {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// selectItems turns the list options into the store's.
func selectItems(options *metainternalversion.ListOptions, opts *store.ListOptions) error {
	var err error
	if opts.Limit, opts.AfterID, err = fieldselect.IDPage(options, store.MaxListLimit); err != nil {
		return err
	}
	if options == nil || options.FieldSelector == nil {
		return nil
	}
	for _, req := range options.FieldSelector.Requirements() {
		if req.Operator != "=" && req.Operator != "==" {
			return apierrors.NewBadRequest(fmt.Sprintf("field selector %s: only = is supported", req.Field))
		}
		switch req.Field {
		case FieldQueue:
			opts.Queue = req.Value
		case FieldState:
			// An unknown state would list nothing, which reads as "none".
			if !slices.Contains(workqueue.States, workqueue.State(req.Value)) {
				return apierrors.NewBadRequest(fmt.Sprintf("field selector %s=%s: the states are %s", FieldState, req.Value, statesList()))
			}
			opts.States = append(opts.States, workqueue.State(req.Value))
		case FieldReference:
			opts.Reference = req.Value
		case FieldRun:
			opts.Run = req.Value
		case fieldselect.Namespace:
		default:
			return apierrors.NewBadRequest(fmt.Sprintf("field selector %s is not supported: use %s, %s, %s or %s",
				req.Field, FieldQueue, FieldState, FieldReference, FieldRun))
		}
	}
	return nil
}

// Create adds an item, as the caller. A robot pod may add only to the
// queues its Robot may use. Adding a reference a queue with unique
// references has seen returns the existing item, marked with the
// annotation queue.rpa.dev/existing.
func (s *ItemStorage) Create(ctx context.Context, obj runtime.Object, validate rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	wi, ok := obj.(*queuev1alpha1.WorkItem)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a WorkItem: %T", obj))
	}
	if validate != nil {
		if err := validate(ctx, obj); err != nil {
			return nil, err
		}
	}
	if wi.Spec.Queue == "" {
		return nil, apierrors.NewBadRequest("spec.queue is required: the name of the WorkQueue the item goes to")
	}
	if len(wi.Spec.Payload.Raw) == 0 || string(wi.Spec.Payload.Raw) == "null" {
		return nil, apierrors.NewBadRequest(`spec.payload is required: a JSON object, {} at least`)
	}
	namespace, _ := request.NamespaceFrom(ctx)
	who, err := callerOf(ctx, s.Cluster)
	if err != nil {
		return nil, err
	}
	q, err := queueFor(ctx, s.Cluster, who, namespace, wi.Spec.Queue)
	if err != nil {
		return nil, err
	}
	item := store.NewItem{Reference: wi.Spec.Reference, Priority: wi.Spec.Priority, Payload: wi.Spec.Payload.Raw,
		DeferUntil: timeOf(wi.Spec.DeferUntil), Deadline: timeOf(wi.Spec.Deadline)}
	if len(options.DryRun) > 0 {
		return dryRunAdd(wi, item)
	}
	added, err := s.Items.Add(ctx, q, who.name, []store.NewItem{item})
	if err != nil {
		return nil, statusError(err, "")
	}
	return addedItem(added[0])
}

// Delete erases the item now, with its payload and history: a person
// erasing a citizen's data before retention would (RBAC: delete
// workitems, the editor's). kube-apiserver's audit log records who did.
func (s *ItemStorage) Delete(ctx context.Context, name string, validate rest.ValidateObjectFunc, options *metav1.DeleteOptions) (runtime.Object, bool, error) {
	namespace, _ := request.NamespaceFrom(ctx)
	id, ok := itemID(name)
	if !ok {
		return nil, false, apierrors.NewNotFound(workItemsResource, name)
	}
	it, err := s.Items.Get(ctx, namespace, id)
	if err != nil {
		return nil, false, statusError(err, name)
	}
	if validate != nil {
		if err := validate(ctx, workItem(it)); err != nil {
			return nil, false, err
		}
	}
	if options != nil && len(options.DryRun) > 0 {
		return workItem(it), true, nil
	}
	erased, err := s.Items.Erase(ctx, namespace, id)
	if err != nil {
		return nil, false, statusError(err, name)
	}
	log.FromContext(ctx).Info("work item erased", "namespace", namespace, "item", id, "queue", erased.Queue)
	return workItem(erased), true, nil
}

func dryRunAdd(wi *queuev1alpha1.WorkItem, item store.NewItem) (runtime.Object, error) {
	if err := workqueue.CheckDocument("payload", item.Payload); err != nil {
		return nil, statusError(err, "")
	}
	if err := workqueue.CheckReference(item.Reference); err != nil {
		return nil, statusError(err, "")
	}
	if err := workqueue.CheckPriority(item.Priority); err != nil {
		return nil, statusError(err, "")
	}
	return wi, nil
}

// addedItem is the API's answer to an add.
func addedItem(a store.Added) (runtime.Object, error) {
	if a.Existing && a.Item == nil {
		return nil, apierrors.NewAlreadyExists(workItemsResource, strconv.FormatInt(a.ExistingID, 10))
	}
	wi := workItem(a.Item)
	if a.Existing {
		wi.Annotations = map[string]string{queuev1alpha1.AnnotationExisting: "true"}
	}
	return wi, nil
}

func timeOf(t *metav1.Time) *time.Time {
	if t == nil {
		return nil
	}
	return &t.Time
}

// statusError maps the store's errors to the API's: what a client can act
// on, never the database's own message.
func statusError(err error, name string) error {
	var invalid *store.InvalidItemError
	switch {
	case errors.As(err, &invalid), errors.Is(err, workqueue.ErrInvalidItem):
		return apierrors.NewBadRequest(err.Error())
	case errors.Is(err, store.ErrNotFound):
		return apierrors.NewNotFound(workItemsResource, name)
	case errors.Is(err, store.ErrNotHolder), errors.Is(err, store.ErrHeld), errors.Is(err, workqueue.ErrIllegalTransition):
		return apierrors.NewConflict(workItemsResource, name, err)
	}
	log.Log.WithName("itemsapi").Error(err, "work-item request failed")
	return apierrors.NewInternalError(errors.New("the work-item database failed; see rpa-server's log"))
}
