package itemsapi

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/workqueue"
	"github.com/rpa-operator/rpa-operator/internal/workqueue/store"
)

// OutcomeStorage is a subresource a robot posts an item's outcome to:
// workitems/done, workitems/businessexception, workitems/systemexception.
// Only the pod holding the item may.
type OutcomeStorage struct {
	Items   Items
	Cluster client.Reader
	Action  workqueue.Action
}

var (
	_ rest.NamedCreater    = &OutcomeStorage{}
	_ rest.StorageMetadata = &OutcomeStorage{}
)

// New implements the apiserver's REST storage interfaces for OutcomeStorage.
func (s *OutcomeStorage) New() runtime.Object { return &queuev1alpha1.WorkItemOutcome{} }

// Destroy implements the apiserver's REST storage interfaces for OutcomeStorage.
func (s *OutcomeStorage) Destroy() {}

// NamespaceScoped implements the apiserver's REST storage interfaces for OutcomeStorage.
func (s *OutcomeStorage) NamespaceScoped() bool { return true }

// ProducesMIMETypes and ProducesObject document that the answer is the item.
func (s *OutcomeStorage) ProducesMIMETypes(string) []string { return nil }

// ProducesObject implements the apiserver's REST storage interfaces for OutcomeStorage.
func (s *OutcomeStorage) ProducesObject(string) any { return queuev1alpha1.WorkItem{} }

// Create records the outcome of item name for the calling pod.
func (s *OutcomeStorage) Create(ctx context.Context, name string, obj runtime.Object, validate rest.ValidateObjectFunc,
	options *metav1.CreateOptions) (runtime.Object, error) {
	body, ok := obj.(*queuev1alpha1.WorkItemOutcome)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a WorkItemOutcome: %T", obj))
	}
	who, err := callerOf(ctx, s.Cluster)
	if err != nil {
		return nil, err
	}
	if who.pod == nil {
		return nil, apierrors.NewForbidden(workItemsResource, name, fmt.Errorf(
			"only the robot pod holding an item reports its outcome; people retry or handle items"))
	}
	q, id, err := s.queueOfItem(ctx, who, name)
	if err != nil {
		return nil, err
	}
	outcome := store.Outcome{Action: s.Action, Reason: body.Reason}
	if body.Output != nil {
		outcome.Output = body.Output.Raw
	}
	if len(options.DryRun) > 0 {
		return nil, apierrors.NewBadRequest("an item's outcome cannot be dry-run")
	}
	it, err := s.Items.Complete(ctx, q, id, who.name, who.holder(), outcome)
	if err != nil {
		return nil, statusError(err, name)
	}
	return workItem(it), nil
}

func (s *OutcomeStorage) queueOfItem(ctx context.Context, who caller, name string) (store.Queue, int64, error) {
	return queueOfItem(ctx, s.Items, s.Cluster, who, name)
}

// queueOfItem finds the item's queue and checks the caller may use it.
func queueOfItem(ctx context.Context, items Items, cluster client.Reader, who caller, name string) (store.Queue, int64, error) {
	namespace, _ := request.NamespaceFrom(ctx)
	id, ok := itemID(name)
	if !ok {
		return store.Queue{}, 0, apierrors.NewNotFound(workItemsResource, name)
	}
	it, err := items.Get(ctx, namespace, id)
	if err != nil {
		return store.Queue{}, 0, statusError(err, name)
	}
	q, err := queueFor(ctx, cluster, who, namespace, it.Queue)
	return q, id, err
}

// DecisionStorage is a subresource a person posts a decision on an item
// waiting for one to: workitems/retry, workitems/handle.
type DecisionStorage struct {
	Items   Items
	Cluster client.Reader
	Action  workqueue.Action
}

var (
	_ rest.NamedCreater    = &DecisionStorage{}
	_ rest.StorageMetadata = &DecisionStorage{}
)

// New implements the apiserver's REST storage interfaces for DecisionStorage.
func (s *DecisionStorage) New() runtime.Object { return &queuev1alpha1.WorkItemDecision{} }

// Destroy implements the apiserver's REST storage interfaces for DecisionStorage.
func (s *DecisionStorage) Destroy() {}

// NamespaceScoped implements the apiserver's REST storage interfaces for DecisionStorage.
func (s *DecisionStorage) NamespaceScoped() bool { return true }

// ProducesMIMETypes implements the apiserver's REST storage interfaces for DecisionStorage.
func (s *DecisionStorage) ProducesMIMETypes(string) []string { return nil }

// ProducesObject implements the apiserver's REST storage interfaces for DecisionStorage.
func (s *DecisionStorage) ProducesObject(string) any { return queuev1alpha1.WorkItem{} }

