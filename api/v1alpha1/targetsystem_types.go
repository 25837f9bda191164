package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// TargetSystemSpec declares a system robots share, such as a municipality's
// ESDH or SBSYS instance, and how many runs may work against it at once.
type TargetSystemSpec struct {
	// Description says what the system is, for people.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Description string `json:"description,omitempty"`

	// MaxConcurrentRuns is how many runs, of all robots in all namespaces
	// that name this system, may execute at once. 0 lets no new run start
	// (for a maintenance window). Lowering it never stops running robots;
	// it only delays new ones.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=10000
	MaxConcurrentRuns int32 `json:"maxConcurrentRuns"`

	// MaxConcurrentRunsPerNamespace caps how many of those runs one
	// namespace may have at once, so that one department's batch cannot
	// take every slot of a system all departments share. Unset: no cap
	// below maxConcurrentRuns.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10000
	MaxConcurrentRunsPerNamespace *int32 `json:"maxConcurrentRunsPerNamespace,omitempty"`

	// NamespaceSelector says whose robots may use the system: those in
	// namespaces whose labels match. Unset: every namespace's. A run of
	// another namespace waits, Pending with reason TargetSystemNotAllowed,
	// and its Robot is not Ready. To list namespaces by name, match the
	// label kubernetes.io/metadata.name. Runs holding a slot keep it when
	// the selector changes.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!has(self.matchExpressions) || self.matchExpressions.all(e, e.operator in ['In', 'NotIn', 'Exists', 'DoesNotExist'])",message="namespaceSelector: an expression's operator is In, NotIn, Exists or DoesNotExist"
	// +kubebuilder:validation:XValidation:rule="!has(self.matchExpressions) || self.matchExpressions.all(e, (e.operator in ['In', 'NotIn']) == (has(e.values) && size(e.values) > 0))",message="namespaceSelector: In and NotIn need values; Exists and DoesNotExist take none"
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`
}

// AllowsNamespace reports whether runs of a namespace with these labels
// may use the system. A selector that does not parse allows none: the
// schema admits only well-formed ones, so this is a corrupt object.
func (s *TargetSystemSpec) AllowsNamespace(namespaceLabels map[string]string) bool {
	if s.NamespaceSelector == nil {
		return true
	}
	selector, err := metav1.LabelSelectorAsSelector(s.NamespaceSelector)
	return err == nil && selector.Matches(labels.Set(namespaceLabels))
}

// NamespaceShare is how many slots one namespace may hold at once.
func (s *TargetSystemSpec) NamespaceShare() int {
	if s.MaxConcurrentRunsPerNamespace == nil {
		return int(s.MaxConcurrentRuns)
	}
	return int(min(*s.MaxConcurrentRunsPerNamespace, s.MaxConcurrentRuns))
}

// SlotHolder is a run holding one of a TargetSystem's slots.
type SlotHolder struct {
	// Namespace and Name are the run's.
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// UID is the run's: a run deleted and created again under the same
	// name does not inherit the slot.
	UID string `json:"uid"`
	// Priority is the run's effective priority.
	// +optional
	Priority int32 `json:"priority,omitempty"`
	// Since is when the run took the slot.
	Since metav1.Time `json:"since"`
}

// TargetSystemStatus is the ledger of the system's slots. The operator
// admits a run by adding it to Holders with an optimistic-concurrency write,
// so that concurrent reconciles, restarts and leader changes can never admit
// more runs than MaxConcurrentRuns.
type TargetSystemStatus struct {
	// ObservedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Holders are the runs holding a slot.
	// +optional
	// +listType=map
	// +listMapKey=uid
	Holders []SlotHolder `json:"holders,omitempty"`

	// Active is how many runs hold a slot.
	// +optional
	Active int32 `json:"active"`

	// Waiting is how many runs wait for a slot.
	// +optional
	Waiting int32 `json:"waiting"`

	// Conditions: Ready is True while the ledger is current.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=ts,categories=rpa
// +kubebuilder:printcolumn:name="Max",type=integer,JSONPath=`.spec.maxConcurrentRuns`
// +kubebuilder:printcolumn:name="Per-Namespace",type=integer,JSONPath=`.spec.maxConcurrentRunsPerNamespace`,priority=1
// +kubebuilder:printcolumn:name="Active",type=integer,JSONPath=`.status.active`
// +kubebuilder:printcolumn:name="Waiting",type=integer,JSONPath=`.status.waiting`
// +kubebuilder:printcolumn:name="Description",type=string,JSONPath=`.spec.description`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// TargetSystem is a system many robots share, with a limit on how many of
// their runs may work against it at once.
type TargetSystem struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   TargetSystemSpec   `json:"spec"`
	Status TargetSystemStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// TargetSystemList is a list of TargetSystems.
type TargetSystemList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TargetSystem `json:"items"`
}
