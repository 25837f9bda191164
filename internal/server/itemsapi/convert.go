package itemsapi

import (
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/workqueue/store"
)

// workItem is the API's view of a stored item: named by its id.
func workItem(it *store.Item) *queuev1alpha1.WorkItem {
	wi := &queuev1alpha1.WorkItem{
		TypeMeta: metav1.TypeMeta{APIVersion: queuev1alpha1.SchemeGroupVersion.String(), Kind: "WorkItem"},
		ObjectMeta: metav1.ObjectMeta{
			Namespace: it.Namespace, Name: strconv.FormatInt(it.ID, 10),
			UID:               types.UID("workitem-" + strconv.FormatInt(it.ID, 10)),
			CreationTimestamp: metav1.NewTime(it.CreatedAt),
			ResourceVersion:   strconv.FormatInt(it.UpdatedAt.UnixMicro(), 10),
		},
		Spec: queuev1alpha1.WorkItemSpec{
			Queue: it.Queue, Reference: it.Reference, Priority: it.Priority,
			Payload:    runtime.RawExtension{Raw: it.Payload},
			DeferUntil: metaTime(it.DeferUntil), Deadline: metaTime(it.Deadline),
		},
		Status: queuev1alpha1.WorkItemStatus{
			State: string(it.State), Attempts: int32(it.Attempts), Reason: it.Reason, CreatedBy: it.CreatedBy,
			UpdateTime: &metav1.Time{Time: it.UpdatedAt}, FinishTime: metaTime(it.FinishedAt),
		},
	}
	if it.Output != nil {
		wi.Status.Output = &runtime.RawExtension{Raw: it.Output}
	}
	if it.Holder != nil {
		wi.Status.HeldBy = &queuev1alpha1.ItemHolder{Run: it.Holder.Run, Pod: it.Holder.Pod}
	}
	return wi
}

func metaTime(t *time.Time) *metav1.Time {
	if t == nil {
		return nil
	}
	return &metav1.Time{Time: *t}
}

// itemID parses an item's name.
func itemID(name string) (int64, bool) {
	id, err := strconv.ParseInt(name, 10, 64)
	return id, err == nil && id > 0
}
