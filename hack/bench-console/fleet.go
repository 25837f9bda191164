package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/authentication/serviceaccount"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/hack/internal/benchenv"
)

// person is the ServiceAccount that stands for a process owner who may
// see every department's robots.
const person = "process-owner"

// viewerRole is the shipped role the person is bound to in each namespace.
const viewerRole = "config/rbac/user-roles/rpa_robot_viewer_role.yaml"

// fleet is what createFleet made, and the person who may see it.
type fleet struct {
	namespaces []string
	// token is the person's bearer token, user the name kube-apiserver
	// gives it.
	token, user string
	// runs is how many RobotRuns there are.
	runs atomic.Int64
}

// createFleet creates the namespaces, the person bound to the viewer role
// in each, the Robots with their runs and the WorkQueues, each status as
// the manager and rpa-server would have written it, and returns once
// kube-apiserver lets the person list them all.
func createFleet(ctx context.Context, plane *benchenv.ControlPlane, opts options) (*fleet, error) {
	f := &fleet{}
	for i := range opts.namespaces {
		f.namespaces = append(f.namespaces, fmt.Sprintf("department-%02d", i+1))
	}
	if err := createPerson(ctx, plane, opts.root, f); err != nil {
		return nil, err
	}
	now := time.Now()
	err := inParallel(opts.robots, func(i int) error {
		runs, err := createRobot(ctx, plane.Kube, f.namespaces[i%len(f.namespaces)], i, opts.runsPerRobot, now)
		f.runs.Add(int64(runs))
		return err
	})
	if err != nil {
		return nil, err
	}
	err = inParallel(opts.queues, func(i int) error {
		return createQueue(ctx, plane.Kube, f.namespaces[i%len(f.namespaces)], i, now)
	})
	if err != nil {
		return nil, err
	}
	if err := waitAllowed(ctx, plane, f); err != nil {
		return nil, err
	}
	tr, err := plane.Clientset.CoreV1().ServiceAccounts(f.namespaces[0]).CreateToken(ctx, person, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](2 * 3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("the person's token: %w", err)
	}
	f.token = tr.Status.Token
	return f, nil
}

// createPerson creates the namespaces, the viewer ClusterRole as shipped,
// and the person's ServiceAccount (in the first namespace) bound to it in
// every namespace.
func createPerson(ctx context.Context, plane *benchenv.ControlPlane, root string, f *fleet) error {
	data, err := os.ReadFile(filepath.Join(root, viewerRole))
	if err != nil {
		return err
	}
	role := &rbacv1.ClusterRole{}
	if err := yaml.Unmarshal(data, role); err != nil {
		return fmt.Errorf("%s: %w", viewerRole, err)
	}
	objs := []client.Object{role}
	for _, ns := range f.namespaces {
		objs = append(objs, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	}
	home := f.namespaces[0]
	objs = append(objs, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: home, Name: person}})
	for _, ns := range f.namespaces {
		objs = append(objs, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: person},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: home, Name: person}},
		})
	}
	for _, obj := range objs {
		if err := plane.Kube.Create(ctx, obj); err != nil {
			return fmt.Errorf("create %T %s: %w", obj, obj.GetName(), err)
		}
	}
	f.user = serviceaccount.MakeUsername(home, person)
	return nil
}

// createRobot creates robot i and its runs, each with its status, and
// returns how many runs it created.
func createRobot(ctx context.Context, c client.Client, ns string, i, days int, now time.Time) (runs int, err error) {
	robot, robotRuns := robotOf(ns, i, days, now)
	status := robot.Status
	if err := createWithStatus(ctx, c, robot, func() { robot.Status = status }); err != nil {
		return 0, err
	}
	for _, run := range robotRuns {
		status := run.Status
		if err := createWithStatus(ctx, c, run, func() { run.Status = status }); err != nil {
			return runs, err
		}
		runs++
	}
	return runs, nil
}

// createQueue creates queue i with its counts.
func createQueue(ctx context.Context, c client.Client, ns string, i int, now time.Time) error {
	q := queueOf(ns, i, now)
	status := q.Status
	return createWithStatus(ctx, c, q, func() { q.Status = status })
}

// createWithStatus creates obj, then writes its status, which the create
// left out (the status subresource): restoreStatus puts it back in obj.
func createWithStatus(ctx context.Context, c client.Client, obj client.Object, restoreStatus func()) error {
	if err := c.Create(ctx, obj); err != nil {
		return fmt.Errorf("create %T %s: %w", obj, obj.GetName(), err)
	}
	restoreStatus()
	if err := c.Status().Update(ctx, obj); err != nil {
		return fmt.Errorf("status of %T %s: %w", obj, obj.GetName(), err)
	}
	return nil
}

// waitAllowed waits until kube-apiserver's RBAC lets the person list
// what the overview lists in every namespace (its authorizer learns of new
// RoleBindings from a watch), so that no measured page leaves one out.
func waitAllowed(ctx context.Context, plane *benchenv.ControlPlane, f *fleet) error {
	groups := serviceaccount.MakeGroupNames(f.namespaces[0])
	return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		for _, ns := range f.namespaces {
			for _, resource := range []string{robotsResource, runsResource, workQueuesResource} {
				sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
					User: f.user, Groups: groups, ResourceAttributes: &authorizationv1.ResourceAttributes{
						Namespace: ns, Verb: "list", Group: rpav1alpha1.GroupVersion.Group, Resource: resource,
					},
				}}
				got, err := plane.Clientset.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
				if err != nil || !got.Status.Allowed {
					return false, err
				}
			}
		}
		return true, nil
	})
}

// inParallel calls fn for 0..n-1 from 16 goroutines, as the clients of a
// busy cluster would write, and returns the first error.
func inParallel(n int, fn func(i int) error) error {
	next := make(chan int)
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := range next {
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}
