package integration

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/server/itemsapi"
	"github.com/rpa-operator/rpa-operator/internal/server/queuestatus"
	"github.com/rpa-operator/rpa-operator/internal/workqueue/store"
)

// The bad-input catalogue (docs/bad-input.md): inputs users get wrong, where
// each is caught, and the words they then read. Every case asserts that
// text against the real apiserver, admission policies, controllers and
// work-item API, and that docs/bad-input.md quotes it, so the doc and the
// behaviour cannot drift apart. A case's says may hold placeholders
// (<namespace>, <pod>, <held item>) that the doc keeps and the test fills
// in. Inputs accepted silently today are listed in the doc's Known gaps,
// not here: a test would pin them.

// badInputDoc is docs/bad-input.md, read once.
func badInputDoc(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "bad-input.md"))
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return string(data)
}

// expectDocQuotes checks that the doc quotes says, as a table cell writes
// it (a | escaped).
func expectDocQuotes(g Gomega, doc, says string) {
	g.Expect(doc).To(ContainSubstring(strings.ReplaceAll(says, "|", `\|`)), "docs/bad-input.md must quote the error")
}

// manifests decodes YAML documents, as kubectl reads a file, with
// placeholders replaced; namespaced objects go to ns.
func manifests(g Gomega, text string, fill *strings.Replacer, ns string) []*unstructured.Unstructured {
	var objs []*unstructured.Unstructured
	for _, doc := range strings.Split(fill.Replace(text), "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		obj := &unstructured.Unstructured{}
		g.Expect(yaml.Unmarshal([]byte(doc), &obj.Object)).To(Succeed(), doc)
		if obj.GetKind() != "TargetSystem" {
			obj.SetNamespace(ns)
		}
		objs = append(objs, obj)
	}
	return objs
}

// applyStrictly creates obj as kubectl apply does: unknown fields are
// errors (kubectl's --validate=strict, its default).
func applyStrictly(ctx context.Context, c client.Client, obj *unstructured.Unstructured) error {
	return c.Create(ctx, obj, client.FieldValidation(metav1.FieldValidationStrict))
}

// deleteAfter deletes the objects when the test ends: TargetSystems are
// cluster-scoped and would outlive the test's namespace.
func deleteAfter(t *testing.T, objs ...*unstructured.Unstructured) {
	t.Cleanup(func() {
		for _, obj := range objs {
			_ = k8sClient.Delete(context.Background(), obj)
		}
	})
}

// TestBadInputRefusedAtApplyTime: manifests the apiserver refuses, by the
// CRD schema (OpenAPI and CEL rules) or an admission policy of
// config/admission, with the words kubectl prints. Nothing is created.
func TestBadInputRefusedAtApplyTime(t *testing.T) {
	ns := newNamespace(t)
	doc := badInputDoc(t)
	editor := clientAs(t, ns, "rpa-developer", applyUserRole(t, "rpa_robot_editor_role.yaml"))
	fill := strings.NewReplacer("<namespace>", ns)
	cases := []struct {
		kind, name string
		// editor applies as a person with only rpa-robot-editor; else the
		// cluster admin.
		editor bool
		// manifest is applied; with patches it must be accepted, and the
		// patches are applied in turn (kubectl patch --type merge), the
		// last of them refused.
		manifest string
		patches  []string
		// refusal is the HTTP status: 422 schema or CEL, 403 policy, 400
		// a field the type does not have.
		refusal int32
		says    string
	}{
		// Robot.
		{kind: "Robot", name: "a cron expression with 6 fields (seconds)", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: six-fields}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0}
  schedules: [{name: weekdays, cron: "0 0 7 * * 1-5"}]`,
			says: `spec.schedules[0].cron: Invalid value: "0 0 7 * * 1-5": cron must have 5 fields (minute hour day-of-month month day-of-week) or be @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly`},
		{kind: "Robot", name: "the time zone inside the cron expression", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: cron-tz}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0}
  schedules: [{name: weekdays, cron: "CRON_TZ=Europe/Copenhagen 0 7 * * 1-5"}]`,
			says: `spec.schedules[0].cron: Invalid value: "CRON_TZ=Europe/Copenhagen 0 7 * * 1-5": set the time zone in timeZone, not in the cron expression`},
		{kind: "Robot", name: "a time zone that is not a zone name", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: zone-words}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0}
  schedules: [{name: weekdays, cron: "0 7 * * 1-5", timeZone: "Central European Time"}]`,
			says: `spec.schedules[0].timeZone: Invalid value: "Central European Time": spec.schedules[0].timeZone in body should match`},
		{kind: "Robot", name: "calendarPolicy without a calendar", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: policy-alone}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0}
  schedules: [{name: weekdays, cron: "0 7 * * 1-5", calendarPolicy: NextWorkingDay}]`,
			says: `spec.schedules[0]: Invalid value: calendarPolicy needs a calendar`},
		{kind: "Robot", name: "a volume named rpa-…", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: reserved-volume}
spec:
  template:
    image: registry.example/robots/welcome-letters:1.0.0
    volumes: [{name: rpa-scratch, emptyDir: {}}]`,
			says: `spec.template.volumes: Invalid value: volume names starting with rpa- are reserved for the operator`},
		{kind: "Robot", name: "a mount under /var/run/rpa", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: reserved-mount}
spec:
  template:
    image: registry.example/robots/welcome-letters:1.0.0
    volumes: [{name: scratch, emptyDir: {}}]
    volumeMounts: [{name: scratch, mountPath: /var/run/rpa/scratch}]`,
			says: `spec.template.volumeMounts: Invalid value: mount paths under /var/run/rpa are reserved for the operator`},
		{kind: "Robot", name: "an environment variable named RPA_…", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: reserved-env}
