package main

import (
	"context"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// arrival is an object created for a scheduled time, and when its creation
// reached the benchmark's watch.
type arrival struct {
	owner     string // the Robot or CronJob
	scheduled time.Time
	seen      time.Time
}

// observer records, as watch events arrive, every RobotRun and every Job
// created in the benchmark's namespace.
type observer struct {
	mu sync.Mutex
	// runs by run name; robotJobs and cronJobs by the run's, resp. the
	// Job's, name.
	runs      map[string]arrival
	robotJobs map[string]time.Time
	cronJobs  map[string]arrival
}

func newObserver() *observer {
	return &observer{runs: map[string]arrival{}, robotJobs: map[string]time.Time{}, cronJobs: map[string]arrival{}}
}

// watch follows RobotRuns and Jobs until ctx ends. A watch the apiserver
// closes (it does so to watchers that fall behind, as at N=5,000 on a
// 2-CPU machine) is reopened from the last resourceVersion seen (follow);
// an object seen again keeps its first arrival.
func (o *observer) watch(ctx context.Context, c client.WithWatch) {
	go follow(ctx, func(rv string) (watch.Interface, error) {
		return c.Watch(ctx, &rpav1alpha1.RobotRunList{}, client.InNamespace(benchNamespace), fromVersion(rv))
	}, o.addRun)
	go follow(ctx, func(rv string) (watch.Interface, error) {
		return c.Watch(ctx, &batchv1.JobList{}, client.InNamespace(benchNamespace), fromVersion(rv))
	}, o.addJob)
}

func (o *observer) addRun(obj any, seen time.Time) {
	run, ok := obj.(*rpav1alpha1.RobotRun)
	if !ok || run.Spec.Trigger.ScheduledTime == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, dup := o.runs[run.Name]; !dup {
		o.runs[run.Name] = arrival{owner: run.Spec.RobotName, scheduled: run.Spec.Trigger.ScheduledTime.Time, seen: seen}
	}
}

func (o *observer) addJob(obj any, seen time.Time) {
	job, ok := obj.(*batchv1.Job)
	if !ok {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if run, ours := job.Annotations[rpav1alpha1.AnnotationRunName]; ours {
		if _, dup := o.robotJobs[run]; !dup {
			o.robotJobs[run] = seen
		}
		return
	}
	stamp := job.Annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"]
	scheduled, err := time.Parse(time.RFC3339, stamp)
	if err != nil || len(job.OwnerReferences) == 0 {
		return
	}
	if _, dup := o.cronJobs[job.Name]; !dup {
		o.cronJobs[job.Name] = arrival{owner: job.OwnerReferences[0].Name, scheduled: scheduled, seen: seen}
	}
}

// sides returns, for the measured instants, the arrivals of each side:
// robot runs, robot Jobs (with the run's scheduled time) and CronJob Jobs.
func (o *observer) sides(instants []time.Time) (runs, robotJobs, cronJobs []arrival) {
	o.mu.Lock()
	defer o.mu.Unlock()
	// By Unix second: the same instant decoded from a RobotRun (local time)
	// and parsed from a Job's annotation (UTC) are different time.Time values.
	measured := map[int64]bool{}
	for _, t := range instants {
		measured[t.Unix()] = true
	}
	for name, a := range o.runs {
		if !measured[a.scheduled.Unix()] {
			continue
		}
		runs = append(runs, a)
		if seen, ok := o.robotJobs[name]; ok {
			robotJobs = append(robotJobs, arrival{owner: a.owner, scheduled: a.scheduled, seen: seen})
		}
	}
	for _, a := range o.cronJobs {
		if measured[a.scheduled.Unix()] {
			cronJobs = append(cronJobs, a)
		}
	}
	return runs, robotJobs, cronJobs
}
