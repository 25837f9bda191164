package integration

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

func TestRobotWithoutCredentialsIsReady(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	robot := minimalRobot(ns, "residence-check")
	g.Expect(k8sClient.Create(context.Background(), robot)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(readyOf(g, robot).Status).To(Equal(metav1.ConditionTrue))
	}, timeout, interval).Should(Succeed())
	// Ready from the start is routine: no Event (the condition says it).
	g.Consistently(func(g Gomega) {
		g.Expect(eventReasons(g, ns, robot.Name)).NotTo(ContainElement(rpav1alpha1.ReasonReady))
	}, 3*time.Second, interval).Should(Succeed())
}

// readyOf reads the robot and returns its Ready condition.
func readyOf(g Gomega, robot *rpav1alpha1.Robot) metav1.Condition {
	got := &rpav1alpha1.Robot{}
	g.Expect(k8sClient.Get(context.Background(), objectKey(robot), got)).To(Succeed())
	ready := meta.FindStatusCondition(got.Status.Conditions, rpav1alpha1.ConditionReady)
	g.Expect(ready).NotTo(BeNil(), "Ready condition")
	return *ready
}

// eventsAbout lists the Events about the named object.
func eventsAbout(g Gomega, namespace, name string) []eventsv1.Event {
	var list eventsv1.EventList
	g.Expect(k8sClient.List(context.Background(), &list, client.InNamespace(namespace))).To(Succeed())
	var about []eventsv1.Event
	for _, e := range list.Items {
		if e.Regarding.Name == name {
			about = append(about, e)
		}
	}
	return about
}

// eventReasons lists the reasons of the Events about the named object.
func eventReasons(g Gomega, namespace, name string) []string {
	events := eventsAbout(g, namespace, name)
	reasons := make([]string, 0, len(events))
	for _, e := range events {
		reasons = append(reasons, e.Reason)
	}
	return reasons
}

// eventNotes lists the messages of the Events about the named object.
func eventNotes(g Gomega, namespace, name string) []string {
	events := eventsAbout(g, namespace, name)
	notes := make([]string, 0, len(events))
	for _, e := range events {
		notes = append(notes, e.Note)
	}
	return notes
}
