package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RobotSpec declares an RPA process: the container that does the work, the
// parameters a run accepts, the credentials it needs and how failures are
// handled.
type RobotSpec struct {
	// Description says what the robot does, in words for the process owner.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Description string `json:"description,omitempty"`

	// Suspend stops new runs from starting. Runs already started continue;
	// runs created meanwhile wait in Pending until the robot is resumed.
	// +optional
	// +kubebuilder:default=false
	Suspend bool `json:"suspend,omitempty"`

	// Template is the robot container and the pod settings it runs with.
	Template RobotTemplate `json:"template"`

	// Parameters are the arguments a run of this robot accepts. A run that
	// passes an unknown name, or leaves out a required one, fails before
	// anything starts.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:XValidation:rule="self.all(p, self.exists_one(q, q.name.upperAscii() == p.name.upperAscii()))",message="parameter names must be unique ignoring case, since each becomes the environment variable RPA_ARG_<NAME>"
	Parameters []Parameter `json:"parameters,omitempty"`

	// Credentials are Secrets the robot logs in with. Each Secret is mounted
	// read-only at /var/run/rpa/credentials/<name>/<key>.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	Credentials []Credential `json:"credentials,omitempty"`

	// Timeout bounds one run, retries included; a run still going after it is
	// stopped and ends TimedOut. A Go duration such as "30m" or "2h".
	// +optional
	// +kubebuilder:default="1h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1s') && duration(self) <= duration('168h')",message="timeout must be between 1s and 168h"
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// Retries says how system exceptions are retried and which exit code
	// means a business exception, which is never retried.
	// +optional
	// +kubebuilder:default={}
	Retries RetryPolicy `json:"retries,omitempty"`

	// Schedules start runs unattended at the times they give
	// (docs/schedules.md).
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	Schedules []Schedule `json:"schedules,omitempty"`

	// ConcurrencyPolicy says what happens when a run is due while another
	// run of the robot has not finished. It governs every run, whatever
	// started it: Allow runs both; Forbid skips a scheduled run (and queues
	// a manual or API run); Replace cancels the unfinished run; Queue starts
	// the new run when the earlier ones have finished, in creation order.
	// +optional
	// +kubebuilder:default=Forbid
	ConcurrencyPolicy ConcurrencyPolicy `json:"concurrencyPolicy,omitempty"`

	// Systems are the TargetSystems (cluster-scoped) the robot's runs work
	// against, such as the ESDH or SBSYS instance of the municipality. A run
	// starts only when each of them has a free slot (maxConcurrentRuns),
	// so that robots together never overload a shared system.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +kubebuilder:validation:items:MaxLength=253
	Systems []string `json:"systems,omitempty"`

	// Priority orders this robot's runs against other runs waiting for the
	// same TargetSystem or exclusive credential: higher first, then oldest
	// first. A run may set its own (RobotRun spec.priority).
	// +optional
	// +kubebuilder:default=0
	// +kubebuilder:validation:Minimum=-1000
	// +kubebuilder:validation:Maximum=1000
	Priority int32 `json:"priority,omitempty"`

	// StartingDeadlineSeconds: a scheduled time missed by more than this
	// (the operator was down, the apiserver unreachable) is not run late,
	// only counted as missed. Unset: a missed time is run late however late.
	// +optional
	// +kubebuilder:validation:Minimum=1
	StartingDeadlineSeconds *int64 `json:"startingDeadlineSeconds,omitempty"`

	// SuccessfulRunsHistoryLimit is how many succeeded runs of the robot to
	// keep; older ones are deleted. Manual runs count too.
	// +optional
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	SuccessfulRunsHistoryLimit *int32 `json:"successfulRunsHistoryLimit,omitempty"`

	// FailedRunsHistoryLimit is how many failed, timed-out and cancelled
	// runs of the robot to keep; older ones are deleted.
	// +optional
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	FailedRunsHistoryLimit *int32 `json:"failedRunsHistoryLimit,omitempty"`
}

// ConcurrencyPolicy says how runs of one robot may overlap.
// +kubebuilder:validation:Enum=Allow;Forbid;Replace;Queue
type ConcurrencyPolicy string

const (
	// ConcurrencyAllow lets runs overlap.
	ConcurrencyAllow ConcurrencyPolicy = "Allow"
	// ConcurrencyForbid skips a scheduled run while another run is
	// unfinished; a manual or API run waits in Queued instead.
	ConcurrencyForbid ConcurrencyPolicy = "Forbid"
	// ConcurrencyReplace cancels unfinished runs in favour of the new one.
	ConcurrencyReplace ConcurrencyPolicy = "Replace"
	// ConcurrencyQueue runs one at a time, in creation order.
	ConcurrencyQueue ConcurrencyPolicy = "Queue"
)

