package jobs

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// Paths and names inside the robot's pod (docs/robot-contract.md).
const (
	// ContainerName is the name of the robot's container.
	ContainerName = rpav1alpha1.RobotContainerName
	// RunFilePath is where the run description is mounted.
	RunFilePath = "/var/run/rpa/run.json"
	// CredentialsDir holds one directory per credential, one file per key.
	CredentialsDir = "/var/run/rpa/credentials"

	// QueueAccessDir holds the pod's token for the work-item API and the
	// cluster's CA, for robots that use a queue.
	QueueAccessDir = "/var/run/secrets/rpa.dev/queue"

	volumeRunInfo     = "rpa-run"
	volumeTmp         = "rpa-tmp"
	volumeQueueAccess = "rpa-queue-access"
	credentialLabel   = "rpa-credential-"
	// queueTokenSeconds is how long the projected token lives; the kubelet
	// renews it at 80 %.
	queueTokenSeconds = 3600
)

// DefaultTimeout bounds a run when neither the run nor its robot sets one
// (the CRD defaults the robot's timeout to the same value).
const DefaultTimeout = time.Hour

// Build returns the Job that executes run for robot, with the run's
// arguments already resolved (ResolveArguments). The Job is owned by the
// run. With queueAccess (the robot uses a WorkQueue) the pod gets a
// token bound to it for the work-item API; other robots get none.
func Build(robot *rpav1alpha1.Robot, run *rpav1alpha1.RobotRun, args map[string]string, queueAccess bool) (*batchv1.Job, error) {
	runJSON, err := runFileJSON(run, args)
	if err != nil {
		return nil, fmt.Errorf("render run file: %w", err)
	}
	labels := jobLabels(robot, run)
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name:      JobName(run.Name),
			Namespace: run.Namespace,
			Labels:    labels,
			Annotations: map[string]string{
				rpav1alpha1.AnnotationRunName:         run.Name,
				rpav1alpha1.AnnotationRobotGeneration: strconv.FormatInt(robot.Generation, 10),
				rpav1alpha1.AnnotationImage:           robot.Spec.Template.Image,
			},
			OwnerReferences: []metav1.OwnerReference{runOwnerReference(run)},
		},
		Spec: batchv1.JobSpec{
			Parallelism:           ptr.To[int32](1),
			Completions:           ptr.To[int32](1),
			BackoffLimit:          ptr.To(robot.Spec.Retries.Limit),
			ActiveDeadlineSeconds: ptr.To(int64(Timeout(robot, run).Seconds())),
			PodFailurePolicy:      podFailurePolicy(robot),
			// A retry starts only once the failed pod has fully stopped: a
			// robot account often allows one session at a time.
			PodReplacementPolicy: ptr.To(batchv1.Failed),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels: maps.Clone(labels),
					Annotations: map[string]string{
						rpav1alpha1.AnnotationRunName: run.Name,
						rpav1alpha1.AnnotationRunJSON: runJSON,
					},
				},
				Spec: podSpec(robot, run, args, queueAccess),
			},
		},
	}
	return job, nil
}

// Timeout is how long the run may take, retries included.
func Timeout(robot *rpav1alpha1.Robot, run *rpav1alpha1.RobotRun) time.Duration {
	switch {
	case run.Spec.Timeout != nil:
		return run.Spec.Timeout.Duration
	case robot.Spec.Timeout != nil:
		return robot.Spec.Timeout.Duration
	}
	return DefaultTimeout
}

func jobLabels(robot *rpav1alpha1.Robot, run *rpav1alpha1.RobotRun) map[string]string {
	return map[string]string{
		rpav1alpha1.LabelRobot:        robot.Name,
		rpav1alpha1.LabelRun:          LabelValue(run.Name),
		"app.kubernetes.io/name":      "rpa-robot",
		"app.kubernetes.io/instance":  robot.Name,
		"app.kubernetes.io/component": "robot-run",
		"app.kubernetes.io/part-of":   "rpa-operator",
		rpav1alpha1.LabelManagedBy:    rpav1alpha1.ManagedBy,
	}
}

func runOwnerReference(run *rpav1alpha1.RobotRun) metav1.OwnerReference {
	return metav1.OwnerReference{
		APIVersion:         rpav1alpha1.GroupVersion.String(),
		Kind:               "RobotRun",
		Name:               run.Name,
		UID:                run.UID,
		Controller:         ptr.To(true),
		BlockOwnerDeletion: ptr.To(true),
	}
}

