package jobs

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

func testRobot() *rpav1alpha1.Robot {
	return &rpav1alpha1.Robot{
		ObjectMeta: metav1.ObjectMeta{Namespace: "aalborg-hr", Name: "certificate-journal"},
		Spec: rpav1alpha1.RobotSpec{
			Template: rpav1alpha1.RobotTemplate{
				Image:   "registry.example/robots/certificate-journal@sha256:0123",
				Command: []string{"/robot"},
				Env:     []corev1.EnvVar{{Name: "ESDH_URL", Value: "https://esdh.example"}},
			},
			Credentials: []rpav1alpha1.Credential{
				{Name: "esdh", SecretName: "esdh-robot-account"},
				{Name: "digital-post", SecretName: "dp-account", Env: true},
			},
			Timeout: &metav1.Duration{Duration: 45 * time.Minute},
			Retries: rpav1alpha1.RetryPolicy{Limit: 2, BusinessExceptionExitCode: 3},
		},
	}
}

func testRun() *rpav1alpha1.RobotRun {
	return &rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: "aalborg-hr", Name: "certificate-journal-manual-abcde", UID: types.UID("run-uid")},
		Spec: rpav1alpha1.RobotRunSpec{
			RobotName: "certificate-journal",
			Trigger: rpav1alpha1.Trigger{
				Type:          rpav1alpha1.TriggerSchedule,
				Schedule:      "weekdays",
				ScheduledTime: &metav1.Time{Time: time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)},
			},
		},
	}
}

func mustBuild(t *testing.T, robot *rpav1alpha1.Robot, run *rpav1alpha1.RobotRun, args map[string]string) *batchv1.Job {
	t.Helper()
	job, err := Build(robot, run, args, false)
	if err != nil {
		t.Fatal(err)
	}
	return job
}

func TestBuildIdentityAndOwnership(t *testing.T) {
	job := mustBuild(t, testRobot(), testRun(), nil)
	if job.Name != "certificate-journal-manual-abcde" || job.Namespace != "aalborg-hr" {
		t.Errorf("job %s/%s", job.Namespace, job.Name)
	}
	owner := job.OwnerReferences[0]
	if owner.Kind != "RobotRun" || owner.UID != "run-uid" || !*owner.Controller || !*owner.BlockOwnerDeletion {
		t.Errorf("owner reference %+v", owner)
	}
	for _, labels := range []map[string]string{job.Labels, job.Spec.Template.Labels} {
		if labels[rpav1alpha1.LabelRobot] != "certificate-journal" || labels[rpav1alpha1.LabelRun] != "certificate-journal-manual-abcde" ||
			labels[rpav1alpha1.LabelManagedBy] != rpav1alpha1.ManagedBy || labels["app.kubernetes.io/instance"] != "certificate-journal" {
			t.Errorf("labels %v", labels)
		}
	}
	if job.Spec.Template.Annotations[rpav1alpha1.AnnotationRunName] != "certificate-journal-manual-abcde" {
		t.Errorf("pod template lacks the run name annotation")
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	args := map[string]string{"b": "2", "a": "1", "c": "3"}
	first := mustBuild(t, testRobot(), testRun(), args)
	for range 20 {
		if again := mustBuild(t, testRobot(), testRun(), args); !reflect.DeepEqual(first, again) {
			t.Fatal("the same run built two different Jobs")
		}
	}
}

func TestBuildRetriesTimeoutAndFailurePolicy(t *testing.T) {
	tests := []struct {
		name         string
		robotTimeout *metav1.Duration
		runTimeout   *metav1.Duration
		businessCode int32
		wantDeadline int64
		wantCode     int32
	}{
		{name: "robot timeout", robotTimeout: &metav1.Duration{Duration: 45 * time.Minute}, businessCode: 3, wantDeadline: 2700, wantCode: 3},
		{name: "run overrides robot", robotTimeout: &metav1.Duration{Duration: time.Hour}, runTimeout: &metav1.Duration{Duration: 90 * time.Second}, businessCode: 3, wantDeadline: 90, wantCode: 3},
		{name: "neither set: one hour", businessCode: 0, wantDeadline: 3600, wantCode: 3},
		{name: "custom business exception code", robotTimeout: &metav1.Duration{Duration: time.Minute}, businessCode: 42, wantDeadline: 60, wantCode: 42},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			robot, run := testRobot(), testRun()
			robot.Spec.Timeout, run.Spec.Timeout = tt.robotTimeout, tt.runTimeout
			robot.Spec.Retries.BusinessExceptionExitCode = tt.businessCode
			spec := mustBuild(t, robot, run, nil).Spec
			if *spec.ActiveDeadlineSeconds != tt.wantDeadline {
				t.Errorf("activeDeadlineSeconds = %d, want %d", *spec.ActiveDeadlineSeconds, tt.wantDeadline)
			}
			if *spec.BackoffLimit != 2 || *spec.Completions != 1 || *spec.Parallelism != 1 {
				t.Errorf("backoffLimit %d completions %d parallelism %d", *spec.BackoffLimit, *spec.Completions, *spec.Parallelism)
			}
			if *spec.PodReplacementPolicy != batchv1.Failed {
				t.Errorf("a retry must wait for the failed pod to stop")
			}
			rules := spec.PodFailurePolicy.Rules
			if len(rules) != 2 {
				t.Fatalf("rules %+v", rules)
			}
			if rules[0].Action != batchv1.PodFailurePolicyActionFailJob || *rules[0].OnExitCodes.ContainerName != ContainerName ||
				rules[0].OnExitCodes.Operator != batchv1.PodFailurePolicyOnExitCodesOpIn ||
				!reflect.DeepEqual(rules[0].OnExitCodes.Values, []int32{tt.wantCode}) {
				t.Errorf("business exception rule %+v", rules[0])
			}
			if rules[1].Action != batchv1.PodFailurePolicyActionIgnore || rules[1].OnPodConditions[0].Type != corev1.DisruptionTarget {
				t.Errorf("disruption rule %+v", rules[1])
			}
		})
	}
}

