package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TriggerType says what started a run.
// +kubebuilder:validation:Enum=Manual;Schedule;API;Queue
type TriggerType string

const (
	// TriggerManual is a run a person started (kubectl or the kubectl plugin).
	TriggerManual TriggerType = "Manual"
	// TriggerSchedule is a run one of the robot's schedules started.
	TriggerSchedule TriggerType = "Schedule"
	// TriggerAPI is a run another system started through the Kubernetes API.
	TriggerAPI TriggerType = "API"
	// TriggerQueue is a run a WorkQueue's trigger started because items wait.
	TriggerQueue TriggerType = "Queue"
)

// RunPhase is where a run is in its life.
// +kubebuilder:validation:Enum=Pending;Queued;Running;Succeeded;Failed;Cancelled;TimedOut
type RunPhase string

const (
	// PhasePending means accepted, its Job not yet running (waiting for a
	// credential, the image, or a node).
	PhasePending RunPhase = "Pending"
	// PhaseQueued means waiting for other runs to finish before it may start.
	PhaseQueued RunPhase = "Queued"
	// PhaseRunning means the robot container is running.
	PhaseRunning RunPhase = "Running"
	// PhaseSucceeded means the robot exited 0.
	PhaseSucceeded RunPhase = "Succeeded"
	// PhaseFailed means a business exception, retries exhausted, or the run
	// could not start; the Succeeded condition's reason says which.
	PhaseFailed RunPhase = "Failed"
	// PhaseCancelled means stopped on request (spec.cancel).
	PhaseCancelled RunPhase = "Cancelled"
	// PhaseTimedOut means stopped because it ran past its timeout.
	PhaseTimedOut RunPhase = "TimedOut"
)

// Finished reports whether the phase is final: a run in it never changes again.
func (p RunPhase) Finished() bool {
	switch p {
	case PhaseSucceeded, PhaseFailed, PhaseCancelled, PhaseTimedOut:
		return true
	}
	return false
}

// RunRequester is an identity the apiserver authenticated.
type RunRequester struct {
	// Username is the user, or the ServiceAccount as
	// system:serviceaccount:<namespace>:<name>.
	// +kubebuilder:validation:MaxLength=1024
	Username string `json:"username"`
}

