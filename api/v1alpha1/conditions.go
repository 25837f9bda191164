package v1alpha1

// Condition types.
const (
	// ConditionReady on a Robot says whether its runs can start.
	ConditionReady = "Ready"
	// ConditionSucceeded on a RobotRun is Unknown while the run is going,
	// then True or False for good.
	ConditionSucceeded = "Succeeded"
	// ConditionReconciling and ConditionStalled follow the kstatus
	// conventions (sigs.k8s.io/cli-utils/pkg/kstatus), which Argo CD, Flux
	// and kpt read without custom code. Both are "abnormal-true": present
	// and True only while they apply, removed otherwise. Reconciling is True
	// while a run is on its way; Stalled is True when an object cannot get
	// further without a person: a Robot with a missing credential or an
	// invalid schedule, a run that failed, timed out, was cancelled or
	// waits for a missing credential.
	ConditionReconciling = "Reconciling"
	ConditionStalled     = "Stalled"
	// ConditionRecorded on a finished RobotRun appears when rpa-server
	// could not record it at once: False while the record waits (the run
	// cannot be pruned meanwhile), True once it is written.
	ConditionRecorded = "Recorded"
)

// Condition reasons. Each is also the reason of the Event emitted with it, so
// a person can find the one from the other.
const (
	// ReasonReady means the object is valid and what it names exists (a
	// WorkQueue: its items are counted).
	ReasonReady = "Ready"
	// ReasonDatabaseUnavailable means rpa-server cannot reach the work-item
	// database: a WorkQueue's counts are stale and robots cannot take items.
	ReasonDatabaseUnavailable = "DatabaseUnavailable"
	// ConditionTriggering on a WorkQueue says whether its trigger can start
	// runs of its robot.
	ConditionTriggering = "Triggering"
	// ReasonTriggering means the trigger starts runs as items wait.
	ReasonTriggering = "Triggering"
	// ReasonQueueSuspended means the WorkQueue's spec.suspend is set.
	ReasonQueueSuspended = "QueueSuspended"
	// ReasonCalendarClosed means the WorkQueue's calendar is closed today:
	// its trigger starts runs again on the next open day.
	ReasonCalendarClosed = "CalendarClosed"
	// ReasonCredentialsNotFound means a credential Secret does not exist.
	ReasonCredentialsNotFound = "CredentialsNotFound"
	// ReasonRobotNotFound means the run names a Robot that does not exist.
	ReasonRobotNotFound = "RobotNotFound"
	// ReasonInvalidArguments means the run's arguments do not fit the
	// robot's parameters (an unknown name, a missing required one).
	ReasonInvalidArguments = "InvalidArguments"
	// ReasonRobotSuspended means the run waits because its Robot is suspended.
	ReasonRobotSuspended = "RobotSuspended"
	// ReasonInvalidSchedule means a schedule's cron expression or time zone
	// is invalid; the robot's other schedules keep working.
	ReasonInvalidSchedule = "InvalidSchedule"
	// ReasonCalendarNotFound means a schedule names a RobotCalendar that
	// does not exist; that schedule starts no runs until it does.
	ReasonCalendarNotFound = "CalendarNotFound"
	// ReasonInvalidCalendar means a RobotCalendar has a date or time zone
	// that only the operator can tell is invalid (2026-02-30,
	// Europe/Kobenhavn); schedules using it start no runs.
	ReasonInvalidCalendar = "InvalidCalendar"
	// ReasonWaitingForRun means the run waits for earlier runs of the robot
	// to finish (concurrencyPolicy Queue or Forbid, or Replace while the
	// replaced run stops).
	ReasonWaitingForRun = "WaitingForRun"
	// ReasonWaitingForSystem means the run waits for a slot of a
	// TargetSystem at its maxConcurrentRuns; status.waitingFor names it.
	ReasonWaitingForSystem = "WaitingForSystem"
	// ReasonWaitingForCredential means the run waits for an exclusive
	// credential another run is using; status.waitingFor names it.
	ReasonWaitingForCredential = "WaitingForCredential"
	// ReasonTargetSystemNotFound means the robot names a TargetSystem that
	// does not exist; its runs wait until it does.
	ReasonTargetSystemNotFound = "TargetSystemNotFound"
	// ReasonTargetSystemNotAllowed means the robot names a TargetSystem
	// whose namespaceSelector leaves out the robot's namespace; its runs
	// wait until the platform team lets the namespace use it.
	ReasonTargetSystemNotAllowed = "TargetSystemNotAllowed"
	// ReasonReplaced means a newer run cancelled this one under
	// concurrencyPolicy Replace.
	ReasonReplaced = "Replaced"

	// Reasons of Events about schedules. (Creating a run is not an Event:
	// the run and the schedule's lastRunName record it.)
	ReasonSkippedRun = "ScheduledRunSkipped"
	ReasonMissedRuns = "ScheduledRunsMissed"
	// ReasonScheduledRunConflict: a run that is not the schedule's own
	// for a time holds the name of that time's run, so the time cannot
	// run (also a Robot's Ready reason until it is deleted).
	ReasonScheduledRunConflict = "ScheduledRunConflict"
	// ReasonWithdrawnRun: a run created ahead of its time was deleted
	// before that time, because its schedule no longer has the time (the
	// robot or schedule was suspended, the schedule edited or removed).
	ReasonWithdrawnRun = "ScheduledRunWithdrawn"

	// ReasonJobCreated means the run's Job exists and its pod has not started.
	ReasonJobCreated = "JobCreated"
	// ReasonUnschedulable means no node can take the run's pod yet.
	ReasonUnschedulable = "Unschedulable"
	// ReasonImagePullFailed means the robot image cannot be pulled. While
	// the kubelet retries the condition is Unknown; past the pod start
	// deadline, or at once for an invalid or absent image, the run fails.
	ReasonImagePullFailed = "ImagePullFailed"
	// ReasonContainerConfigError means the container cannot be created from
	// its configuration (for example a missing ConfigMap or a root image
	// under runAsNonRoot); handled like ImagePullFailed.
	ReasonContainerConfigError = "ContainerConfigError"
	// ReasonRunning means the robot container is running.
	ReasonRunning = "Running"
	// ReasonRetrying means an attempt failed with a system exception and
	// another attempt is coming.
	ReasonRetrying = "Retrying"

	// ReasonCompleted means the robot exited 0.
	ReasonCompleted = "Completed"
	// ReasonBusinessException means the robot exited with the business
	// exception code: the case goes to people and is not retried.
	ReasonBusinessException = "BusinessException"
	// ReasonSystemException means the robot failed for a technical reason
	// and the robot allows no retries.
	ReasonSystemException = "SystemException"
	// ReasonRetriesExhausted means every allowed attempt failed with a
	// system exception.
	ReasonRetriesExhausted = "RetriesExhausted"
	// ReasonDeadlineExceeded means the run ran past its timeout.
	ReasonDeadlineExceeded = "DeadlineExceeded"
	// ReasonJobRejected means the apiserver refused the run's Job (for
	// example an invalid volume in the robot's template).
	ReasonJobRejected = "JobRejected"
	// ReasonJobDeleted means the run's Job was deleted by someone else
	// before it finished; the run is not restarted.
	ReasonJobDeleted = "JobDeleted"
	// ReasonJobNameTaken means a Job the run does not own has the name of
	// the run's Job; the run waits until it is gone.
	ReasonJobNameTaken = "JobNameTaken"
	// ReasonCancelled means the run was cancelled on request.
	ReasonCancelled = "Cancelled"
	// ReasonRunDeleted means the run was deleted before it finished (it,
	// or its Robot): it is stopped, and kept until it is recorded.
	ReasonRunDeleted = "RunDeleted"
	// ReasonRecordPending means rpa-server could not record a finished run
	// yet (its database does not answer); the run is kept until it has.
	ReasonRecordPending = "RecordPending"
	// ReasonRecorded means the run is in the run records.
	ReasonRecorded = "Recorded"
)