// Create retries or handles item name, as the caller.
func (s *DecisionStorage) Create(ctx context.Context, name string, obj runtime.Object, validate rest.ValidateObjectFunc,
	options *metav1.CreateOptions) (runtime.Object, error) {
	body, ok := obj.(*queuev1alpha1.WorkItemDecision)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a WorkItemDecision: %T", obj))
	}
	who, err := callerOf(ctx, s.Cluster)
	if err != nil {
		return nil, err
	}
	q, id, err := queueOfItem(ctx, s.Items, s.Cluster, who, name)
	if err != nil {
		return nil, err
	}
	if len(options.DryRun) > 0 {
		return nil, apierrors.NewBadRequest("a decision cannot be dry-run")
	}
	var it *store.Item
	switch s.Action {
	case workqueue.ActionRetry:
		var payload []byte
		if body.Payload != nil {
			payload = body.Payload.Raw
		}
		it, err = s.Items.Retry(ctx, q, id, who.name, payload, body.Comment)
	default:
		it, err = s.Items.Handle(ctx, q, id, who.name, body.Comment)
	}
	if err != nil {
		return nil, statusError(err, name)
	}
	return workItem(it), nil
}

// QueueStorage is the queues resource, there only to carry the take
// subresource: `POST namespaces/<ns>/queues/<queue>/take`, which RBAC can
// grant per queue (resourceNames). The queues themselves are WorkQueues.
type QueueStorage struct{}

// New implements the apiserver's REST storage interfaces for QueueStorage.
func (QueueStorage) New() runtime.Object { return &queuev1alpha1.WorkItemTake{} }

// Destroy implements the apiserver's REST storage interfaces for QueueStorage.
func (QueueStorage) Destroy() {}

// NamespaceScoped implements the apiserver's REST storage interfaces for QueueStorage.
func (QueueStorage) NamespaceScoped() bool { return true }

// GetSingularName implements the apiserver's REST storage interfaces for QueueStorage.
func (QueueStorage) GetSingularName() string { return "queue" }

// TakeStorage is queues/take: a robot pod takes the queue's next item.
type TakeStorage struct {
	Items   Items
	Cluster client.Reader
}

var (
	_ rest.NamedCreater    = &TakeStorage{}
	_ rest.StorageMetadata = &TakeStorage{}
)

// New implements the apiserver's REST storage interfaces for TakeStorage.
func (s *TakeStorage) New() runtime.Object { return &queuev1alpha1.WorkItemTake{} }

// Destroy implements the apiserver's REST storage interfaces for TakeStorage.
func (s *TakeStorage) Destroy() {}

// NamespaceScoped implements the apiserver's REST storage interfaces for TakeStorage.
func (s *TakeStorage) NamespaceScoped() bool { return true }

// ProducesMIMETypes implements the apiserver's REST storage interfaces for TakeStorage.
func (s *TakeStorage) ProducesMIMETypes(string) []string { return nil }

// ProducesObject implements the apiserver's REST storage interfaces for TakeStorage.
func (s *TakeStorage) ProducesObject(string) any { return queuev1alpha1.WorkItem{} }

// Create gives the calling pod the next item of queue name. With none
// waiting the answer is NotFound for workitems (the queue exists).
func (s *TakeStorage) Create(ctx context.Context, name string, _ runtime.Object, _ rest.ValidateObjectFunc,
	options *metav1.CreateOptions) (runtime.Object, error) {
	who, err := callerOf(ctx, s.Cluster)
	if err != nil {
		return nil, err
	}
	if who.pod == nil {
		return nil, apierrors.NewForbidden(queuesResource, name, fmt.Errorf("only a robot run's pod takes items"))
	}
	namespace, _ := request.NamespaceFrom(ctx)
	q, err := queueFor(ctx, s.Cluster, who, namespace, name)
	if err != nil {
		return nil, err
	}
	if len(options.DryRun) > 0 {
		return nil, apierrors.NewBadRequest("taking an item cannot be dry-run")
	}
	it, err := s.Items.Take(ctx, q, who.name, who.holder())
	if err != nil {
		return nil, statusError(err, name)
	}
	if it == nil {
		return nil, &apierrors.StatusError{ErrStatus: metav1.Status{
			Status: metav1.StatusFailure, Code: 404, Reason: metav1.StatusReasonNotFound,
			Details: &metav1.StatusDetails{Group: workItemsResource.Group, Kind: workItemsResource.Resource, Name: name},
			Message: fmt.Sprintf("no item of queue %s waits", name),
		}}
	}
	return workItem(it), nil
}
