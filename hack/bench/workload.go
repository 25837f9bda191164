package main

import (
	"context"
	"fmt"
	"sync"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

const (
	benchNamespace = "bench"
	everyMinute    = "* * * * *"
	image          = "registry.example/robots/bench:1"
)

// createWorkload creates n Robots and n CronJobs, all every minute, with a
// client of its own that is not rate limited (creating them is not what
// is measured).
func createWorkload(ctx context.Context, c client.Client, n int) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: benchNamespace}}
	if err := c.Create(ctx, ns); err != nil {
		return err
	}
	return parallel(2*n, func(i int) error {
		var obj client.Object = benchRobot(i / 2)
		if i%2 == 1 {
			obj = benchCronJob(i / 2)
		}
		if err := c.Create(ctx, obj); err != nil {
			return fmt.Errorf("create %s: %w", obj.GetName(), err)
		}
		return nil
	})
}

// parallel calls fn for 0..n-1 from 32 goroutines, as many clients of a
// busy cluster would, and returns the first error.
func parallel(n int, fn func(i int) error) error {
	next := make(chan int, 64)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// benchRobot is robot i: every minute, runs may overlap (no run ever
// finishes: there is no Job controller), and history is not pruned.
func benchRobot(i int) *rpav1alpha1.Robot {
	return &rpav1alpha1.Robot{
		ObjectMeta: metav1.ObjectMeta{Namespace: benchNamespace, Name: fmt.Sprintf("robot-%05d", i)},
		Spec: rpav1alpha1.RobotSpec{
			Template:          rpav1alpha1.RobotTemplate{Image: image},
			Schedules:         []rpav1alpha1.Schedule{{Name: "minutely", Cron: everyMinute}},
			ConcurrencyPolicy: rpav1alpha1.ConcurrencyAllow,
		},
	}
}

// benchCronJob is CronJob i, its peer: every minute, Allow, the same image.
func benchCronJob(i int) *batchv1.CronJob {
	return &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Namespace: benchNamespace, Name: fmt.Sprintf("cronjob-%05d", i)},
		Spec: batchv1.CronJobSpec{
			Schedule:                   everyMinute,
			ConcurrencyPolicy:          batchv1.AllowConcurrent,
			SuccessfulJobsHistoryLimit: ptr.To[int32](100),
			FailedJobsHistoryLimit:     ptr.To[int32](100),
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{
				Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					Containers:    []corev1.Container{{Name: "robot", Image: image}},
				},
			}}},
		},
	}
}