func TestBuildRestrictedPodSecurity(t *testing.T) {
	pod := mustBuild(t, testRobot(), testRun(), nil).Spec.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy %s", pod.RestartPolicy)
	}
	if !*pod.SecurityContext.RunAsNonRoot || pod.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod security context %+v", pod.SecurityContext)
	}
	c := pod.Containers[0].SecurityContext
	if *c.AllowPrivilegeEscalation || !*c.ReadOnlyRootFilesystem || !reflect.DeepEqual(c.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("container security context %+v", c)
	}
	if pod.Containers[0].TerminationMessagePolicy != corev1.TerminationMessageFallbackToLogsOnError {
		t.Errorf("terminationMessagePolicy %s", pod.Containers[0].TerminationMessagePolicy)
	}
	if !hasMount(pod.Containers[0], "/tmp") {
		t.Errorf("no writable /tmp")
	}
}

func TestBuildServiceAccountToken(t *testing.T) {
	robot := testRobot()
	if pod := mustBuild(t, robot, testRun(), nil).Spec.Template.Spec; *pod.AutomountServiceAccountToken {
		t.Errorf("a robot without a service account must get no API token")
	}
	robot.Spec.Template.ServiceAccountName = "journal-reader"
	pod := mustBuild(t, robot, testRun(), nil).Spec.Template.Spec
	if !*pod.AutomountServiceAccountToken || pod.ServiceAccountName != "journal-reader" {
		t.Errorf("a robot with a service account gets its token")
	}
}

func TestBuildArgumentsAsEnvAndRunFile(t *testing.T) {
	job := mustBuild(t, testRobot(), testRun(), map[string]string{"batchSize": "40", "date": "2026-11-23"})
	env := envMap(job.Spec.Template.Spec.Containers[0])
	want := map[string]string{
		"RPA_ARG_BATCHSIZE":                "40",
		"RPA_ARG_DATE":                     "2026-11-23",
		"RPA_RUN_NAME":                     "certificate-journal-manual-abcde",
		"RPA_ROBOT_NAME":                   "certificate-journal",
		"RPA_NAMESPACE":                    "aalborg-hr",
		"RPA_TRIGGER":                      "Schedule",
		"RPA_SCHEDULED_TIME":               "2026-11-23T06:00:00Z",
		"RPA_RUN_FILE":                     "/var/run/rpa/run.json",
		"RPA_CREDENTIALS_DIR":              "/var/run/rpa/credentials",
		"RPA_BUSINESS_EXCEPTION_EXIT_CODE": "3",
		"ESDH_URL":                         "https://esdh.example",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("env %s = %q, want %q", k, env[k], v)
		}
	}

	var file RunFile
	if err := json.Unmarshal([]byte(job.Spec.Template.Annotations[rpav1alpha1.AnnotationRunJSON]), &file); err != nil {
		t.Fatalf("run.json annotation: %v", err)
	}
	wantFile := RunFile{
		RunName: "certificate-journal-manual-abcde", Namespace: "aalborg-hr", Robot: "certificate-journal",
		Trigger:   RunFileTrigger{Type: rpav1alpha1.TriggerSchedule, Schedule: "weekdays", ScheduledTime: "2026-11-23T06:00:00Z"},
		Arguments: map[string]string{"batchSize": "40", "date": "2026-11-23"},
	}
	if !reflect.DeepEqual(file, wantFile) {
		t.Errorf("run.json = %+v, want %+v", file, wantFile)
	}
	pod := job.Spec.Template.Spec
	runVolume := findVolume(pod, volumeRunInfo)
	if runVolume == nil || runVolume.DownwardAPI.Items[0].FieldRef.FieldPath != "metadata.annotations['rpa.dev/run-json']" {
		t.Errorf("run.json is not projected from the annotation: %+v", runVolume)
	}
	if !hasMount(pod.Containers[0], RunFilePath) {
		t.Errorf("run.json not mounted at %s", RunFilePath)
	}
}

