package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// WorkItem is one item of a WorkQueue. Its name is its id, a decimal
// number; its creationTimestamp is when it was added.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type WorkItem struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   WorkItemSpec   `json:"spec"`
	Status WorkItemStatus `json:"status,omitempty"`
}

// WorkItemSpec is what was asked of the item when it was added.
type WorkItemSpec struct {
	// Queue is the WorkQueue, in the item's namespace, the item belongs to.
	Queue string `json:"queue"`
	// Reference is the case the item is about (a certificate or case
	// number), at most 256 bytes.
	// +optional
	Reference string `json:"reference,omitempty"`
	// Priority orders the queue: higher first, then the oldest; -1000 to
	// 1000.
	// +optional
	Priority int32 `json:"priority,omitempty"`
	// Payload is what the robot needs: a JSON object of at most 64 KiB.
	Payload runtime.RawExtension `json:"payload"`
	// DeferUntil keeps the item from being taken before then.
	// +optional
	DeferUntil *metav1.Time `json:"deferUntil,omitempty"`
	// Deadline is when the item is due.
	// +optional
	Deadline *metav1.Time `json:"deadline,omitempty"`
}

// WorkItemStatus is where the item is in its life.
type WorkItemStatus struct {
	// State is New, InProgress, Done, BusinessException, Failed or Handled.
	// +optional
	State string `json:"state,omitempty"`
	// Attempts is how many times a robot has taken the item.
	// +optional
	Attempts int32 `json:"attempts,omitempty"`
	// Reason is the last exception's reason or a person's comment.
	// +optional
	Reason string `json:"reason,omitempty"`
	// Output is what the robot reported for the item: a JSON object.
	// +optional
	Output *runtime.RawExtension `json:"output,omitempty"`
	// CreatedBy is the identity that added the item, as the apiserver
	// authenticated it.
	// +optional
	CreatedBy string `json:"createdBy,omitempty"`
	// HeldBy is the run and pod holding the item while it is InProgress.
	// +optional
	HeldBy *ItemHolder `json:"heldBy,omitempty"`
	// UpdateTime is when the item last changed.
	// +optional
	UpdateTime *metav1.Time `json:"updateTime,omitempty"`
	// FinishTime is when the item reached Done, BusinessException, Failed
	// or Handled.
	// +optional
	FinishTime *metav1.Time `json:"finishTime,omitempty"`
}

// ItemHolder is the robot run and pod holding an item.
type ItemHolder struct {
	Run string `json:"run"`
	Pod string `json:"pod"`
}

// WorkItemList is a list of WorkItems.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type WorkItemList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []WorkItem `json:"items"`
}

// WorkItemOutcome is what the robot holding an item reports, posted to
// its done, businessexception or systemexception subresource.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type WorkItemOutcome struct {
	metav1.TypeMeta `json:",inline"`
	// Output is the robot's result for the item: a JSON object.
	// +optional
	Output *runtime.RawExtension `json:"output,omitempty"`
	// Reason says why, for an exception; at most 1 KiB.
	// +optional
	Reason string `json:"reason,omitempty"`
}

// WorkItemDecision is a person's decision on an item waiting for one,
// posted to its retry or handle subresource.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type WorkItemDecision struct {
	metav1.TypeMeta `json:",inline"`
	// Comment says what was done; handle needs one.
	// +optional
	Comment string `json:"comment,omitempty"`
	// Payload replaces the item's payload on retry, when set.
	// +optional
	Payload *runtime.RawExtension `json:"payload,omitempty"`
}

// WorkItemTake asks for the next item of a queue, posted by a robot's pod
// to the queue's take subresource; the answer is the WorkItem it now
// holds.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type WorkItemTake struct {
	metav1.TypeMeta `json:",inline"`
}

// ItemDecision is a person's retry or handling of a work item, kept for
// supervision after the item itself is gone (retention, erasure): who,
// which item of which queue, from which state to which, when. It holds no
// payload and no comment: those are personal data, deleted with the item.
// Its name is a number, in the order the decisions were made.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type ItemDecision struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Queue is the item's WorkQueue.
	Queue string `json:"queue"`
	// Item is the item's id.
	Item string `json:"item"`
	// Action is Retry or Handle.
	Action string `json:"action"`
	// Actor is who decided, as the apiserver authenticated them.
	Actor string `json:"actor"`
	// From and To are the item's states before and after.
	From string `json:"from"`
	To   string `json:"to"`
	// PayloadEdited says a retry changed the payload.
	// +optional
	PayloadEdited bool `json:"payloadEdited,omitempty"`
	// Time is when the decision was made.
	Time metav1.Time `json:"time"`
}

// ItemDecisionList is a page of decisions, oldest first.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type ItemDecisionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ItemDecision `json:"items"`
}
