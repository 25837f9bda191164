package integration

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// These tests prove the CRDs from config/crd are what the apiserver serves:
// objects round-trip, defaults come from the schema (so Git and the cluster
// agree), and bad input is rejected at apply time with a specific message.

func minimalRobot(namespace, name string) *rpav1alpha1.Robot {
	return &rpav1alpha1.Robot{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: rpav1alpha1.RobotSpec{
			Template: rpav1alpha1.RobotTemplate{Image: "registry.example/robots/welcome-letters:1.0.0"},
		},
	}
}

func TestRobotRoundTripsWithSchemaDefaults(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)

	robot := minimalRobot(ns, "welcome-letters")
	robot.Spec.Description = "Welcome letters to new residents"
	robot.Spec.Parameters = []rpav1alpha1.Parameter{{Name: "batchSize", Default: ptr.To("40")}}
	g.Expect(k8sClient.Create(ctx, robot)).To(Succeed())

	got := &rpav1alpha1.Robot{}
	g.Expect(k8sClient.Get(ctx, objectKey(robot), got)).To(Succeed())
	g.Expect(got.Spec.Description).To(Equal("Welcome letters to new residents"))
	g.Expect(got.Spec.Parameters).To(Equal(robot.Spec.Parameters))
	g.Expect(got.Spec.Timeout).To(Equal(&metav1.Duration{Duration: time.Hour}))
	g.Expect(got.Spec.Retries).To(Equal(rpav1alpha1.RetryPolicy{Limit: 0, BusinessExceptionExitCode: 3}))
	g.Expect(got.Spec.ConcurrencyPolicy).To(Equal(rpav1alpha1.ConcurrencyForbid))
	g.Expect(*got.Spec.SuccessfulRunsHistoryLimit).To(Equal(int32(10)))
	g.Expect(*got.Spec.FailedRunsHistoryLimit).To(Equal(int32(10)))
}

func TestRobotRunDefaultsToManualTrigger(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)

	run := &rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "by-hand"},
		Spec:       rpav1alpha1.RobotRunSpec{RobotName: "welcome-letters", Arguments: map[string]string{"batchSize": "10"}},
	}
	g.Expect(k8sClient.Create(ctx, run)).To(Succeed())
	got := &rpav1alpha1.RobotRun{}
	g.Expect(k8sClient.Get(ctx, objectKey(run), got)).To(Succeed())
	g.Expect(got.Spec.Trigger.Type).To(Equal(rpav1alpha1.TriggerManual))
	g.Expect(got.Spec.Arguments).To(Equal(map[string]string{"batchSize": "10"}))
}

