package queueaccess

import (
	"context"
	"fmt"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// Reconciler keeps each namespace's queue-robot RoleBinding; a request is
// the binding's key.
type Reconciler struct {
	client.Client
}

// The manager may bind rpa-queue-robot and no other role: RBAC lets a
// RoleBinding be created only by who holds its permissions or may bind
// its role.
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=rolebindings,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=clusterroles,verbs=bind,resourceNames=rpa-queue-robot
// +kubebuilder:rbac:groups=rpa.dev,resources=workqueues,verbs=get;list;watch
// +kubebuilder:rbac:groups=rpa.dev,resources=robots,verbs=get;list;watch

// Reconcile makes the namespace's binding name the ServiceAccounts its
// queues' robots run as, and removes it when there are none.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	want, err := r.wantedSubjects(ctx, req.Namespace)
	if err != nil {
		return ctrl.Result{}, err
	}
	binding := &rbacv1.RoleBinding{}
	err = r.Get(ctx, req.NamespacedName, binding)
	switch {
	case apierrors.IsNotFound(err) && len(want) == 0:
		return ctrl.Result{}, nil
	case apierrors.IsNotFound(err):
		return ctrl.Result{}, r.create(ctx, req.Namespace, want)
	case err != nil:
		return ctrl.Result{}, fmt.Errorf("read rolebinding %s: %w", req.Name, err)
	case len(want) == 0:
		log.FromContext(ctx).Info("no robot uses a queue any more; removing their access", "rolebinding", req.Name)
		return ctrl.Result{}, client.IgnoreNotFound(r.Delete(ctx, binding, client.Preconditions{UID: &binding.UID}))
	case slices.Equal(binding.Subjects, want):
		return ctrl.Result{}, nil
	}
	next := binding.DeepCopy()
	next.Subjects = want
	log.FromContext(ctx).Info("queue robots changed", "rolebinding", req.Name, "serviceAccounts", len(want))
	return ctrl.Result{}, r.Patch(ctx, next, client.MergeFromWithOptions(binding, client.MergeFromWithOptimisticLock{}))
}

func (r *Reconciler) wantedSubjects(ctx context.Context, namespace string) ([]rbacv1.Subject, error) {
	var queues rpav1alpha1.WorkQueueList
	if err := r.List(ctx, &queues, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("list workqueues: %w", err)
	}
	robots := map[string]*rpav1alpha1.Robot{}
	for i := range queues.Items {
		for _, name := range queues.Items[i].Spec.RobotNames() {
			if _, seen := robots[name]; seen {
				continue
			}
			robot := &rpav1alpha1.Robot{}
			err := r.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, robot)
			switch {
			case apierrors.IsNotFound(err):
				robot = nil
			case err != nil:
				return nil, fmt.Errorf("read robot %s: %w", name, err)
			}
			robots[name] = robot
		}
	}
	return subjects(namespace, queues.Items, robots), nil
}

func (r *Reconciler) create(ctx context.Context, namespace string, want []rbacv1.Subject) error {
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: namespace, Name: BindingName,
			Labels: map[string]string{rpav1alpha1.LabelManagedBy: rpav1alpha1.ManagedBy},
		},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: ClusterRoleName},
		Subjects: want,
	}
	log.FromContext(ctx).Info("robots use a queue; giving them the work-item API", "rolebinding", BindingName, "serviceAccounts", len(want))
	return client.IgnoreAlreadyExists(r.Create(ctx, binding))
}

// SetupWithManager watches WorkQueues (the robots they name), Robots (the
// ServiceAccount they run as) and the bindings themselves (an edit or a
// delete is put right).
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("queueaccess").
		Watches(&rpav1alpha1.WorkQueue{}, handler.EnqueueRequestsFromMapFunc(bindingOf),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&rpav1alpha1.Robot{}, handler.EnqueueRequestsFromMapFunc(bindingOf),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&rbacv1.RoleBinding{}, handler.EnqueueRequestsFromMapFunc(bindingOf),
			builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool { return o.GetName() == BindingName }))).
		Complete(r)
}

// bindingOf maps any object to its namespace's binding.
func bindingOf(_ context.Context, obj client.Object) []reconcile.Request {
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: obj.GetNamespace(), Name: BindingName}}}
}
