package queueaccess

import (
	"reflect"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

func TestSubjects(t *testing.T) {
	robot := func(sa string) *rpav1alpha1.Robot {
		r := &rpav1alpha1.Robot{}
		r.Spec.Template.ServiceAccountName = sa
		return r
	}
	queue := func(trigger string, robots ...string) rpav1alpha1.WorkQueue {
		q := rpav1alpha1.WorkQueue{Spec: rpav1alpha1.WorkQueueSpec{Robots: robots}}
		if trigger != "" {
			q.Spec.Trigger = &rpav1alpha1.WorkQueueTrigger{RobotName: trigger}
		}
		return q
	}
	sa := func(names ...string) []rbacv1.Subject {
		out := make([]rbacv1.Subject, 0, len(names))
		for _, n := range names {
			out = append(out, rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: "herning", Name: n})
		}
		return out
	}
	robots := map[string]*rpav1alpha1.Robot{"per": robot("per-robot"), "olli": robot(""), "paula": robot(""), "ghost": nil}
	for _, tc := range []struct {
		name   string
		queues []rpav1alpha1.WorkQueue
		want   []rbacv1.Subject
	}{
		{"no queues", nil, nil},
		{"a queue naming no robot", []rpav1alpha1.WorkQueue{queue("")}, nil},
		{"the trigger's robot", []rpav1alpha1.WorkQueue{queue("per")}, sa("per-robot")},
		{"robots without a ServiceAccount run as default, once",
			[]rpav1alpha1.WorkQueue{queue("", "olli", "paula")}, sa("default")},
		{"a robot that does not exist gets nothing", []rpav1alpha1.WorkQueue{queue("ghost", "missing")}, nil},
		{"sorted and each once over queues",
			[]rpav1alpha1.WorkQueue{queue("per", "olli"), queue("olli", "per")}, sa("default", "per-robot")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := subjects("herning", tc.queues, robots); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("subjects = %v, want %v", got, tc.want)
			}
		})
	}
}
