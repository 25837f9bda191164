package v1alpha1

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// WorkQueueSpec declares a queue of work items that robots take one at a
// time (docs/work-queues.md). The items live in PostgreSQL, behind
// rpa-server; this object is the queue's policy and its status.
type WorkQueueSpec struct {
	// Description says what the items are, for people.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Description string `json:"description,omitempty"`

	// MaxAttempts is how many times an item is taken before a system
	// exception fails it (a robot pod that stops while holding an item
	// counts as an attempt).
	// +optional
	// +kubebuilder:default=3
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	MaxAttempts int32 `json:"maxAttempts,omitempty"`

	// UniqueReferences makes adding an item whose reference the queue has
	// seen return the item that has it instead of adding another, also
	// after retention deleted that item. It cannot be changed once set.
	// +optional
	// +kubebuilder:default=false
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="uniqueReferences cannot be changed; create a new queue"
	UniqueReferences bool `json:"uniqueReferences,omitempty"`

	// Retention is how long finished items (Done, Failed, Handled, and
	// BusinessException) are kept, with their payload, output and history,
	// after they finished. Payloads hold personal data: keep it as short
	// as the municipality's rules allow.
	// +optional
	// +kubebuilder:default="720h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1m') && duration(self) <= duration('87600h')",message="retention is a duration from 1m to 87600h (ten years), such as 720h for 30 days: Go durations have no d unit"
	Retention *metav1.Duration `json:"retention,omitempty"`

	// SLA is how long an item may wait, from when it was added, before it
	// is overdue; with a calendar, only the time on its open days counts.
	// Unset: no item is ever overdue.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1m') && duration(self) <= duration('8760h')",message="sla is a duration from 1m to 8760h (a year), such as 48h for two days: Go durations have no d unit"
	SLA *metav1.Duration `json:"sla,omitempty"`

	// Calendar names a RobotCalendar in the queue's namespace: the SLA
	// counts only its open days (an item added on Friday afternoon with a
	// 24h SLA is due on Monday afternoon), and the trigger starts no runs
	// on its closed days.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Calendar string `json:"calendar,omitempty"`

	// Suspend stops the queue's trigger from starting runs; items can
	// still be added, and runs already started go on taking them.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// Trigger starts runs of a robot while items wait.
	// +optional
	Trigger *WorkQueueTrigger `json:"trigger,omitempty"`

	// Robots are the Robots, in the queue's namespace, whose pods may take
	// items from the queue and add items to it, besides the trigger's
	// robot (a producer robot that fills the queue, say). People add and
	// decide items as RBAC allows them.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=253
	Robots []string `json:"robots,omitempty"`
}

// AllowsRobot reports whether pods of the robot may take and add items.
func (s *WorkQueueSpec) AllowsRobot(robot string) bool {
	return slices.Contains(s.RobotNames(), robot)
}

// RobotNames are the Robots that may use the queue: the trigger's and
// those in spec.robots, each once.
func (s *WorkQueueSpec) RobotNames() []string {
	var names []string
	if s.Trigger != nil && s.Trigger.RobotName != "" {
		names = append(names, s.Trigger.RobotName)
	}
	for _, r := range s.Robots {
		if !slices.Contains(names, r) {
			names = append(names, r)
		}
	}
	return names
}

// WorkQueueTrigger says which robot's runs take a queue's items, and how
// many to start: one for every itemsPerRun items waiting, once at least
// minItems wait, up to maxConcurrentRuns. A run takes items until the
// queue is empty, so a busy queue keeps its runs and an idle one has none.
type WorkQueueTrigger struct {
	// RobotName is the Robot, in the queue's namespace, to start. Its
	// concurrency policy, TargetSystems and credentials still apply: under
	// any policy but Allow at most one run is started at a time.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	RobotName string `json:"robotName"`

	// MinItems is how many items must wait before a run starts.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100000
	MinItems int32 `json:"minItems,omitempty"`

	// MaxConcurrentRuns is the most runs the trigger has going at once.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	MaxConcurrentRuns int32 `json:"maxConcurrentRuns,omitempty"`

	// ItemsPerRun is how many waiting items call for one more run.
	// +optional
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100000
	ItemsPerRun int32 `json:"itemsPerRun,omitempty"`

	// Arguments for the runs, merged over the robot's parameter defaults.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^[A-Za-z_][A-Za-z0-9_]*$') && size(k) <= 63)",message="argument names are identifiers of at most 63 characters (letters, digits, underscores)"
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(self[k]) <= 4096)",message="an argument value is at most 4096 characters"
	Arguments map[string]string `json:"arguments,omitempty"`
}

// WorkQueueStatus reports the queue's items, as rpa-server counts them in
// its database.
type WorkQueueStatus struct {
	// ObservedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Items counts the queue's items by state.
	// +optional
	Items WorkQueueCounts `json:"items,omitempty"`

	// OldestNewTime is when the oldest item waiting to be taken was added.
	// +optional
	OldestNewTime *metav1.Time `json:"oldestNewTime,omitempty"`

	// Overdue is how many items not finished were added longer than the
	// SLA ago.
	// +optional
	Overdue int64 `json:"overdue"`

	// TriggeredRuns is how many runs the trigger started that have not
	// finished (written by the manager).
	// +optional
	TriggeredRuns int32 `json:"triggeredRuns"`

	// Conditions: Ready is True while rpa-server reaches the queue's items
	// (False with reason DatabaseUnavailable otherwise), with Stalled as
	// kstatus reads it; Triggering, written by the manager, says whether
	// the trigger can start runs (False: RobotNotFound, RobotSuspended,
	// QueueSuspended).
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// WorkQueueCounts are a queue's items by state.
type WorkQueueCounts struct {
	// +optional
	New int64 `json:"new"`
	// +optional
	InProgress int64 `json:"inProgress"`
	// +optional
	Done int64 `json:"done"`
	// +optional
	BusinessException int64 `json:"businessException"`
	// +optional
	Failed int64 `json:"failed"`
	// +optional
	Handled int64 `json:"handled"`
}

// WorkQueue is a queue of work items robots take one at a time.
//
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 63",message="a WorkQueue's name is at most 63 characters: it labels the runs its trigger starts"
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=wq,categories=rpa
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="New",type=integer,JSONPath=`.status.items.new`
// +kubebuilder:printcolumn:name="In Progress",type=integer,JSONPath=`.status.items.inProgress`
// +kubebuilder:printcolumn:name="Exceptions",type=integer,JSONPath=`.status.items.businessException`
// +kubebuilder:printcolumn:name="Failed",type=integer,JSONPath=`.status.items.failed`
// +kubebuilder:printcolumn:name="Overdue",type=integer,JSONPath=`.status.overdue`
// +kubebuilder:printcolumn:name="Runs",type=integer,JSONPath=`.status.triggeredRuns`
// +kubebuilder:printcolumn:name="Oldest New",type=date,JSONPath=`.status.oldestNewTime`
// +kubebuilder:printcolumn:name="Done",type=integer,JSONPath=`.status.items.done`,priority=1
// +kubebuilder:printcolumn:name="Description",type=string,JSONPath=`.spec.description`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type WorkQueue struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   WorkQueueSpec   `json:"spec,omitempty"`
	Status WorkQueueStatus `json:"status,omitempty"`
}

// WorkQueueList is a list of WorkQueues.
//
// +kubebuilder:object:root=true
type WorkQueueList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []WorkQueue `json:"items"`
}