// podFailurePolicy makes the business exception exit code fail the Job at
// once, lets pod disruptions (eviction, preemption, node drain) not count as
// attempts, and counts everything else against backoffLimit.
func podFailurePolicy(robot *rpav1alpha1.Robot) *batchv1.PodFailurePolicy {
	return &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{
		{
			Action: batchv1.PodFailurePolicyActionFailJob,
			OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{
				ContainerName: ptr.To(ContainerName),
				Operator:      batchv1.PodFailurePolicyOnExitCodesOpIn,
				Values:        []int32{BusinessExceptionExitCode(robot)},
			},
		},
		{
			Action: batchv1.PodFailurePolicyActionIgnore,
			OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{
				{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue},
			},
		},
	}}
}

// BusinessExceptionExitCode is the robot's business exception exit code,
// 3 when unset (the CRD's default).
func BusinessExceptionExitCode(robot *rpav1alpha1.Robot) int32 {
	if code := robot.Spec.Retries.BusinessExceptionExitCode; code != 0 {
		return code
	}
	return 3
}

func podSpec(robot *rpav1alpha1.Robot, run *rpav1alpha1.RobotRun, args map[string]string, queueAccess bool) corev1.PodSpec {
	t := robot.Spec.Template
	spec := corev1.PodSpec{
		RestartPolicy:                corev1.RestartPolicyNever,
		ServiceAccountName:           t.ServiceAccountName,
		AutomountServiceAccountToken: ptr.To(t.ServiceAccountName != ""),
		// Service links would add an environment variable per Service in the
		// namespace to every robot; robots find systems by configuration.
		EnableServiceLinks: ptr.To(false),
		NodeSelector:       t.NodeSelector,
		Tolerations:        t.Tolerations,
		Affinity:           t.Affinity,
		ImagePullSecrets:   t.ImagePullSecrets,
		PriorityClassName:  t.PriorityClassName,
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot:   ptr.To(true),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Containers: []corev1.Container{robotContainer(robot, run, args)},
		Volumes:    append(operatorVolumes(robot), t.Volumes...),
	}
	if queueAccess {
		// A projected token names its ServiceAccount; the namespace's
		// default is what a pod without one runs as anyway.
		if spec.ServiceAccountName == "" {
			spec.ServiceAccountName = "default"
		}
		spec.Volumes = append(spec.Volumes, queueAccessVolume())
		c := &spec.Containers[0]
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: volumeQueueAccess, MountPath: QueueAccessDir, ReadOnly: true})
	}
	return spec
}

// queueAccessVolume projects a short-lived token of the pod's
// ServiceAccount, bound to the pod (rpa-server learns the run from it), and
// the cluster's CA: the robot calls the work-item API through the
// apiserver with them, and without a queue has no token at all.
func queueAccessVolume() corev1.Volume {
	return corev1.Volume{Name: volumeQueueAccess, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptr.To[int64](queueTokenSeconds)}},
			{ConfigMap: &corev1.ConfigMapProjection{
				LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
				Items:                []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}},
			}},
		},
		DefaultMode: ptr.To[int32](0o444),
	}}}
}

func robotContainer(robot *rpav1alpha1.Robot, run *rpav1alpha1.RobotRun, args map[string]string) corev1.Container {
	t := robot.Spec.Template
	return corev1.Container{
		Name:            ContainerName,
		Image:           t.Image,
		ImagePullPolicy: t.ImagePullPolicy,
		Command:         t.Command,
		Args:            t.Args,
		WorkingDir:      t.WorkingDir,
		Env:             append(operatorEnv(robot, run, args), t.Env...),
		EnvFrom:         append(credentialEnvFrom(robot), t.EnvFrom...),
		Resources:       t.Resources,
		VolumeMounts:    append(operatorMounts(robot), t.VolumeMounts...),
		// The robot's JSON summary is read from the termination message; if
		// the robot dies without writing one, the end of its log is kept
		// instead, so that the reason is visible on the RobotRun.
		TerminationMessagePath:   corev1.TerminationMessagePathDefault,
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false),
			ReadOnlyRootFilesystem:   ptr.To(true),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
	}
}