func TestBuildManualRunWithoutArgumentsHasEmptyArgumentObject(t *testing.T) {
	run := testRun()
	run.Spec.Trigger = rpav1alpha1.Trigger{}
	job := mustBuild(t, testRobot(), run, nil)
	var file map[string]any
	if err := json.Unmarshal([]byte(job.Spec.Template.Annotations[rpav1alpha1.AnnotationRunJSON]), &file); err != nil {
		t.Fatal(err)
	}
	if args, ok := file["arguments"].(map[string]any); !ok || len(args) != 0 {
		t.Errorf("arguments = %v, want {}", file["arguments"])
	}
	if file["trigger"].(map[string]any)["type"] != "Manual" {
		t.Errorf("trigger = %v, want Manual", file["trigger"])
	}
	if _, ok := envMap(job.Spec.Template.Spec.Containers[0])["RPA_SCHEDULED_TIME"]; ok {
		t.Errorf("a manual run has no scheduled time")
	}
	if _, ok := envMap(job.Spec.Template.Spec.Containers[0])["RPA_QUEUE"]; ok {
		t.Errorf("a manual run has no queue")
	}
}

func TestBuildQueueRunNamesItsQueue(t *testing.T) {
	run := testRun()
	run.Spec.Trigger = rpav1alpha1.Trigger{Type: rpav1alpha1.TriggerQueue, Queue: "certificates"}
	env := envMap(mustBuild(t, testRobot(), run, nil).Spec.Template.Spec.Containers[0])
	if env["RPA_TRIGGER"] != "Queue" || env["RPA_QUEUE"] != "certificates" {
		t.Errorf("RPA_TRIGGER=%q RPA_QUEUE=%q, want Queue and certificates", env["RPA_TRIGGER"], env["RPA_QUEUE"])
	}
}

// TestBuildQueueAccess: only a robot that uses a queue gets a token, bound
// to its pod and short-lived, with the CA to check the apiserver; the
// ServiceAccount's own token stays unmounted.
func TestBuildQueueAccess(t *testing.T) {
	if pod := mustBuild(t, testRobot(), testRun(), nil).Spec.Template.Spec; findVolume(pod, volumeQueueAccess) != nil ||
		hasMount(pod.Containers[0], QueueAccessDir) {
		t.Errorf("a robot without a queue got queue access")
	}
	job, err := Build(testRobot(), testRun(), nil, true)
	if err != nil {
		t.Fatal(err)
	}
	pod := job.Spec.Template.Spec
	v := findVolume(pod, volumeQueueAccess)
	if v == nil || v.Projected == nil || len(v.Projected.Sources) != 2 {
		t.Fatalf("queue access volume = %+v, want a projected token and CA", v)
	}
	token := v.Projected.Sources[0].ServiceAccountToken
	if token == nil || token.Path != "token" || token.ExpirationSeconds == nil || *token.ExpirationSeconds > 3600 || token.Audience != "" {
		t.Errorf("token = %+v, want a pod-bound token for the apiserver of at most an hour", token)
	}
	if ca := v.Projected.Sources[1].ConfigMap; ca == nil || ca.Name != "kube-root-ca.crt" {
		t.Errorf("CA source = %+v, want kube-root-ca.crt", ca)
	}
	if !hasMount(pod.Containers[0], QueueAccessDir) {
		t.Errorf("the token is not mounted at %s", QueueAccessDir)
	}
	if *pod.AutomountServiceAccountToken {
		t.Errorf("the ServiceAccount's own token is mounted too")
	}
	if pod.ServiceAccountName != "default" {
		t.Errorf("serviceAccountName = %q, want default: the apiserver refuses a projected token without one", pod.ServiceAccountName)
	}
}