func TestSchemaRejectsInvalidRobots(t *testing.T) {
	ns := newNamespace(t)
	tests := []struct {
		name    string
		mutate  func(*rpav1alpha1.Robot)
		wantErr string
	}{
		{
			name:    "empty image",
			mutate:  func(r *rpav1alpha1.Robot) { r.Spec.Template.Image = "" },
			wantErr: "spec.template.image",
		},
		{
			name:    "business exception exit code 2",
			mutate:  func(r *rpav1alpha1.Robot) { r.Spec.Retries.BusinessExceptionExitCode = 2 },
			wantErr: "exit code 2 means a usage error",
		},
		{
			name:    "negative retry limit",
			mutate:  func(r *rpav1alpha1.Robot) { r.Spec.Retries.Limit = -1 },
			wantErr: "spec.retries.limit",
		},
		{
			name: "parameter that is not an identifier",
			mutate: func(r *rpav1alpha1.Robot) {
				r.Spec.Parameters = []rpav1alpha1.Parameter{{Name: "batch-size"}}
			},
			wantErr: "spec.parameters[0].name",
		},
		{
			name: "parameter names equal ignoring case",
			mutate: func(r *rpav1alpha1.Robot) {
				r.Spec.Parameters = []rpav1alpha1.Parameter{{Name: "date"}, {Name: "DATE"}}
			},
			wantErr: "parameter names must be unique ignoring case",
		},
		{
			name: "required parameter with a default",
			mutate: func(r *rpav1alpha1.Robot) {
				r.Spec.Parameters = []rpav1alpha1.Parameter{{Name: "date", Required: true, Default: ptr.To("2026-01-01")}}
			},
			wantErr: "a required parameter cannot have a default",
		},
		{
			name: "timeout beyond a week",
			mutate: func(r *rpav1alpha1.Robot) {
				r.Spec.Timeout = &metav1.Duration{Duration: 200 * time.Hour}
			},
			wantErr: "timeout must be between 1s and 168h",
		},
		{
			name: "reserved environment variable",
			mutate: func(r *rpav1alpha1.Robot) {
				r.Spec.Template.Env = append(r.Spec.Template.Env, envVar("RPA_ARG_DATE", "x"))
			},
			wantErr: "reserved for the operator",
		},
		{
			name: "cron with four fields",
			mutate: func(r *rpav1alpha1.Robot) {
				r.Spec.Schedules = []rpav1alpha1.Schedule{{Name: "daily", Cron: "0 7 * *"}}
			},
			wantErr: "cron must have 5 fields",
		},
		{
			name: "time zone inside the cron expression",
			mutate: func(r *rpav1alpha1.Robot) {
				r.Spec.Schedules = []rpav1alpha1.Schedule{{Name: "daily", Cron: "CRON_TZ=Europe/Copenhagen 0 7 * * *"}}
			},
			wantErr: "set the time zone in timeZone",
		},
		{
			name: "two schedules with one name",
			mutate: func(r *rpav1alpha1.Robot) {
				r.Spec.Schedules = []rpav1alpha1.Schedule{{Name: "daily", Cron: "0 7 * * *"}, {Name: "daily", Cron: "0 8 * * *"}}
			},
			wantErr: "Duplicate value",
		},
		{
			name: "time zone that is not a zone name",
			mutate: func(r *rpav1alpha1.Robot) {
				r.Spec.Schedules = []rpav1alpha1.Schedule{{Name: "daily", Cron: "0 7 * * *", TimeZone: "CET; rm -rf"}}
			},
			wantErr: "spec.schedules[0].timeZone",
		},
		{
			name:    "unknown concurrency policy",
			mutate:  func(r *rpav1alpha1.Robot) { r.Spec.ConcurrencyPolicy = "Sometimes" },
			wantErr: "spec.concurrencyPolicy",
		},
		{
			name: "credential name with capitals",
			mutate: func(r *rpav1alpha1.Robot) {
				r.Spec.Credentials = []rpav1alpha1.Credential{{Name: "ESDH", SecretName: "esdh"}}
			},
			wantErr: "spec.credentials[0].name",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			robot := minimalRobot(ns, "invalid")
			tt.mutate(robot)
			err := k8sClient.Create(context.Background(), robot)
			g.Expect(err).To(HaveOccurred())
			g.Expect(err.Error()).To(ContainSubstring(tt.wantErr))
		})
	}
}

func TestRobotRunSpecIsImmutableButCancellable(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	run := &rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "run"},
		Spec:       rpav1alpha1.RobotRunSpec{RobotName: "welcome-letters"},
	}
	g.Expect(k8sClient.Create(ctx, run)).To(Succeed())

	err := updateRun(run, func(r *rpav1alpha1.RobotRun) { r.Spec.RobotName = "other-robot" })
	g.Expect(err).To(HaveOccurred())
	g.Expect(err.Error()).To(ContainSubstring("robotName is immutable"))

	err = updateRun(run, func(r *rpav1alpha1.RobotRun) { r.Spec.Arguments = map[string]string{"date": "2026-11-22"} })
	g.Expect(err).To(HaveOccurred())
	g.Expect(err.Error()).To(ContainSubstring("arguments are immutable"))

	g.Expect(updateRun(run, func(r *rpav1alpha1.RobotRun) { r.Spec.Cancel = true })).To(Succeed())

	err = updateRun(run, func(r *rpav1alpha1.RobotRun) { r.Spec.Cancel = false })
	g.Expect(err).To(HaveOccurred())
	g.Expect(err.Error()).To(ContainSubstring("a cancelled run cannot be un-cancelled"))
}

// updateRun applies mutate to the run's latest version, retrying only on
// conflicts with the controller's own writes; validation errors are returned.
func updateRun(run *rpav1alpha1.RobotRun, mutate func(*rpav1alpha1.RobotRun)) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		current := &rpav1alpha1.RobotRun{}
		if err := k8sClient.Get(context.Background(), objectKey(run), current); err != nil {
			return err
		}
		mutate(current)
		return k8sClient.Update(context.Background(), current)
	})
}

// A duration the typed client cannot express ("1d") is written as YAML would.
func TestSchemaRejectsTimeoutThatIsNotADuration(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	robot := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rpa.dev/v1alpha1",
		"kind":       "Robot",
		"metadata":   map[string]any{"namespace": ns, "name": "one-day"},
		"spec": map[string]any{
			"template": map[string]any{"image": "registry.example/robots/a:1"},
			"timeout":  "1d",
		},
	}}
	err := k8sClient.Create(context.Background(), robot)
	g.Expect(err).To(HaveOccurred())
	g.Expect(err.Error()).To(ContainSubstring("spec.timeout"))
}