spec:
  template:
    image: registry.example/robots/welcome-letters:1.0.0
    env: [{name: RPA_ARG_DATE, value: "2026-12-01"}]`,
			says: `spec.template.env: Invalid value: environment variable names starting with RPA_ are reserved for the operator`},
		{kind: "Robot", name: "business exception exit code 2", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: exit-two}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0}
  retries: {businessExceptionExitCode: 2}`,
			says: `spec.retries.businessExceptionExitCode: Invalid value: 2: exit code 2 means a usage error to Go's flag package and Python's argparse; choose another code`},
		{kind: "Robot", name: "a timeout in days", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: one-day}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0}
  timeout: 1d`,
			says: `spec.timeout: Invalid value: "1d": spec.timeout in body should match '^([0-9]+(\.[0-9]+)?(ms`},
		{kind: "Robot", name: "a timeout over a week", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: long-timeout}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0}
  timeout: 200h`,
			says: `spec.timeout: Invalid value: "200h": timeout must be between 1s and 168h`},
		{kind: "Robot", name: "two parameters that differ only in case", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: date-twice}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0}
  parameters: [{name: date}, {name: DATE}]`,
			says: `spec.parameters: Invalid value: parameter names must be unique ignoring case, since each becomes the environment variable RPA_ARG_<NAME>`},
		{kind: "Robot", name: "a required parameter with a default", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: required-default}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0}
  parameters: [{name: date, required: true, default: "2026-01-01"}]`,
			says: `spec.parameters[0]: Invalid value: a required parameter cannot have a default`},
		{kind: "Robot", name: "a concurrency policy that does not exist", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: sometimes}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0}
  concurrencyPolicy: Sometimes`,
			says: `spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace", "Queue"`},
		{kind: "Robot", name: "a TargetSystem name with capitals", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: capital-system}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0}
  systems: [ESDH]`,
			says: `spec.systems[0]: Invalid value: "ESDH": spec.systems[0] in body should match`},
		{kind: "Robot", name: "a name over 63 characters", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: journal-criminal-record-certificates-for-new-employees-in-aalborg}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0}`,
			says: `Invalid value: a Robot's name is at most 63 characters, since it is used as a label value on its Jobs and pods`},
		{kind: "Robot", name: "a misspelt field (schedule for schedules)", refusal: 400, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: typo}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0}
  schedule: [{name: weekdays, cron: "0 7 * * 1-5"}]`,
			says: `strict decoding error: unknown field "spec.schedule"`},
		{kind: "Robot", name: "a schedule argument that is not an identifier", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: dash-argument}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0}
  parameters: [{name: batch_size}]
  schedules: [{name: weekdays, cron: "0 7 * * 1-5", arguments: {batch-size: "40"}}]`,
			says: `spec.schedules[0].arguments: Invalid value: argument names are identifiers of at most 63 characters (letters, digits, underscores)`},
		{kind: "Robot", name: "an editor naming a Secret they may not read", editor: true, refusal: 403, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: payroll}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0}
  credentials: [{name: db, secretName: payroll-db}]`,
			says: `ValidatingAdmissionPolicy 'rpa-robot-references' with binding 'rpa-robot-references' denied request: a Robot may use only Secrets you may get yourself, and you may not get all of payroll-db in namespace <namespace>: its pod would hand you their values. Ask who may read them to add them`},
		{kind: "Robot", name: "an editor mounting a hostPath", editor: true, refusal: 403, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: node-root}
spec:
  template:
    image: registry.example/robots/welcome-letters:1.0.0
    volumes: [{name: root, hostPath: {path: /}}]`,
			says: `ValidatingAdmissionPolicy 'rpa-robot-references' with binding 'rpa-robot-references' denied request: volume(s) root are not configMap, secret, emptyDir, persistentVolumeClaim or downwardAPI volumes, which only whoever may create pods in namespace <namespace> may give a Robot`},
		{kind: "Robot", name: "an editor choosing the ServiceAccount", editor: true, refusal: 403, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: own-account}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0, serviceAccountName: namespace-admin}`,
			says: `ValidatingAdmissionPolicy 'rpa-robot-references' with binding 'rpa-robot-references' denied request: a Robot may run as ServiceAccount namespace-admin only for whoever may create pods in namespace <namespace>; leave serviceAccountName empty or ask the namespace admin to set it`},
		{kind: "Robot", name: "writing who suspended it", refusal: 403, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: claimed, annotations: {rpa.dev/suspended-by: the-director}}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0}`,
			says: `ValidatingAdmissionPolicy 'rpa-robot-suspender' with binding 'rpa-robot-suspender' denied request: the annotation rpa.dev/suspended-by is who set spec.suspend, as the apiserver authenticated them; leave it out, the admission policy rpa-robot-suspender sets it`},

		// RobotRun.
		{kind: "RobotRun", name: "cancel undone", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: RobotRun
metadata: {name: undo-cancel}
spec: {robotName: welcome-letters}`,
			patches: []string{`{"spec":{"cancel":true}}`, `{"spec":{"cancel":false}}`},
			says:    `spec: Invalid value: a cancelled run cannot be un-cancelled`},
		{kind: "RobotRun", name: "arguments changed after creation", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: RobotRun
metadata: {name: change-arguments}
spec: {robotName: welcome-letters, arguments: {date: "2026-12-01"}}`,
			patches: []string{`{"spec":{"arguments":{"date":"2026-12-02"}}}`},
			says:    `spec: Invalid value: arguments are immutable; create a new run instead`},
		{kind: "RobotRun", name: "robotName changed after creation", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: RobotRun
metadata: {name: change-robot}
spec: {robotName: welcome-letters}`,
			patches: []string{`{"spec":{"robotName":"certificate-journal"}}`},
			says:    `spec: Invalid value: robotName is immutable`},
		{kind: "RobotRun", name: "a robot name with capitals or underscores", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: RobotRun
metadata: {name: capital-robot}
spec: {robotName: Welcome_Letters}`,
			says: `spec.robotName: Invalid value: "Welcome_Letters": spec.robotName in body should match`},
		{kind: "RobotRun", name: "a timeout of 0s", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: RobotRun
metadata: {name: no-time}
spec: {robotName: welcome-letters, timeout: 0s}`,
			says: `spec.timeout: Invalid value: "0s": timeout must be between 1s and 168h`},
		{kind: "RobotRun", name: "a priority over 1000", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: RobotRun
metadata: {name: urgent}
spec: {robotName: welcome-letters, priority: 5000}`,
			says: `spec.priority: Invalid value: 5000: spec.priority in body should be less than or equal to 1000`},
		{kind: "RobotRun", name: "an argument name that is not an identifier", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: RobotRun
metadata: {name: dash-argument}
spec: {robotName: welcome-letters, arguments: {batch-size: "40"}}`,
			says: `spec.arguments: Invalid value: argument names are identifiers of at most 63 characters (letters, digits, underscores)`},
		{kind: "RobotRun", name: "a person's run claiming a schedule", refusal: 403, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: RobotRun
metadata: {name: claims-schedule}
spec: {robotName: welcome-letters, trigger: {type: Schedule, schedule: weekdays}}`,
			says: `ValidatingAdmissionPolicy 'rpa-robotrun-protection' with binding 'rpa-robotrun-protection' denied request: only the operator creates scheduled and queue-triggered runs: create a Manual (or API) run without trigger.schedule, trigger.scheduledTime and trigger.queue, for example with kubectl robot run`},
		{kind: "RobotRun", name: "a run owned by something else", refusal: 403, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: RobotRun
metadata:
  name: owned-elsewhere
  ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: cases, uid: 00000000-0000-0000-0000-000000000001}]