// Schedule starts runs of the robot at the times a cron expression gives.
// +kubebuilder:validation:XValidation:rule="!has(self.calendarPolicy) || has(self.calendar)",message="calendarPolicy needs a calendar"
type Schedule struct {
	// Name identifies the schedule; it is part of the names of the runs it
	// creates.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=40
	Name string `json:"name"`

	// Cron is a standard five-field cron expression (minute hour
	// day-of-month month day-of-week, e.g. "0 7 * * 1-5") or one of
	// @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('TZ=') && !self.startsWith('CRON_TZ=')",message="set the time zone in timeZone, not in the cron expression"
	// +kubebuilder:validation:XValidation:rule="self.matches('^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+)$')",message="cron must have 5 fields (minute hour day-of-month month day-of-week) or be @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly"
	Cron string `json:"cron"`

	// TimeZone is the IANA time zone the cron expression is read in, e.g.
	// Europe/Copenhagen. Daylight-saving changes follow classic cron
	// semantics (docs/schedules.md).
	// +optional
	// +kubebuilder:default=UTC
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$`
	TimeZone string `json:"timeZone,omitempty"`

	// Arguments for the runs of this schedule, merged over the parameters'
	// defaults.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^[A-Za-z_][A-Za-z0-9_]*$') && size(k) <= 63)",message="argument names are identifiers of at most 63 characters (letters, digits, underscores)"
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(self[k]) <= 4096)",message="an argument value is at most 4096 characters"
	Arguments map[string]string `json:"arguments,omitempty"`

	// Suspend stops this schedule only; runs already started continue.
	// Times passed while suspended are not run on resume.
	// +optional
	// +kubebuilder:default=false
	Suspend bool `json:"suspend,omitempty"`

	// Calendar names a RobotCalendar in the robot's namespace whose closed
	// days (public holidays, the municipality's own closing days) this
	// schedule does not run on; calendarPolicy says what happens instead.
	// A calendar that does not exist stops the schedule and makes the robot
	// not Ready (reason CalendarNotFound).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Calendar string `json:"calendar,omitempty"`

	// CalendarPolicy says what happens to a time on a closed day: Skip (no
	// run) or NextWorkingDay (one run at the same wall-clock time on the
	// next open day, however many closed days lie in between, and not
	// doubled when that day has its own run at that time). Default Skip.
	// +optional
	// +kubebuilder:validation:Enum=Skip;NextWorkingDay
	CalendarPolicy CalendarPolicy `json:"calendarPolicy,omitempty"`
}

// CalendarPolicy says what a schedule does on a calendar's closed days.
type CalendarPolicy string

const (
	// CalendarSkip runs nothing on a closed day.
	CalendarSkip CalendarPolicy = "Skip"
	// CalendarNextWorkingDay runs a closed day's time on the next open day.
	CalendarNextWorkingDay CalendarPolicy = "NextWorkingDay"
)

// RobotTemplate is the robot container and the pod-level settings of its runs.
type RobotTemplate struct {
	// Image is the robot's container image. Pin it by digest or an immutable
	// tag: the digest that ran is recorded on every RobotRun.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	Image string `json:"image"`

	// ImagePullPolicy is the container's pull policy (Always, IfNotPresent, Never).
	// +optional
	// +kubebuilder:validation:Enum=Always;IfNotPresent;Never
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`

	// Command overrides the image's entrypoint.
	// +optional
	// +listType=atomic
	Command []string `json:"command,omitempty"`

	// Args are the arguments to the command.
	// +optional
	// +listType=atomic
	Args []string `json:"args,omitempty"`

	// Env sets environment variables in the robot container. Names starting
	// with RPA_ are reserved for the operator.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:XValidation:rule="self.all(e, !e.name.startsWith('RPA_'))",message="environment variable names starting with RPA_ are reserved for the operator"
	Env []corev1.EnvVar `json:"env,omitempty"`

	// EnvFrom sets environment variables from ConfigMaps or Secrets.
	// +optional
	// +listType=atomic
	EnvFrom []corev1.EnvFromSource `json:"envFrom,omitempty"`

	// Resources are the container's compute requests and limits.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`

	// WorkingDir is the container's working directory.
	// +optional
	WorkingDir string `json:"workingDir,omitempty"`

	// ServiceAccountName runs the pod as this ServiceAccount. Without it the
	// pod gets no API token at all.
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// NodeSelector restricts the nodes the pod may run on.
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// Tolerations let the pod run on tainted nodes.
	// +optional
	// +listType=atomic
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// Affinity constrains where the pod is scheduled.
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`

	// ImagePullSecrets authenticate pulls of Image.
	// +optional
	// +listType=atomic
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`

	// PriorityClassName is the pod's priority class.
	// +optional
	PriorityClassName string `json:"priorityClassName,omitempty"`

	// Volumes are extra pod volumes, mounted with VolumeMounts. Names starting
	// with rpa- are reserved for the operator.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:XValidation:rule="self.all(v, !v.name.startsWith('rpa-'))",message="volume names starting with rpa- are reserved for the operator"
	Volumes []corev1.Volume `json:"volumes,omitempty"`

	// VolumeMounts mount Volumes into the robot container. Paths under
	// /var/run/rpa are reserved for the operator.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:XValidation:rule="self.all(m, !m.mountPath.startsWith('/var/run/rpa'))",message="mount paths under /var/run/rpa are reserved for the operator"
	VolumeMounts []corev1.VolumeMount `json:"volumeMounts,omitempty"`
}