func TestBuildCredentials(t *testing.T) {
	pod := mustBuild(t, testRobot(), testRun(), nil).Spec.Template.Spec
	container := pod.Containers[0]
	for _, c := range []struct{ volume, secret, path string }{
		{"rpa-credential-esdh", "esdh-robot-account", "/var/run/rpa/credentials/esdh"},
		{"rpa-credential-digital-post", "dp-account", "/var/run/rpa/credentials/digital-post"},
	} {
		v := findVolume(pod, c.volume)
		if v == nil || v.Secret == nil || v.Secret.SecretName != c.secret || *v.Secret.DefaultMode != 0o444 {
			t.Errorf("volume %s = %+v", c.volume, v)
		}
		if !hasReadOnlyMount(container, c.path) {
			t.Errorf("credential not mounted read-only at %s", c.path)
		}
	}
	wantEnvFrom := []corev1.EnvFromSource{{
		Prefix:    "RPA_CREDENTIAL_DIGITAL_POST_",
		SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "dp-account"}},
	}}
	if !reflect.DeepEqual(container.EnvFrom, wantEnvFrom) {
		t.Errorf("envFrom = %+v, want only the env: true credential", container.EnvFrom)
	}
}

func TestBuildKeepsUserVolumesAndPodSettings(t *testing.T) {
	robot := testRobot()
	robot.Spec.Template.Volumes = []corev1.Volume{{Name: "letters", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	robot.Spec.Template.VolumeMounts = []corev1.VolumeMount{{Name: "letters", MountPath: "/letters"}}
	robot.Spec.Template.NodeSelector = map[string]string{"zone": "dmz"}
	robot.Spec.Template.PriorityClassName = "robots-high"
	robot.Spec.Template.ImagePullPolicy = corev1.PullIfNotPresent
	pod := mustBuild(t, robot, testRun(), nil).Spec.Template.Spec
	if findVolume(pod, "letters") == nil || !hasMount(pod.Containers[0], "/letters") {
		t.Errorf("user volume or mount lost")
	}
	if pod.NodeSelector["zone"] != "dmz" || pod.PriorityClassName != "robots-high" || pod.Containers[0].ImagePullPolicy != corev1.PullIfNotPresent {
		t.Errorf("pod settings lost: %+v", pod)
	}
	if *pod.EnableServiceLinks {
		t.Errorf("service links must be off")
	}
	if pod.Containers[0].Image != robot.Spec.Template.Image || pod.Containers[0].Name != ContainerName {
		t.Errorf("container %s image %s", pod.Containers[0].Name, pod.Containers[0].Image)
	}
}

func envMap(c corev1.Container) map[string]string {
	m := map[string]string{}
	for _, e := range c.Env {
		m[e.Name] = e.Value
	}
	return m
}

func findVolume(pod corev1.PodSpec, name string) *corev1.Volume {
	for i := range pod.Volumes {
		if pod.Volumes[i].Name == name {
			return &pod.Volumes[i]
		}
	}
	return nil
}

func hasMount(c corev1.Container, path string) bool {
	for _, m := range c.VolumeMounts {
		if m.MountPath == path {
			return true
		}
	}
	return false
}

func hasReadOnlyMount(c corev1.Container, path string) bool {
	for _, m := range c.VolumeMounts {
		if m.MountPath == path {
			return m.ReadOnly
		}
	}
	return false
}

// TestLongCredentialNamesMakeValidVolumes: a credential name may have the 63
// characters the CRD allows; its volume name must still be a DNS label,
// distinct per credential, and its mount must use it.
func TestLongCredentialNamesMakeValidVolumes(t *testing.T) {
	long := strings.Repeat("a", 49)
	longest := strings.Repeat("b", 63)
	robot := testRobot()
	robot.Spec.Credentials = []rpav1alpha1.Credential{
		{Name: long, SecretName: "s1"}, {Name: long + "x", SecretName: "s2"}, {Name: longest, SecretName: "s3"},
	}
	pod := mustBuild(t, robot, testRun(), nil).Spec.Template.Spec
	names := map[string]bool{}
	for _, v := range pod.Volumes {
		if problems := validation.IsDNS1123Label(v.Name); len(problems) > 0 {
			t.Errorf("volume %q: %v", v.Name, problems)
		}
		names[v.Name] = true
	}
	if len(names) != len(pod.Volumes) {
		t.Errorf("volume names collide: %v", names)
	}
	for _, m := range pod.Containers[0].VolumeMounts {
		if !names[m.Name] {
			t.Errorf("mount %s at %s names no volume", m.Name, m.MountPath)
		}
	}
	for _, c := range robot.Spec.Credentials {
		if !hasReadOnlyMount(pod.Containers[0], CredentialsDir+"/"+c.Name) {
			t.Errorf("credential %s not mounted", c.Name)
		}
	}
}