spec: {robotName: welcome-letters}`,
			says: `ValidatingAdmissionPolicy 'rpa-robotrun-protection' with binding 'rpa-robotrun-protection' denied request: a run may be owned only by its own Robot`},
		{kind: "RobotRun", name: "a finalizer of one's own", refusal: 403, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: RobotRun
metadata: {name: kept, finalizers: [example.com/keep]}
spec: {robotName: welcome-letters}`,
			says: `ValidatingAdmissionPolicy 'rpa-robotrun-protection' with binding 'rpa-robotrun-protection' denied request: only the operator sets finalizers on runs`},
		{kind: "RobotRun", name: "writing who cancelled it", refusal: 403, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: RobotRun
metadata: {name: claims-canceller}
spec: {robotName: welcome-letters, cancelledBy: {username: the-director}}`,
			says: `ValidatingAdmissionPolicy 'rpa-robotrun-requester' with binding 'rpa-robotrun-requester' denied request: spec.cancelledBy is who set spec.cancel, as the apiserver authenticated them; leave it out, the admission policy rpa-robotrun-canceller sets it`},

		// WorkQueue.
		{kind: "WorkQueue", name: "a trigger naming no robot", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: WorkQueue
metadata: {name: no-robot}
spec:
  trigger: {itemsPerRun: 10}`,
			says: `spec.trigger.robotName: Required value`},
		{kind: "WorkQueue", name: "a trigger with an empty robot name", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: WorkQueue
metadata: {name: empty-robot}
spec:
  trigger: {robotName: ""}`,
			says: `spec.trigger.robotName: Invalid value: "": spec.trigger.robotName in body should be at least 1 chars long`},
		{kind: "WorkQueue", name: "maxAttempts 0", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: WorkQueue
metadata: {name: no-attempts}
spec: {maxAttempts: 0}`,
			says: `spec.maxAttempts: Invalid value: 0: spec.maxAttempts in body should be greater than or equal to 1`},
		{kind: "WorkQueue", name: "a trigger's maxConcurrentRuns 0", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: WorkQueue
metadata: {name: no-runs}
spec:
  trigger: {robotName: certificate-journal, maxConcurrentRuns: 0}`,
			says: `spec.trigger.maxConcurrentRuns: Invalid value: 0: spec.trigger.maxConcurrentRuns in body should be greater than or equal to 1`},
		{kind: "WorkQueue", name: "uniqueReferences changed", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: WorkQueue
metadata: {name: certificates}
spec: {uniqueReferences: true}`,
			patches: []string{`{"spec":{"uniqueReferences":false}}`},
			says:    `spec.uniqueReferences: Invalid value: false: uniqueReferences cannot be changed; create a new queue`},
		{kind: "WorkQueue", name: "a retention in days", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: WorkQueue
metadata: {name: days}
spec: {retention: 30d}`,
			says: `spec.retention: Invalid value: "30d": spec.retention in body should match '^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$'`},
		{kind: "WorkQueue", name: "an SLA under a minute", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: WorkQueue
metadata: {name: hasty}
spec: {sla: 30s}`,
			says: `sla is a duration from 1m to 8760h (a year), such as 48h for two days: Go durations have no d unit`},
		{kind: "WorkQueue", name: "a name over 63 characters", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: WorkQueue
metadata: {name: criminal-record-certificates-of-new-employees-to-journal-in-esdh}`,
			says: `Invalid value: a WorkQueue's name is at most 63 characters: it labels the runs its trigger starts`},

		// RobotCalendar.
		{kind: "RobotCalendar", name: "a date written day first", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: RobotCalendar
metadata: {name: day-first}
spec: {extraClosedDates: ["24-12-2026"]}`,
			says: `spec.extraClosedDates[0]: Invalid value: "24-12-2026": spec.extraClosedDates[0] in body should match`},
		{kind: "RobotCalendar", name: "a 13th month", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: RobotCalendar
metadata: {name: month-13}
spec: {extraOpenDates: ["2026-13-01"]}`,
			says: `spec.extraOpenDates[0]: Invalid value: "2026-13-01": spec.extraOpenDates[0] in body should match`},
		{kind: "RobotCalendar", name: "a weekday abbreviated", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: RobotCalendar
metadata: {name: short-days}
spec: {workingDays: [Mon, Tue]}`,
			says: `spec.workingDays[0]: Unsupported value: "Mon": supported values: "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"`},
		{kind: "RobotCalendar", name: "no working days", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: RobotCalendar
metadata: {name: never-open}
spec: {workingDays: []}`,
			says: `spec.workingDays: Invalid value: 0: spec.workingDays in body should have at least 1 items`},
		{kind: "RobotCalendar", name: "holidays of a country not built in", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: RobotCalendar
metadata: {name: swedish}
spec: {holidays: {country: SE}}`,
			says: `spec.holidays.country: Unsupported value: "SE": supported values: "DK"`},
		{kind: "RobotCalendar", name: "a date both closed and open", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: RobotCalendar
metadata: {name: both}
spec: {extraClosedDates: ["12-24"], extraOpenDates: ["12-24"]}`,
			says: `spec: Invalid value: a date cannot be both in extraClosedDates and in extraOpenDates`},

		// TargetSystem.
		{kind: "TargetSystem", name: "no maxConcurrentRuns", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: TargetSystem
metadata: {name: <namespace>-unbounded}
spec: {description: Aalborg's ESDH}`,
			says: `spec.maxConcurrentRuns: Required value`},
		{kind: "TargetSystem", name: "a negative maxConcurrentRuns", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: TargetSystem
metadata: {name: <namespace>-negative}
spec: {maxConcurrentRuns: -1}`,
			says: `spec.maxConcurrentRuns: Invalid value: -1: spec.maxConcurrentRuns in body should be greater than or equal to 0`},
		{kind: "TargetSystem", name: "maxConcurrentRunsPerNamespace 0", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: TargetSystem
metadata: {name: <namespace>-no-share}
spec: {maxConcurrentRuns: 4, maxConcurrentRunsPerNamespace: 0}`,
			says: `spec.maxConcurrentRunsPerNamespace: Invalid value: 0: spec.maxConcurrentRunsPerNamespace in body should be greater than or equal to 1`},
		{kind: "TargetSystem", name: "a namespaceSelector operator that does not exist", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: TargetSystem
metadata: {name: <namespace>-among}
spec:
  maxConcurrentRuns: 4
  namespaceSelector:
    matchExpressions: [{key: department, operator: Among, values: [hr]}]`,
			says: `namespaceSelector: an expression's operator is In, NotIn, Exists or DoesNotExist`},
		{kind: "TargetSystem", name: "a namespaceSelector In without values", refusal: 422, manifest: `
apiVersion: rpa.dev/v1alpha1
kind: TargetSystem
metadata: {name: <namespace>-in-nothing}
spec:
  maxConcurrentRuns: 4
  namespaceSelector:
    matchExpressions: [{key: department, operator: In}]`,
			says: `namespaceSelector: In and NotIn need values; Exists and DoesNotExist take none`},
	}
	for _, tc := range cases {
		t.Run(tc.kind+"/"+tc.name, func(t *testing.T) {
			g := NewWithT(t)
			ctx := context.Background()
			c := k8sClient
			if tc.editor {
				c = editor
			}
			objs := manifests(g, tc.manifest, fill, ns)
			g.Expect(objs).To(HaveLen(1))
			obj := objs[0]
			deleteAfter(t, obj)
			err := applyStrictly(ctx, c, obj)
			for i, patch := range tc.patches {
				g.Expect(err).NotTo(HaveOccurred(), "before patch %d", i+1)
				target := &unstructured.Unstructured{}
				target.SetGroupVersionKind(obj.GroupVersionKind())
				target.SetNamespace(obj.GetNamespace())
				target.SetName(obj.GetName())
				err = c.Patch(ctx, target, client.RawPatch(types.MergePatchType, []byte(patch)))
			}
			g.Expect(err).To(HaveOccurred(), "accepted")
			var status apierrors.APIStatus
			g.Expect(errors.As(err, &status)).To(BeTrue(), "%v", err)
			g.Expect(status.Status().Code).To(Equal(tc.refusal), "%v", err)
			g.Expect(err.Error()).To(ContainSubstring(fill.Replace(tc.says)))
			expectDocQuotes(g, doc, tc.says)
		})
	}
}

// TestBadInputReportedInStatus: input the schema cannot judge (a 31st of
// February, a zone that does not exist, a name that names nothing) is
// accepted and reported by the controller in a condition, with an Event
// of the same reason.
func TestBadInputReportedInStatus(t *testing.T) {
	ns := newNamespace(t)
	doc := badInputDoc(t)
	fill := strings.NewReplacer("<namespace>", ns)
	type observed struct {
		kind, name, condition string
		status                metav1.ConditionStatus
	}
	cases := []struct {
		kind, name string
		manifests  string
		// on is the object whose condition tells, in the same namespace.
		on     observed
		reason string
		says   string
		// event is the type of the Event with the same reason and message;
		// empty when there is none.
		event string
	}{
		// Robot: Ready=False (and Stalled), a Warning Event.
		{kind: "Robot", name: "a cron field out of range", manifests: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: hour-25}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0}
  schedules: [{name: daily, cron: "0 25 * * *"}]`,
			on: observed{"Robot", "hour-25", "Ready", metav1.ConditionFalse}, reason: "InvalidSchedule", event: "Warning",
			says: `schedule "daily": invalid cron expression "0 25 * * *": end of range (25) above maximum (23): 25; fix the schedule, the robot's other schedules keep working`},
		{kind: "Robot", name: "an unknown time zone", manifests: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: kobenhavn}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0}
  schedules: [{name: weekdays, cron: "0 7 * * 1-5", timeZone: Europe/Kobenhavn}]`,
			on: observed{"Robot", "kobenhavn", "Ready", metav1.ConditionFalse}, reason: "InvalidSchedule", event: "Warning",
			says: `schedule "weekdays": unknown time zone "Europe/Kobenhavn": use an IANA name such as Europe/Copenhagen; fix the schedule, the robot's other schedules keep working`},
		{kind: "Robot", name: "a schedule naming a missing calendar", manifests: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: no-calendar}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0}
  schedules: [{name: weekdays, cron: "0 7 * * *", calendar: roskilde}]`,
			on: observed{"Robot", "no-calendar", "Ready", metav1.ConditionFalse}, reason: "CalendarNotFound", event: "Warning",
			says: `schedule "weekdays": RobotCalendar "roskilde" not found in the robot's namespace; create the calendar, the schedule starts no runs until it exists`},
		{kind: "Robot", name: "a schedule argument the robot does not declare", manifests: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: schedule-argument}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0}
  parameters: [{name: batchSize}]
  schedules: [{name: weekdays, cron: "0 7 * * 1-5", arguments: {batchsize: "40"}}]`,
			on: observed{"Robot", "schedule-argument", "Ready", metav1.ConditionFalse}, reason: "InvalidSchedule", event: "Warning",
			says: `schedule "weekdays": arguments: unknown argument(s) batchsize (the robot's parameters: batchSize); fix the schedule, the robot's other schedules keep working`},
		{kind: "Robot", name: "a schedule using an invalid calendar", manifests: `
apiVersion: rpa.dev/v1alpha1
kind: RobotCalendar
metadata: {name: february}
spec: {extraClosedDates: ["2026-02-30"]}
---
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: bad-calendar}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0}
  schedules: [{name: weekdays, cron: "0 7 * * *", calendar: february}]`,
			on: observed{"Robot", "bad-calendar", "Ready", metav1.ConditionFalse}, reason: "InvalidSchedule", event: "Warning",
			says: `schedule "weekdays": RobotCalendar "february": extraClosedDates: "2026-02-30" is not a day of the year; fix the schedule, the robot's other schedules keep working`},
		{kind: "Robot", name: "a TargetSystem that does not exist", manifests: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: missing-system}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0}
  systems: [esdh-aalborg]`,
			on: observed{"Robot", "missing-system", "Ready", metav1.ConditionFalse}, reason: "TargetSystemNotFound", event: "Warning",
			says: `TargetSystem(s) esdh-aalborg do not exist; create them, runs wait until they exist`},

		// RobotRun: Failed before anything starts, a Warning Event.
		{kind: "RobotRun", name: "an argument the robot does not declare", manifests: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: welcome-letters}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0}
  parameters: [{name: batchSize}, {name: date, required: true}]
---
apiVersion: rpa.dev/v1alpha1
kind: RobotRun
metadata: {name: colour}
spec: {robotName: welcome-letters, arguments: {colour: red, date: "2026-12-01"}}`,
			on: observed{"RobotRun", "colour", "Succeeded", metav1.ConditionFalse}, reason: "InvalidArguments", event: "Warning",
			says: `unknown argument(s) colour (the robot's parameters: batchSize, date)`},
		{kind: "RobotRun", name: "a required argument left out", manifests: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: certificates}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0}
  parameters: [{name: date, required: true}]
