// Package queueaccess lets the robots that use a WorkQueue call the
// work-item API, and no other: one RoleBinding per namespace binds the
// ClusterRole rpa-queue-robot (take, report, add; nothing else) to the
// ServiceAccounts of the Robots the namespace's WorkQueues name. rpa-server
// then checks, on every call, that the caller is a live run's pod of a
// Robot the queue names (docs/work-queues.md, docs/rbac.md).
package queueaccess

import (
	"cmp"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

const (
	// BindingName is the RoleBinding in each namespace with queue robots.
	BindingName = "rpa-queue-robots"
	// ClusterRoleName is the ClusterRole it binds, shipped in
	// config/rbac/queue-robot.
	ClusterRoleName = "rpa-queue-robot"
	// defaultServiceAccount runs a robot that names none.
	defaultServiceAccount = "default"
)

// subjects are the ServiceAccounts of the robots the queues name, each
// once and sorted, so an unchanged namespace gives an unchanged binding.
// A queue may name a robot that does not exist (yet): it gets nothing.
func subjects(namespace string, queues []rpav1alpha1.WorkQueue, robots map[string]*rpav1alpha1.Robot) []rbacv1.Subject {
	var out []rbacv1.Subject
	for i := range queues {
		for _, name := range queues[i].Spec.RobotNames() {
			robot := robots[name]
			if robot == nil {
				continue
			}
			sa := cmp.Or(robot.Spec.Template.ServiceAccountName, defaultServiceAccount)
			s := rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: namespace, Name: sa}
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	slices.SortFunc(out, func(a, b rbacv1.Subject) int { return cmp.Compare(a.Name, b.Name) })
	return out
}
