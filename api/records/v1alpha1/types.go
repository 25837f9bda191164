package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// RunRecord is what a finished RobotRun was. Its name is the run's name,
// its uid the run's UID, its creationTimestamp when the run was created;
// a run name used again (a run deleted and created anew) is found by name
// as its newest record. Its logs are the subresource log.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type RunRecord struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   RunRecordSpec   `json:"spec"`
	Status RunRecordStatus `json:"status,omitempty"`
}

// RunRecordSpec is what was asked for, and by whom.
type RunRecordSpec struct {
	// RobotName is the Robot the run ran.
	RobotName string `json:"robotName"`
	// Trigger is what started the run.
	Trigger RecordedTrigger `json:"trigger"`
	// RequestedBy is who created the run, as the apiserver authenticated
	// them (a person, or the operator's ServiceAccount for scheduled and
	// queue-triggered runs).
	// +optional
	RequestedBy string `json:"requestedBy,omitempty"`
	// CancelledBy is who cancelled it, if anyone did.
	// +optional
	CancelledBy string `json:"cancelledBy,omitempty"`
	// Arguments are the run's arguments.
	// +optional
	Arguments map[string]string `json:"arguments,omitempty"`
}

// RecordedTrigger is what started a run.
type RecordedTrigger struct {
	// Type is Manual, Schedule, API or Queue.
	Type string `json:"type"`
	// Schedule is the robot's schedule that created the run.
	// +optional
	Schedule string `json:"schedule,omitempty"`
	// ScheduledTime is the instant the schedule fired for.
	// +optional
	ScheduledTime *metav1.Time `json:"scheduledTime,omitempty"`
	// Queue is the WorkQueue whose trigger started the run.
	// +optional
	Queue string `json:"queue,omitempty"`
}

// RunRecordStatus is how the run went, with what.
type RunRecordStatus struct {
	// Phase is how the run ended: Succeeded, Failed, TimedOut or Cancelled.
	Phase string `json:"phase"`
	// Reason is the run's Succeeded condition's reason.
	// +optional
	Reason string `json:"reason,omitempty"`
	// Message is the operator's account of the end.
	// +optional
	Message string `json:"message,omitempty"`
	// Attempts is how many pods the run took.
	// +optional
	Attempts int32 `json:"attempts,omitempty"`
	// ExitCode is the last attempt's.
	// +optional
	ExitCode *int32 `json:"exitCode,omitempty"`
	// Image is the image the run was started from.
	// +optional
	Image string `json:"image,omitempty"`
	// ImageID is the digest of the image that ran.
	// +optional
	ImageID string `json:"imageID,omitempty"`
	// Credentials are the credentials the run was given: Secret names and
	// declared accounts, never a value.
	// +optional
	Credentials []RecordedCredential `json:"credentials,omitempty"`
	// Systems are the TargetSystems the run worked against.
	// +optional
	Systems []string `json:"systems,omitempty"`
	// StartTime is when its first pod started.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// CompletionTime is when it finished.
	CompletionTime metav1.Time `json:"completionTime"`
	// Result is the summary the robot reported (the robot's own words).
	// +optional
	Result *runtime.RawExtension `json:"result,omitempty"`
	// WorkItems are the ids of the work items the run took.
	// +optional
	WorkItems []int64 `json:"workItems,omitempty"`
	// Logs describe the attempts' logs kept (read them with the log
	// subresource); given on get, not in lists.
	// +optional
	Logs []RecordedLog `json:"logs,omitempty"`
	// RecordedTime is when rpa-server wrote the record.
	RecordedTime metav1.Time `json:"recordedTime"`
}

// RecordedCredential is a credential a run was given.
type RecordedCredential struct {
	// Name is the credential's name in the Robot.
	Name string `json:"name"`
	// SecretName is the Secret that held it.
	SecretName string `json:"secretName"`
	// Account is the user name the Robot declared for it.
	// +optional
	Account string `json:"account,omitempty"`
}

// RecordedLog is one attempt's log as kept.
type RecordedLog struct {
	// Attempt counts from 1.
	Attempt int32 `json:"attempt"`
	// Pod is the attempt's pod.
	Pod string `json:"pod"`
	// Bytes is how much of the log is kept.
	Bytes int64 `json:"bytes"`
	// Truncated means the log went on past what is kept per run.
	// +optional
	Truncated bool `json:"truncated,omitempty"`
	// Note says why there is no log or only part of one.
	// +optional
	Note string `json:"note,omitempty"`
}

// RunRecordList is a page of run records, newest finish first.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type RunRecordList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []RunRecord `json:"items"`
}

// RobotChange is a suspension or a resumption of a Robot: who made it, as
// the apiserver authenticated them (the admission policy
// rpa-robot-suspender's stamp), and when rpa-server saw it. Its name is a
// number, in the order the changes were seen.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type RobotChange struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// RobotName is the Robot changed.
	RobotName string `json:"robotName"`
	// Action is Suspend or Resume.
	Action string `json:"action"`
	// Actor is who set or cleared spec.suspend.
	Actor string `json:"actor"`
	// RobotGeneration is the Robot's generation with the change.
	RobotGeneration int64 `json:"robotGeneration"`
	// ObservedTime is when rpa-server saw the change.
	ObservedTime metav1.Time `json:"observedTime"`
}

// RobotChangeList is a page of robot changes, oldest first.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type RobotChangeList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []RobotChange `json:"items"`
}