---
apiVersion: rpa.dev/v1alpha1
kind: RobotRun
metadata: {name: no-date}
spec: {robotName: certificates}`,
			on: observed{"RobotRun", "no-date", "Succeeded", metav1.ConditionFalse}, reason: "InvalidArguments", event: "Warning",
			says: `missing required argument(s) date`},
		{kind: "RobotRun", name: "a robot that does not exist", manifests: `
apiVersion: rpa.dev/v1alpha1
kind: RobotRun
metadata: {name: misspelt}
spec: {robotName: welcome-leters}`,
			on: observed{"RobotRun", "misspelt", "Succeeded", metav1.ConditionFalse}, reason: "RobotNotFound", event: "Warning",
			says: `robot "welcome-leters" does not exist in namespace <namespace>`},

		// WorkQueue: Triggering=False with a Warning Event (the manager),
		// Ready=False without one (rpa-server).
		{kind: "WorkQueue", name: "a trigger naming a missing robot", manifests: `
apiVersion: rpa.dev/v1alpha1
kind: WorkQueue
metadata: {name: certificates}
spec:
  trigger: {robotName: certificate-jornal}`,
			on: observed{"WorkQueue", "certificates", "Triggering", metav1.ConditionFalse}, reason: "RobotNotFound", event: "Warning",
			says: `robot "certificate-jornal" does not exist in this namespace; create it or fix spec.trigger.robotName`},
		{kind: "WorkQueue", name: "trigger arguments the robot does not declare", manifests: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: journal}
spec:
  template: {image: registry.example/robots/certificate-journal:1.4.0}
  parameters: [{name: mode}]
---
apiVersion: rpa.dev/v1alpha1
kind: WorkQueue
metadata: {name: journal-queue}
spec:
  trigger: {robotName: journal, arguments: {modus: journal}}`,
			on: observed{"WorkQueue", "journal-queue", "Triggering", metav1.ConditionFalse}, reason: "InvalidArguments", event: "Warning",
			says: `spec.trigger.arguments do not fit robot journal: unknown argument(s) modus (the robot's parameters: mode)`},
		{kind: "WorkQueue", name: "a trigger's calendar that does not exist", manifests: `
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: sorter}
spec:
  template: {image: registry.example/robots/mail-sorter:1.0.0}
---
apiVersion: rpa.dev/v1alpha1
kind: WorkQueue
metadata: {name: mail}
spec:
  calendar: herning
  trigger: {robotName: sorter}`,
			on: observed{"WorkQueue", "mail", "Triggering", metav1.ConditionFalse}, reason: "CalendarNotFound", event: "Warning",
			says: `calendar "herning" does not exist in this namespace; no runs are started until it does: create it or fix spec.calendar`},
		{kind: "WorkQueue", name: "an SLA's calendar that does not exist", manifests: `
apiVersion: rpa.dev/v1alpha1
kind: WorkQueue
metadata: {name: letters}
spec: {calendar: herning, sla: 48h}`,
			on: observed{"WorkQueue", "letters", "Ready", metav1.ConditionFalse}, reason: "CalendarNotFound",
			says: `calendar "herning" does not exist in this namespace: the SLA counts in wall-clock time until it does; create it or fix spec.calendar`},

		// RobotCalendar: Ready=False, a Warning Event.
		{kind: "RobotCalendar", name: "a 30th of February", manifests: `
apiVersion: rpa.dev/v1alpha1
kind: RobotCalendar
metadata: {name: leap}
spec: {extraClosedDates: ["2026-02-30"]}`,
			on: observed{"RobotCalendar", "leap", "Ready", metav1.ConditionFalse}, reason: "InvalidCalendar", event: "Warning",
			says: `extraClosedDates: "2026-02-30" is not a day of the year; schedules using this calendar start no runs until it is fixed`},
		{kind: "RobotCalendar", name: "an unknown time zone", manifests: `
apiVersion: rpa.dev/v1alpha1
kind: RobotCalendar
metadata: {name: kobenhavn}
spec: {timeZone: Europe/Kobenhavn}`,
			on: observed{"RobotCalendar", "kobenhavn", "Ready", metav1.ConditionFalse}, reason: "InvalidCalendar", event: "Warning",
			says: `unknown time zone "Europe/Kobenhavn": use an IANA name such as Europe/Copenhagen; schedules using this calendar start no runs until it is fixed`},

		// TargetSystem: what its robots' runs and robots say.
		{kind: "TargetSystem", name: "maxConcurrentRuns 0 (a maintenance window)", manifests: `
apiVersion: rpa.dev/v1alpha1
kind: TargetSystem
metadata: {name: <namespace>-maintenance}
spec: {maxConcurrentRuns: 0}
---
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: during-maintenance}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0}
  systems: [<namespace>-maintenance]
---
apiVersion: rpa.dev/v1alpha1
kind: RobotRun
metadata: {name: waits}
spec: {robotName: during-maintenance}`,
			on: observed{"RobotRun", "waits", "Succeeded", metav1.ConditionUnknown}, reason: "WaitingForSystem", event: "Normal",
			says: `TargetSystem <namespace>-maintenance has 0 of 0 slots in use (none held); the run starts when a slot is free`},
		{kind: "TargetSystem", name: "a namespaceSelector that leaves the robot's namespace out", manifests: `
apiVersion: rpa.dev/v1alpha1
kind: TargetSystem
metadata: {name: <namespace>-hr-only}
spec:
  maxConcurrentRuns: 2
  namespaceSelector: {matchLabels: {department: hr}}
---
apiVersion: rpa.dev/v1alpha1
kind: Robot
metadata: {name: not-hr}
spec:
  template: {image: registry.example/robots/welcome-letters:1.0.0}
  systems: [<namespace>-hr-only]`,
			on: observed{"Robot", "not-hr", "Ready", metav1.ConditionFalse}, reason: "TargetSystemNotAllowed", event: "Warning",
			says: `TargetSystem(s) <namespace>-hr-only do not let this namespace's robots use them (spec.namespaceSelector); ask the platform team, runs wait until they do`},
	}
	for _, tc := range cases {
		t.Run(tc.kind+"/"+tc.name, func(t *testing.T) {
			g := NewWithT(t)
			ctx := context.Background()
			objs := manifests(g, tc.manifests, fill, ns)
			deleteAfter(t, objs...)
			for _, obj := range objs {
				g.Expect(applyStrictly(ctx, k8sClient, obj)).To(Succeed(), "%s %s is accepted", obj.GetKind(), obj.GetName())
			}
			says := fill.Replace(tc.says)
			g.Eventually(func(g Gomega) {
				got := &unstructured.Unstructured{}
				got.SetAPIVersion(rpav1alpha1.GroupVersion.String())
				got.SetKind(tc.on.kind)
				g.Expect(k8sClient.Get(ctx, client2key(ns, tc.on.name), got)).To(Succeed())
				g.Expect(conditionOf(got, tc.on.condition)).To(Equal(map[string]any{
					"status": string(tc.on.status), "reason": tc.reason, "message": says,
				}))
			}, timeout, interval).Should(Succeed())
			if tc.event != "" {
				g.Eventually(func(g Gomega) {
					var notes []string
					for _, e := range eventsAbout(g, ns, tc.on.name) {
						if e.Reason == tc.reason && e.Type == tc.event {
							notes = append(notes, e.Note)
						}
					}
					g.Expect(notes).To(ContainElement(says), "a %s Event %s", tc.event, tc.reason)
				}, timeout, interval).Should(Succeed())
			}
			expectDocQuotes(g, doc, tc.says)
		})
	}
}

