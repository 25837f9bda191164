package v1alpha1

// Labels and annotations the operator sets and reads: one home for every
// rpa.dev key, since people select by them (kubectl get -l) and tools
// (the kubectl plugin, the console) map objects back to runs through them.
const (
	// LabelRobot holds the Robot's name on its runs, Jobs and pods (at most
	// 63 characters by the CRD).
	LabelRobot = "rpa.dev/robot"
	// LabelRun holds the run's name on its Job and pods, shortened when
	// longer than a label value may be (jobs.LabelValue).
	LabelRun = "rpa.dev/run"
	// LabelSchedule names the schedule that created a run.
	LabelSchedule = "rpa.dev/schedule"
	// LabelQueue names the WorkQueue whose trigger created a run (queue
	// names are at most 63 characters by the CRD).
	LabelQueue = "rpa.dev/queue"
	// LabelManagedBy and ManagedBy mark the objects this operator creates;
	// the manager caches only Jobs, Pods and Leases carrying them.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "rpa-operator"

	// AnnotationRunName holds the run's full name on its Job, pods and the
	// Leases it holds, whatever the name's length.
	AnnotationRunName = "rpa.dev/run-name"
	// AnnotationRobotGeneration and AnnotationImage on a Job record the
	// Robot generation and image it was built from, for the run's status.
	AnnotationRobotGeneration = "rpa.dev/robot-generation"
	AnnotationImage           = "rpa.dev/image"
	// AnnotationRunJSON holds the run description that the downward API
	// projects into the container as /var/run/rpa/run.json.
	AnnotationRunJSON = "rpa.dev/run-json"
	// AnnotationCreatedAhead marks a scheduled run created before its time
	// (--schedule-lead, docs/schedules.md).
	AnnotationCreatedAhead = "rpa.dev/created-ahead"
	// AnnotationReplacedBy on a run names the newer run that cancelled it
	// under concurrencyPolicy Replace.
	AnnotationReplacedBy = "rpa.dev/replaced-by"
	// AnnotationCredentialSecret names the Secret an exclusive-credential
	// Lease locks.
	AnnotationCredentialSecret = "rpa.dev/credential-secret"
	// AnnotationSuspendedBy and AnnotationResumedBy on a Robot are who last
	// set and who last cleared spec.suspend, stamped by the admission
	// policy rpa-robot-suspender (config/admission) from the apiserver's
	// authentication.
	AnnotationSuspendedBy = "rpa.dev/suspended-by"
	AnnotationResumedBy   = "rpa.dev/resumed-by"
)

// Prefixes of status.waitingFor entries: what a queued run waits for.
const (
	WaitingForTargetSystem = "TargetSystem/"
	WaitingForCredential   = "Credential/"
)

// RobotContainerName is the name of the robot's container in a run's pod.
const RobotContainerName = "robot"

// FinalizerRunRecord holds a run until rpa-server has recorded it
// (docs/audit.md): a MutatingAdmissionPolicy that config/server installs
// adds it to every new run, and only rpa-server removes it.
const FinalizerRunRecord = "rpa.dev/run-record"