// Parameter is one argument a run of the robot accepts.
// +kubebuilder:validation:XValidation:rule="!(has(self.required) && self.required && has(self.default))",message="a required parameter cannot have a default"
type Parameter struct {
	// Name identifies the parameter. It is an identifier (letters, digits,
	// underscores; not starting with a digit) because the robot receives it
	// as the environment variable RPA_ARG_<NAME>, upper-cased.
	// +kubebuilder:validation:Pattern=`^[A-Za-z_][A-Za-z0-9_]*$`
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`

	// Description says what the parameter means and which values it takes.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Description string `json:"description,omitempty"`

	// Required makes a run without this argument fail before it starts.
	// +optional
	Required bool `json:"required,omitempty"`

	// Default is used when a run does not pass the argument.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Default *string `json:"default,omitempty"`
}

// Credential is a Secret holding an account the robot uses, for example its
// own login to a case system.
type Credential struct {
	// Name identifies the credential to the robot: its files are under
	// /var/run/rpa/credentials/<name>/.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`

	// SecretName is the Secret in the robot's namespace that holds the
	// credential, one key per value (for example username and password).
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +kubebuilder:validation:MaxLength=253
	SecretName string `json:"secretName"`

	// Account is the user name the Secret logs in as (for example
	// "rpa-herning-post"), declared here for the run records: supervision
	// asks which account each run used, and the operator never reads a
	// Secret's data to find out.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Account string `json:"account,omitempty"`

	// Env also exposes the Secret's keys as environment variables named
	// RPA_CREDENTIAL_<NAME>_<KEY>. Files are safer: environment variables
	// are inherited by every child process.
	// +optional
	// +kubebuilder:default=false
	Env bool `json:"env,omitempty"`

	// Exclusive allows at most one run at a time, across every robot in
	// the namespace, to use this Secret: for robot accounts that can hold
	// only one session. Other runs wait in Queued (WaitingForCredential).
	// +optional
	// +kubebuilder:default=false
	Exclusive bool `json:"exclusive,omitempty"`
}

// RetryPolicy tells system exceptions, which are retried, from business
// exceptions, which are handed to people and never retried.
type RetryPolicy struct {
	// Limit is how many times a run is retried after a system exception
	// (any non-zero exit other than the business exception code, a crash,
	// an eviction does not count).
	// +optional
	// +kubebuilder:default=0
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=10
	Limit int32 `json:"limit,omitempty"`

	// BusinessExceptionExitCode is the exit code with which the robot says
	// "this failed for a business reason" (a protected address, a non-clean
	// certificate). Such a run fails at once, without retries. Not 2, which
	// Go's flag package and Python's argparse use for usage errors.
	// +optional
	// +kubebuilder:default=3
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=255
	// +kubebuilder:validation:XValidation:rule="self != 2",message="exit code 2 means a usage error to Go's flag package and Python's argparse; choose another code"
	BusinessExceptionExitCode int32 `json:"businessExceptionExitCode,omitempty"`
}

