package robotrun

import (
	"context"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
)

func TestJobJustCreated(t *testing.T) {
	tests := []struct {
		name string
		run  rpav1alpha1.RobotRunStatus
		next rpav1alpha1.RobotRunStatus
		want bool
	}{
		{"created now", rpav1alpha1.RobotRunStatus{}, rpav1alpha1.RobotRunStatus{JobName: "j", Phase: rpav1alpha1.PhasePending}, true},
		{"was waiting, created now", rpav1alpha1.RobotRunStatus{Phase: rpav1alpha1.PhaseQueued},
			rpav1alpha1.RobotRunStatus{JobName: "j", Phase: rpav1alpha1.PhasePending}, true},
		{"still waiting", rpav1alpha1.RobotRunStatus{}, rpav1alpha1.RobotRunStatus{Phase: rpav1alpha1.PhaseQueued}, false},
		{"rejected", rpav1alpha1.RobotRunStatus{}, rpav1alpha1.RobotRunStatus{Phase: rpav1alpha1.PhaseFailed}, false},
		{"status names the Job already", rpav1alpha1.RobotRunStatus{JobName: "j"}, rpav1alpha1.RobotRunStatus{JobName: "j"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := &rpav1alpha1.RobotRun{Status: tt.run}
			if got := jobJustCreated(run, &tt.next); got != tt.want {
				t.Errorf("jobJustCreated = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFillFromJobWritesWhatTheJobWasBuiltFrom(t *testing.T) {
	robot := &rpav1alpha1.Robot{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "mail-robot"},
		Spec:       rpav1alpha1.RobotSpec{Template: rpav1alpha1.RobotTemplate{Image: "registry.example/robots/welcome-letters:1.0.0"}},
	}
	robot.Generation = 7
	robot.Spec.Priority = 3
	run := &rpav1alpha1.RobotRun{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "r1", UID: "u1"},
		Spec: rpav1alpha1.RobotRunSpec{RobotName: robot.Name}}
	job, err := jobs.Build(robot, run, map[string]string{}, false)
	if err != nil {
		t.Fatal(err)
	}
	// The Job as the cache holds it: no pod template.
	cached := &batchv1.Job{ObjectMeta: job.ObjectMeta}

	// The robot was edited since: the status reports what the Job runs.
	edited := robot.DeepCopy()
	edited.Generation, edited.Spec.Template.Image = 8, "registry.example/robots/welcome-letters:2.0.0"
	next := &rpav1alpha1.RobotRunStatus{Phase: rpav1alpha1.PhaseQueued, WaitingFor: []string{"TargetSystem/esdh"}}
	fillFromJob(next, run, edited, cached)
	want := rpav1alpha1.RobotRunStatus{Phase: rpav1alpha1.PhaseQueued, JobName: job.Name, RobotGeneration: 7,
		Image: robot.Spec.Template.Image, Priority: 3}
	if next.JobName != want.JobName || next.RobotGeneration != want.RobotGeneration || next.Image != want.Image ||
		next.Priority != want.Priority || next.WaitingFor != nil {
		t.Errorf("status %+v, want %+v", *next, want)
	}

	// A status that names its Job already is left alone.
	done := &rpav1alpha1.RobotRunStatus{JobName: job.Name, RobotGeneration: 5, Priority: 1}
	fillFromJob(done, run, edited, cached)
	if done.RobotGeneration != 5 || done.Priority != 1 {
		t.Errorf("a written status changed: %+v", *done)
	}
}

// TestANewJobsRunComesBackBehindOtherWork: the event of a Job just created
// queues its run at low priority, behind a run whose Job changed (queued
// later) and any other run; a Job that no run controls queues nothing.
func TestANewJobsRunComesBackBehindOtherWork(t *testing.T) {
	mapper := meta.NewDefaultRESTMapper(nil)
	mapper.Add(rpav1alpha1.GroupVersion.WithKind("RobotRun"), meta.RESTScopeNamespace)
	scheme := runtime.NewScheme()
	utilruntime.Must(rpav1alpha1.AddToScheme(scheme))
	h := jobEvents(handler.EnqueueRequestForOwner(scheme, mapper, &rpav1alpha1.RobotRun{}, handler.OnlyControllerOwner()))
	q := priorityqueue.New[reconcile.Request]("jobs-first-test")
	defer q.ShutDown()
	ctx := context.Background()

	// The reconcile that created the Job queued its fallback, as the
	// controller queues a result, before the Job's event arrives.
	later := statusLater()
	q.AddWithOpts(priorityqueue.AddOpts{After: later.RequeueAfter, Priority: later.Priority}, runRequest("created"))
	h.Create(ctx, event.CreateEvent{Object: jobOfRun("created")}, q)
	h.Create(ctx, event.CreateEvent{Object: &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "not-ours"}}}, q)
	old, changed := jobOfRun("changed"), jobOfRun("changed")
	changed.ResourceVersion = "2"
	h.Update(ctx, event.UpdateEvent{ObjectOld: old, ObjectNew: changed}, q)

	want := []struct {
		run      string
		priority int
	}{{"changed", 0}, {"created", handler.LowPriority}}
	for _, w := range want {
		req, priority, _ := q.GetWithPriority()
		if req.Name != w.run || priority != w.priority {
			t.Errorf("got run %s at priority %d, want %s at %d", req.Name, priority, w.run, w.priority)
		}
		q.Done(req)
	}
	if n := q.Len(); n != 0 {
		t.Errorf("%d more requests queued, want none", n)
	}
}

// jobOfRun is a Job controlled by the run of that name, as jobs.Build
// makes it.
func jobOfRun(run string) *batchv1.Job {
	owner := &rpav1alpha1.RobotRun{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: run, UID: types.UID("uid-" + run)}}
	return &batchv1.Job{ObjectMeta: metav1.ObjectMeta{
		Namespace: "ns", Name: jobs.JobName(run), ResourceVersion: "1",
		OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(owner, rpav1alpha1.GroupVersion.WithKind("RobotRun"))},
	}}
}

func runRequest(name string) reconcile.Request {
	return reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "ns", Name: name}}
}