// RunCredential is a credential a run was given: the Secret's name and the
// account it logs in as, never its data.
type RunCredential struct {
	// Name is the credential's name in the Robot.
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`
	// SecretName is the Secret that held it.
	// +kubebuilder:validation:MaxLength=253
	SecretName string `json:"secretName"`
	// Account is the user name the Robot declares for it.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Account string `json:"account,omitempty"`
}

// Trigger records what started a run.
type Trigger struct {
	// Type is Manual, Schedule, API or Queue.
	// +optional
	// +kubebuilder:default=Manual
	Type TriggerType `json:"type,omitempty"`

	// Schedule is the name of the robot's schedule that created the run.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Schedule string `json:"schedule,omitempty"`

	// ScheduledTime is the instant the schedule fired for.
	// +optional
	ScheduledTime *metav1.Time `json:"scheduledTime,omitempty"`

	// Queue is the name of the WorkQueue, in the run's namespace, whose
	// trigger started the run.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Queue string `json:"queue,omitempty"`
}

// RobotRunSpec is one requested execution of a robot. Only Cancel may change
// after creation: a run is a record of what was asked for.
//
// +kubebuilder:validation:XValidation:rule="self.robotName == oldSelf.robotName",message="robotName is immutable"
// +kubebuilder:validation:XValidation:rule="has(self.arguments) == has(oldSelf.arguments) && (!has(self.arguments) || self.arguments == oldSelf.arguments)",message="arguments are immutable; create a new run instead"
// +kubebuilder:validation:XValidation:rule="has(self.timeout) == has(oldSelf.timeout) && (!has(self.timeout) || self.timeout == oldSelf.timeout)",message="timeout is immutable; create a new run instead"
// +kubebuilder:validation:XValidation:rule="self.trigger == oldSelf.trigger",message="trigger is immutable"
// +kubebuilder:validation:XValidation:rule="has(self.priority) == has(oldSelf.priority) && (!has(self.priority) || self.priority == oldSelf.priority)",message="priority is immutable; create a new run instead"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.cancel) || !oldSelf.cancel || (has(self.cancel) && self.cancel)",message="a cancelled run cannot be un-cancelled"
// +kubebuilder:validation:XValidation:rule="has(self.requestedBy) == has(oldSelf.requestedBy) && (!has(self.requestedBy) || self.requestedBy == oldSelf.requestedBy)",message="requestedBy is immutable: the apiserver stamps who created the run"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.cancelledBy) || (has(self.cancelledBy) && self.cancelledBy == oldSelf.cancelledBy)",message="cancelledBy is immutable: the apiserver stamps who cancelled the run"
type RobotRunSpec struct {
	// RobotName is the Robot, in the same namespace, to run.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	RobotName string `json:"robotName"`

	// Arguments are values for the robot's parameters, by parameter name.
	// Parameters not given take their defaults.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^[A-Za-z_][A-Za-z0-9_]*$') && size(k) <= 63)",message="argument names are identifiers of at most 63 characters (letters, digits, underscores)"
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(self[k]) <= 4096)",message="an argument value is at most 4096 characters"
	Arguments map[string]string `json:"arguments,omitempty"`

	// Timeout overrides the robot's timeout for this run.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1s') && duration(self) <= duration('168h')",message="timeout must be between 1s and 168h"
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// Trigger records what started the run.
	// +optional
	// +kubebuilder:default={type: Manual}
	Trigger Trigger `json:"trigger,omitempty"`

	// Cancel stops the run: the robot gets SIGTERM and its grace period, and
	// the run ends Cancelled. It cannot be undone.
	// +optional
	Cancel bool `json:"cancel,omitempty"`

	// Priority orders the run against other runs waiting for the same
	// TargetSystem or exclusive credential: higher first, then oldest
	// first. Unset: the robot's spec.priority.
	// +optional
	// +kubebuilder:validation:Minimum=-1000
	// +kubebuilder:validation:Maximum=1000
	Priority *int32 `json:"priority,omitempty"`

	// RequestedBy is who created the run, as the apiserver authenticated
	// them: stamped at creation by the admission policy
	// rpa-robotrun-requester (config/admission), whatever the client sent,
	// and never changed after. A scheduled or queue-triggered run names the
	// operator's ServiceAccount; its trigger says why it ran.
	// +optional
	RequestedBy *RunRequester `json:"requestedBy,omitempty"`

	// CancelledBy is who set cancel, stamped by the same policy when cancel
	// becomes true, and never changed after. The operator's ServiceAccount
	// when it replaced the run (concurrencyPolicy Replace).
	// +optional
	CancelledBy *RunRequester `json:"cancelledBy,omitempty"`
}

// RunResult is the summary a robot reports in its termination message.
type RunResult struct {
	// ItemsProcessed is how many work items the robot handled.
	// +optional
	ItemsProcessed *int64 `json:"itemsProcessed,omitempty"`
	// ItemsSucceeded is how many items were handled successfully.
	// +optional
	ItemsSucceeded *int64 `json:"itemsSucceeded,omitempty"`
	// ItemsFailed is how many items failed with a system exception.
	// +optional
	ItemsFailed *int64 `json:"itemsFailed,omitempty"`
	// BusinessExceptions is how many items were handed to people.
	// +optional
	BusinessExceptions *int64 `json:"businessExceptions,omitempty"`
	// Summary is the robot's own one-line account of the run.
	// +optional
	Summary string `json:"summary,omitempty"`
}

// RobotRunStatus reports a run completely: what ran, how often, how it ended.
type RobotRunStatus struct {
	// Phase is where the run is in its life.
	// +optional
	Phase RunPhase `json:"phase,omitempty"`

	// Conditions: Succeeded is Unknown while the run is going, then True or
	// False with a reason such as Completed, BusinessException,
	// RetriesExhausted, DeadlineExceeded, Cancelled or CredentialsNotFound.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// ObservedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// RobotGeneration is the generation of the Robot the Job was built from.
	// +optional
	RobotGeneration int64 `json:"robotGeneration,omitempty"`

	// JobName is the batch/v1 Job executing the run.
	// +optional
	JobName string `json:"jobName,omitempty"`

	// PodName is the pod of the latest attempt.
	// +optional
	PodName string `json:"podName,omitempty"`

	// StartTime is when the run's Job started.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`

	// CompletionTime is when the run finished.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`

	// Duration is how long the run took (or has taken so far when last
	// observed), for people to read.
	// +optional
	Duration string `json:"duration,omitempty"`

	// Attempts is how many pods the run has started, retries included.
	// +optional
	Attempts int32 `json:"attempts,omitempty"`

	// Priority is the run's effective priority: spec.priority, or its
	// robot's when unset. Waiting runs are ordered by it.
	// +optional
	Priority int32 `json:"priority,omitempty"`

	// WaitingFor names what a Queued run waits for, such as
	// "TargetSystem/esdh-aalborg" or "Credential/esdh-robot-account".
	// +optional
	// +listType=set
	WaitingFor []string `json:"waitingFor,omitempty"`

	// ExitCode is the robot container's exit code in the latest attempt.
	// +optional
	ExitCode *int32 `json:"exitCode,omitempty"`

	// Message explains the phase in words. It is the operator's: text the
	// robot wrote is in result and logTail, never here, in conditions or in
	// Events.
	// +optional
	Message string `json:"message,omitempty"`

	// LogTail is the last lines the robot logged (at most 3 lines and 1 KiB)
	// when an attempt failed without a result summary, as the robot wrote
	// them: whoever may read the run reads them, so robots must not log
	// secrets or personal data.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	LogTail string `json:"logTail,omitempty"`

	// Image is the image reference the run's container was started from.
	// +optional
	Image string `json:"image,omitempty"`

	// ImageID is the digest of the image that actually ran.
	// +optional
	ImageID string `json:"imageID,omitempty"`

	// Credentials are the credentials the run was given, as the Robot
	// declared them when its Job was made: names and accounts, never a
	// value. The run records keep them.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	Credentials []RunCredential `json:"credentials,omitempty"`

	// Systems are the TargetSystems the run worked against.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=8
	Systems []string `json:"systems,omitempty"`

	// Result is the summary the robot reported.
	// +optional
	Result *RunResult `json:"result,omitempty"`
}

// RobotRun is one execution of a Robot, carried out as a batch/v1 Job.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=rr,categories=rpa
// +kubebuilder:selectablefield:JSONPath=`.spec.robotName`
// +kubebuilder:selectablefield:JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Robot",type=string,JSONPath=`.spec.robotName`
// +kubebuilder:printcolumn:name="Trigger",type=string,JSONPath=`.spec.trigger.type`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Succeeded")].reason`
// +kubebuilder:printcolumn:name="Waiting For",type=string,JSONPath=`.status.waitingFor`,priority=1
// +kubebuilder:printcolumn:name="Requested By",type=string,JSONPath=`.spec.requestedBy.username`,priority=1
// +kubebuilder:printcolumn:name="Items",type=integer,JSONPath=`.status.result.itemsProcessed`
// +kubebuilder:printcolumn:name="Started",type=date,JSONPath=`.status.startTime`
// +kubebuilder:printcolumn:name="Duration",type=string,JSONPath=`.status.duration`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type RobotRun struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   RobotRunSpec   `json:"spec"`
	Status RobotRunStatus `json:"status,omitempty"`
}

// RobotRunList is a list of RobotRuns.
//
// +kubebuilder:object:root=true
type RobotRunList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []RobotRun `json:"items"`
}