// operatorEnv is the environment the robot contract promises, arguments
// sorted by name so that the Job is the same for the same input.
func operatorEnv(robot *rpav1alpha1.Robot, run *rpav1alpha1.RobotRun, args map[string]string) []corev1.EnvVar {
	env := []corev1.EnvVar{
		{Name: "RPA_RUN_NAME", Value: run.Name},
		{Name: "RPA_ROBOT_NAME", Value: robot.Name},
		{Name: "RPA_NAMESPACE", Value: run.Namespace},
		{Name: "RPA_TRIGGER", Value: string(triggerType(run))},
		{Name: "RPA_RUN_FILE", Value: RunFilePath},
		{Name: "RPA_CREDENTIALS_DIR", Value: CredentialsDir},
		{Name: "RPA_BUSINESS_EXCEPTION_EXIT_CODE", Value: fmt.Sprint(BusinessExceptionExitCode(robot))},
	}
	if t := run.Spec.Trigger.ScheduledTime; t != nil {
		env = append(env, corev1.EnvVar{Name: "RPA_SCHEDULED_TIME", Value: t.UTC().Format(time.RFC3339)})
	}
	if q := run.Spec.Trigger.Queue; q != "" {
		env = append(env, corev1.EnvVar{Name: "RPA_QUEUE", Value: q})
	}
	for _, name := range slices.Sorted(maps.Keys(args)) {
		env = append(env, corev1.EnvVar{Name: ArgumentEnvName(name), Value: args[name]})
	}
	return env
}

// credentialEnvFrom exposes the keys of credentials with env: true as
// RPA_CREDENTIAL_<NAME>_<key>. envFrom needs no key names, so the operator
// never has to read a Secret's data to build the pod.
func credentialEnvFrom(robot *rpav1alpha1.Robot) []corev1.EnvFromSource {
	var from []corev1.EnvFromSource
	for _, c := range robot.Spec.Credentials {
		if !c.Env {
			continue
		}
		from = append(from, corev1.EnvFromSource{
			Prefix:    CredentialEnvPrefix(c.Name),
			SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: c.SecretName}},
		})
	}
	return from
}

// operatorVolumes are the run file (downward API, from the pod's own
// annotation: no extra object per run), a writable /tmp under the read-only
// root filesystem, and one read-only Secret volume per credential.
func operatorVolumes(robot *rpav1alpha1.Robot) []corev1.Volume {
	volumes := make([]corev1.Volume, 0, 2+len(robot.Spec.Credentials))
	volumes = append(volumes,
		corev1.Volume{Name: volumeRunInfo, VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{
			Items: []corev1.DownwardAPIVolumeFile{{
				Path:     "run.json",
				FieldRef: &corev1.ObjectFieldSelector{FieldPath: fmt.Sprintf("metadata.annotations['%s']", rpav1alpha1.AnnotationRunJSON)},
			}},
		}}},
		corev1.Volume{Name: volumeTmp, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
	)
	for _, c := range robot.Spec.Credentials {
		volumes = append(volumes, corev1.Volume{
			Name: credentialVolume(c.Name),
			VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
				SecretName: c.SecretName,
				// Readable by the robot's non-root user without an fsGroup.
				DefaultMode: ptr.To[int32](0o444),
			}},
		})
	}
	return volumes
}

// credentialVolume is the volume of a credential: a DNS label of at most 63
// characters whatever the credential's name (up to 63 itself).
func credentialVolume(name string) string {
	return LabelValue(credentialLabel + name)
}

func operatorMounts(robot *rpav1alpha1.Robot) []corev1.VolumeMount {
	mounts := make([]corev1.VolumeMount, 0, 2+len(robot.Spec.Credentials))
	mounts = append(mounts,
		// A subPath mount of the one file, so that /var/run/rpa itself stays
		// an ordinary directory that the credential mounts can nest in.
		corev1.VolumeMount{Name: volumeRunInfo, MountPath: RunFilePath, SubPath: "run.json", ReadOnly: true},
		corev1.VolumeMount{Name: volumeTmp, MountPath: "/tmp"},
	)
	for _, c := range robot.Spec.Credentials {
		mounts = append(mounts, corev1.VolumeMount{
			Name:      credentialVolume(c.Name),
			MountPath: CredentialsDir + "/" + c.Name,
			ReadOnly:  true,
		})
	}
	return mounts
}