// RobotStatus is what the operator observed about a robot and its runs.
type RobotStatus struct {
	// ObservedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions: Ready says whether runs of the robot can start (the
	// template is valid and every credential Secret exists); its reason and
	// message name what is missing.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// ActiveRuns is the number of runs of this robot that have not finished.
	// +optional
	ActiveRuns int32 `json:"activeRuns,omitempty"`

	// LastRun is the most recently created run of this robot.
	// +optional
	LastRun *RunReference `json:"lastRun,omitempty"`

	// LastSuccessfulTime is when a run of this robot last succeeded.
	// +optional
	LastSuccessfulTime *metav1.Time `json:"lastSuccessfulTime,omitempty"`

	// SuccessDueTime is when, by its schedules, the robot should have
	// succeeded again: the earliest over its schedules of the first time
	// after the last success (or the schedule taking effect), plus the
	// run's timeout. Past it the robot's success is overdue, which the
	// console and the RobotNoRecentSuccess alert say. Unset while
	// suspended, or without schedules that have times ahead.
	// +optional
	SuccessDueTime *metav1.Time `json:"successDueTime,omitempty"`

	// Schedules reports each schedule's last and next time.
	// +optional
	// +listType=map
	// +listMapKey=name
	Schedules []ScheduleStatus `json:"schedules,omitempty"`

	// ScheduleSummary is the first schedule's cron expression, or how many
	// schedules there are, for kubectl get.
	// +optional
	ScheduleSummary string `json:"scheduleSummary,omitempty"`

	// NextScheduleTime is the earliest next time of any active schedule.
	// +optional
	NextScheduleTime *metav1.Time `json:"nextScheduleTime,omitempty"`

	// LastScheduleTime is the latest time any schedule fired.
	// +optional
	LastScheduleTime *metav1.Time `json:"lastScheduleTime,omitempty"`

	// SkippedRuns counts scheduled times not run because another run was
	// unfinished under concurrencyPolicy Forbid.
	// +optional
	SkippedRuns int64 `json:"skippedRuns,omitempty"`

	// MissedRuns counts scheduled times not run because the operator could
	// not start them in time (it was down, or past startingDeadlineSeconds).
	// +optional
	MissedRuns int64 `json:"missedRuns,omitempty"`
}

// ScheduleStatus is what happened with one schedule.
type ScheduleStatus struct {
	// Name of the schedule.
	Name string `json:"name"`

	// Cron and TimeZone are the expression and zone the times below were
	// computed from; a change of either takes effect from the next time.
	// +optional
	Cron string `json:"cron,omitempty"`
	// +optional
	TimeZone string `json:"timeZone,omitempty"`

	// LastScheduleTime is the latest time the schedule fired (whether its
	// run was created, skipped or missed).
	// +optional
	LastScheduleTime *metav1.Time `json:"lastScheduleTime,omitempty"`

	// NextScheduleTime is the schedule's next time; empty while suspended.
	// +optional
	NextScheduleTime *metav1.Time `json:"nextScheduleTime,omitempty"`

	// LastRunName is the run created for LastScheduleTime, if any.
	// +optional
	LastRunName string `json:"lastRunName,omitempty"`

	// HandledUntil is the instant up to which every time of the schedule has
	// been run, skipped or counted missed. Times after it are still to come.
	// +optional
	HandledUntil *metav1.Time `json:"handledUntil,omitempty"`

	// Suspended is true while the schedule or the robot is suspended.
	// +optional
	Suspended bool `json:"suspended,omitempty"`

	// ActiveSince is when the schedule as it is now took effect: the
	// robot's creation, the schedule's addition, its last edit or its
	// resume. A success is expected at its first time after this (or after
	// the last success); unset while suspended.
	// +optional
	ActiveSince *metav1.Time `json:"activeSince,omitempty"`
}

// RunReference points at a RobotRun and says how it stands.
type RunReference struct {
	// Name of the RobotRun.
	Name string `json:"name"`

	// Phase of the RobotRun.
	// +optional
	Phase RunPhase `json:"phase,omitempty"`

	// CompletionTime of the RobotRun, if it has finished.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
}

// Robot is an RPA process: a container image and the way it is run. Runs are
// RobotRun objects, created by hand, by a schedule or by other triggers.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=rpa
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 63",message="a Robot's name is at most 63 characters, since it is used as a label value on its Jobs and pods"
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Suspended",type=boolean,JSONPath=`.spec.suspend`
// +kubebuilder:printcolumn:name="Schedules",type=string,JSONPath=`.status.scheduleSummary`
// +kubebuilder:printcolumn:name="Next Run",type=string,JSONPath=`.status.nextScheduleTime`
// +kubebuilder:printcolumn:name="Last Schedule",type=date,JSONPath=`.status.lastScheduleTime`
// +kubebuilder:printcolumn:name="Last Run",type=string,JSONPath=`.status.lastRun.phase`
// +kubebuilder:printcolumn:name="Last Success",type=date,JSONPath=`.status.lastSuccessfulTime`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Robot struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   RobotSpec   `json:"spec"`
	Status RobotStatus `json:"status,omitempty"`
}

// RobotList is a list of Robots.
//
// +kubebuilder:object:root=true
type RobotList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Robot `json:"items"`
}