// conditionOf is the status, reason and message of an object's condition.
func conditionOf(obj *unstructured.Unstructured, conditionType string) map[string]any {
	conditions, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conditions {
		if m, ok := c.(map[string]any); ok && m["type"] == conditionType {
			return map[string]any{"status": m["status"], "reason": m["reason"], "message": m["message"]}
		}
	}
	return nil
}

// TestBadInputRefusedByTheWorkItemAPI: requests rpa-server's work-item
// API (queue.rpa.dev) refuses, over HTTPS as kubectl and robots call it,
// with the status code and message they get. A refusal changes nothing.
func TestBadInputRefusedByTheWorkItemAPI(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	doc := badInputDoc(t)
	address := serveAPI(t)
	wq := createWorkQueue(t, ns, "mail", func(q *rpav1alpha1.WorkQueue) { q.Spec.Robots = []string{"per"} })
	q := queuestatus.Queue(wq)

	// The items the requests are about: one waiting, one held by per-run-1,
	// one done, one waiting for a person.
	added, err := items.Add(ctx, q, "anne@herning.dk", []store.NewItem{
		{Reference: "mail-1", Payload: []byte(`{"from":"borger@example.dk"}`)},
		{Reference: "mail-2", Payload: []byte(`{"from":"borger@example.dk"}`)},
		{Reference: "mail-3", Payload: []byte(`{"from":"borger@example.dk"}`)},
		{Reference: "mail-4", Payload: []byte(`{"from":"borger@example.dk"}`)},
	})
	g.Expect(err).NotTo(HaveOccurred())
	per := runPodOf(g, ns, "per", "per-run-1")
	otherPer := runPodOf(g, ns, "per", "per-run-2")
	paula := runPodOf(g, ns, "paula", "paula-run-1")
	holder := store.Holder{Run: "per-run-1", Pod: per.Name, PodUID: string(per.UID)}
	// Taking gives the oldest first: mail-1 is done, mail-2 waits for a
	// person, mail-3 is held, mail-4 waits.
	take := func() int64 {
		it, err := items.Take(ctx, q, "robot", holder)
		g.Expect(err).NotTo(HaveOccurred())
		return it.ID
	}
	done := take()
	_, err = items.Complete(ctx, q, done, "robot", holder, store.Outcome{Action: "Done"})
	g.Expect(err).NotTo(HaveOccurred())
	exception := take()
	_, err = items.Complete(ctx, q, exception, "robot", holder, store.Outcome{Action: "BusinessException", Reason: "no caseworker"})
	g.Expect(err).NotTo(HaveOccurred())
	held := take()
	waiting := added[3].Item.ID

	grantQueueUse(g, ns)
	restFor := func(token string) *rest.RESTClient {
		cfg := &rest.Config{Host: address, APIPath: "/apis", TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
		if token == "" { // a person: the cluster admin's client certificate
			cfg = rest.CopyConfig(restCfg)
			cfg.Host, cfg.CAData, cfg.APIPath, cfg.Insecure = address, nil, "/apis", true
		}
		cfg.BearerToken = token
		cfg.GroupVersion = &queuev1alpha1.SchemeGroupVersion
		cfg.NegotiatedSerializer = itemsapi.Codecs.WithoutConversion()
		c, err := rest.RESTClientFor(cfg)
		g.Expect(err).NotTo(HaveOccurred())
		return c
	}
	person := restFor("")
	robot := func(pod string, uid types.UID) *rest.RESTClient { return restFor(podToken(g, ns, pod, string(uid))) }
	perAPI, otherPerAPI, paulaAPI := robot(per.Name, per.UID), robot(otherPer.Name, otherPer.UID), robot(paula.Name, paula.UID)
	// Until rpa-server has read kube-apiserver's client CA and the
	// authorizer sees the RoleBinding, requests are refused for that.
	g.Eventually(func() error { return person.Get().Namespace(ns).Resource("workitems").Do(ctx).Error() }, timeout, interval).Should(Succeed())
	for _, c := range []*rest.RESTClient{perAPI, otherPerAPI, paulaAPI} {
		g.Eventually(func(g Gomega) {
			err := c.Post().Namespace(ns).Resource("workitems").Name("0").SubResource("done").
				Body([]byte(`{"apiVersion":"queue.rpa.dev/v1alpha1","kind":"WorkItemOutcome"}`)).Do(ctx).Error()
			g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%v", err)
		}, timeout, interval).Should(Succeed())
	}

	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	item := func(spec string) []byte {
		return []byte(`{"apiVersion":"queue.rpa.dev/v1alpha1","kind":"WorkItem","spec":` + spec + `}`)
	}
	outcome := func(body string) []byte {
		return []byte(`{"apiVersion":"queue.rpa.dev/v1alpha1","kind":"WorkItemOutcome"` + body + `}`)
	}
	decision := func(body string) []byte {
		return []byte(`{"apiVersion":"queue.rpa.dev/v1alpha1","kind":"WorkItemDecision"` + body + `}`)
	}
	add := func(body []byte) *rest.Request {
		return person.Post().Namespace(ns).Resource("workitems").Body(body)
	}
	on := func(c *rest.RESTClient, item int64, subresource string, body []byte) *rest.Request {
		return c.Post().Namespace(ns).Resource("workitems").Name(id(item)).SubResource(subresource).Body(body)
	}
	fill := strings.NewReplacer("<namespace>", ns, "<held item>", id(held), "<pod>", per.Name)
	cases := []struct {
		name    string
		request *rest.Request
		code    int32
		says    string
	}{
		// Adding an item (kubectl create -f, kubectl robot queue add, sdk Queue.Add).
		{"add: a payload that is a list, not an object", add(item(`{"queue":"mail","payload":["borger@example.dk"]}`)),
			400, `item 1: invalid work item: payload must be a JSON object ({...})`},
		{"add: a payload that is a string", add(item(`{"queue":"mail","payload":"borger@example.dk"}`)),
			400, `item 1: invalid work item: payload must be a JSON object ({...})`},
		{"add: a payload over 64 KiB", add(item(`{"queue":"mail","payload":{"pdf":"` + strings.Repeat("A", 70000) + `"}}`)),
			400, `item 1: invalid work item: payload is 70010 bytes, more than the 65536 allowed; keep documents in the case system and put their reference in the item`},
		{"add: a reference over 256 bytes", add(item(`{"queue":"mail","reference":"` + strings.Repeat("4", 300) + `","payload":{}}`)),
			400, `item 1: invalid work item: reference is 300 bytes, more than the 256 allowed`},
		{"add: a reference with a line break", add(item(`{"queue":"mail","reference":"2026-4711\n","payload":{}}`)),
			400, `item 1: invalid work item: reference contains a control character`},
		{"add: a priority out of range", add(item(`{"queue":"mail","priority":5000,"payload":{}}`)),
			400, `item 1: invalid work item: priority 5000 is out of range: use -1000 to 1000 (higher is taken first)`},
		{"add: a priority in words", add(item(`{"queue":"mail","priority":"high","payload":{}}`)),
			400, `WorkItem in version "v1alpha1" cannot be handled as a WorkItem: json: cannot unmarshal string into Go struct field WorkItemSpec.spec.priority of type int32`},
		{"add: a deadline that is not a time", add(item(`{"queue":"mail","deadline":"tomorrow","payload":{}}`)),
			400, `WorkItem in version "v1alpha1" cannot be handled as a WorkItem: parsing time "tomorrow" as "2006-01-02T15:04:05Z07:00": cannot parse "tomorrow" as "2006"`},
		{"add: no queue", add(item(`{"payload":{}}`)),
			400, `spec.queue is required: the name of the WorkQueue the item goes to`},
		{"add: no payload", add(item(`{"queue":"mail"}`)),
			400, `spec.payload is required: a JSON object, {} at least`},
		{"add: a queue that does not exist", add(item(`{"queue":"mails","payload":{}}`)),
			404, `workqueues.rpa.dev "mails" not found`},
		{"add: a misspelt field (refrence)", add(item(`{"queue":"mail","refrence":"2026-4711","payload":{}}`)).Param("fieldValidation", "Strict"), //nolint:misspell // the misspelling is the bad input
			400, `strict decoding error: unknown field "spec.refrence"`},

		// A robot's outcomes.
		{"outcome: done for an item nobody holds", on(perAPI, waiting, "done", outcome(``)),
			409, `illegal transition: Done is not possible for an item in state New (only the robot holding an InProgress item reports its outcome)`},
		{"outcome: done for an item another run holds", on(otherPerAPI, held, "done", outcome(``)),
			409, `the item is not held by this pod: item <held item> is held by run per-run-1`},
		{"outcome: a business exception for a closed item", on(perAPI, done, "businessexception", outcome(`,"reason":"no address"`)),
			409, `illegal transition: BusinessException is not possible for an item in state Done (only the robot holding an InProgress item reports its outcome)`},
		{"outcome: a reason over 1 KiB", on(perAPI, held, "businessexception", outcome(`,"reason":"`+strings.Repeat("x", 1100)+`"`)),
			400, `invalid work item: reason is 1100 bytes, more than the 1024 allowed`},
		{"outcome: an output that is not an object", on(perAPI, held, "done", outcome(`,"output":"journaled"`)),
			400, `invalid work item: output must be a JSON object ({...})`},
		{"outcome: reported by a person", on(person, held, "done", outcome(``)),
			403, `only the robot pod holding an item reports its outcome; people retry or handle items`},
		{"take: by a person", person.Post().Namespace(ns).Resource("queues").Name("mail").SubResource("take").
			Body([]byte(`{"apiVersion":"queue.rpa.dev/v1alpha1","kind":"WorkItemTake"}`)),
			403, `only a robot run's pod takes items`},
		{"take: by a robot the queue does not name", paulaAPI.Post().Namespace(ns).Resource("queues").Name("mail").SubResource("take").
			Body([]byte(`{"apiVersion":"queue.rpa.dev/v1alpha1","kind":"WorkItemTake"}`)),
			403, `robot paula may not use queue mail: add it to the WorkQueue's spec.robots, or make it the queue's trigger robot`},

		// A person's decisions (kubectl robot queue retry/handle, the console).
		{"retry: an item that waits for no one", on(person, waiting, "retry", decision(``)),
			409, `illegal transition: Retry is not possible for an item in state New (only items in BusinessException or Failed wait for a person)`},
		{"retry: with a payload that is not an object", on(person, exception, "retry", decision(`,"payload":[1,2]`)),
			400, `invalid work item: payload must be a JSON object ({...})`},
		{"handle: without a comment", on(person, exception, "handle", decision(``)),
			400, `invalid work item: handling an item needs a comment saying what was done`},
		{"handle: an item that is done", on(person, done, "handle", decision(`,"comment":"called the citizen"`)),
			409, `illegal transition: Handle is not possible for an item in state Done (it is closed)`},
		{"erase: an item a robot holds", person.Delete().Namespace(ns).Resource("workitems").Name(id(held)),
			409, `the item is held by a robot: pod <pod> is working on item <held item>; erase it once its run has reported it, or cancel the run`},

		// Listing.
		{"list: a field the items cannot be selected by", person.Get().Namespace(ns).Resource("workitems").Param("fieldSelector", "status.attempts=2"),
			400, `field label "status.attempts" is not supported for work items: use spec.queue, status.state, spec.reference or run`},
		{"list: a selector other than =", person.Get().Namespace(ns).Resource("workitems").Param("fieldSelector", "status.state!=Done"),
			400, `field selector status.state: only = is supported`},
		{"list: a state that does not exist", person.Get().Namespace(ns).Resource("workitems").Param("fieldSelector", "status.state=Waiting"),
			400, `field selector status.state=Waiting: the states are New, InProgress, Done, BusinessException, Failed, Handled`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			err := tc.request.SetHeader("Content-Type", "application/json").Do(ctx).Error()
			g.Expect(err).To(HaveOccurred(), "accepted")
			var status apierrors.APIStatus
			g.Expect(errors.As(err, &status)).To(BeTrue(), "%v", err)
			g.Expect(status.Status().Code).To(Equal(tc.code), "%v", err)
			g.Expect(err.Error()).To(ContainSubstring(fill.Replace(tc.says)))
			expectDocQuotes(g, doc, tc.says)
		})
	}

	// Nothing changed: the same four items, as they were.
	list, err := items.List(ctx, store.ListOptions{Namespace: ns, Queue: "mail"})
	g.Expect(err).NotTo(HaveOccurred())
	states := map[string]string{}
	for _, it := range list {
		states[it.Reference] = fmt.Sprintf("%s %d", it.State, it.Attempts)
	}
	g.Expect(states).To(Equal(map[string]string{
		"mail-1": "Done 1", "mail-2": "BusinessException 1", "mail-3": "InProgress 1", "mail-4": "New 0",
	}))
}
