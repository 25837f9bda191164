package integration

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// closedNowCalendar is a calendar open every day of the week except today
// and tomorrow in Copenhagen, by the test clock: what happens on them
// does not depend on the weekday the suite runs.
func closedNowCalendar(t *testing.T, ns, name string) *rpav1alpha1.RobotCalendar {
	t.Helper()
	cph, err := time.LoadLocation("Europe/Copenhagen")
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	today := testClock.Now().In(cph)
	cal := &rpav1alpha1.RobotCalendar{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: rpav1alpha1.RobotCalendarSpec{
			TimeZone:         "Europe/Copenhagen",
			WorkingDays:      []rpav1alpha1.Weekday{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"},
			ExtraClosedDates: []string{today.Format(time.DateOnly), today.AddDate(0, 0, 1).Format(time.DateOnly)},
		},
	}
	NewWithT(t).Expect(k8sClient.Create(context.Background(), cal)).To(Succeed())
	return cal
}

// openCalendar removes the calendar's closed dates.
func openCalendar(g Gomega, cal *rpav1alpha1.RobotCalendar) {
	g.Eventually(func() error {
		current := &rpav1alpha1.RobotCalendar{}
		if err := k8sClient.Get(context.Background(), client.ObjectKeyFromObject(cal), current); err != nil {
			return err
		}
		current.Spec.ExtraClosedDates = nil
		return k8sClient.Update(context.Background(), current)
	}, timeout, interval).Should(Succeed())
}

// TestAQueuesSLACountsOnlyItsCalendarsOpenDays: items added on a closed day
// are not overdue two hours later under a one-hour SLA, since closed days
// do not count; once the days are open, they are. A queue naming a
// calendar that does not exist says so and counts wall-clock time.
func TestAQueuesSLACountsOnlyItsCalendarsOpenDays(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	cal := closedNowCalendar(t, ns, "aalborg")
	wq := createWorkQueue(t, ns, "certificates", func(q *rpav1alpha1.WorkQueue) {
		q.Spec.SLA = &metav1.Duration{Duration: time.Hour}
		q.Spec.Calendar = cal.Name
	})
	plain := createWorkQueue(t, ns, "plain", func(q *rpav1alpha1.WorkQueue) {
		q.Spec.SLA = &metav1.Duration{Duration: time.Hour}
	})
	addItems(g, wq, 3)
	addItems(g, plain, 3)
	advanceClock(t, 2*time.Hour)
	g.Eventually(func(g Gomega) {
		g.Expect(getWorkQueue(g, plain).Status.Overdue).To(BeEquivalentTo(3), "wall-clock time: two hours past a one-hour SLA")
		// Each queue is counted on its own: the calendar queue's counts
		// must be in too before its overdue count means anything.
		g.Expect(getWorkQueue(g, wq).Status.Items.New).To(BeEquivalentTo(3))
	}, timeout, interval).Should(Succeed())
	g.Consistently(func(g Gomega) {
		st := getWorkQueue(g, wq).Status
		g.Expect(st.Items.New).To(BeEquivalentTo(3))
		g.Expect(st.Overdue).To(BeZero(), "closed days do not count")
		ready := meta.FindStatusCondition(st.Conditions, rpav1alpha1.ConditionReady)
		g.Expect(ready).NotTo(BeNil())
		g.Expect(ready.Status).To(Equal(metav1.ConditionTrue))
	}, "2s", interval).Should(Succeed())

	openCalendar(g, cal)
	g.Eventually(func(g Gomega) {
		g.Expect(getWorkQueue(g, wq).Status.Overdue).To(BeEquivalentTo(3), "open days count")
	}, timeout, interval).Should(Succeed())

	missing := createWorkQueue(t, ns, "missing-calendar", func(q *rpav1alpha1.WorkQueue) {
		q.Spec.SLA = &metav1.Duration{Duration: time.Hour}
		q.Spec.Calendar = "no-such-calendar"
	})
	g.Eventually(func(g Gomega) {
		ready := meta.FindStatusCondition(getWorkQueue(g, missing).Status.Conditions, rpav1alpha1.ConditionReady)
		g.Expect(ready).NotTo(BeNil())
		g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(ready.Reason).To(Equal(rpav1alpha1.ReasonCalendarNotFound))
		g.Expect(ready.Message).To(ContainSubstring(`calendar "no-such-calendar" does not exist`))
	}, timeout, interval).Should(Succeed())
}

// TestAQueueTriggerStartsNoRunsOnItsCalendarsClosedDays: items wait on a
// closed day and no run starts; Triggering says why, without a Warning.
// Once the calendar opens, the trigger starts runs.
func TestAQueueTriggerStartsNoRunsOnItsCalendarsClosedDays(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	cal := closedNowCalendar(t, ns, "herning")
	robot := createRobot(t, ns, "per", func(r *rpav1alpha1.Robot) { r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow })
	wq := createWorkQueue(t, ns, "mail", func(q *rpav1alpha1.WorkQueue) {
		q.Spec.Calendar = cal.Name
		q.Spec.Trigger = &rpav1alpha1.WorkQueueTrigger{RobotName: robot.Name, MinItems: 1, MaxConcurrentRuns: 2, ItemsPerRun: 1}
	})
	addItems(g, wq, 5)
	g.Eventually(func(g Gomega) {
		st := getWorkQueue(g, wq).Status
		g.Expect(st.Items.New).To(BeEquivalentTo(5))
		triggering := meta.FindStatusCondition(st.Conditions, rpav1alpha1.ConditionTriggering)
		g.Expect(triggering).NotTo(BeNil())
		g.Expect(triggering.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(triggering.Reason).To(Equal(rpav1alpha1.ReasonCalendarClosed))
		g.Expect(triggering.Message).To(ContainSubstring("calendar herning is closed today (extra closed date)"))
	}, timeout, interval).Should(Succeed())
	g.Consistently(func(g Gomega) {
		g.Expect(triggeredRuns(g, wq)).To(BeEmpty())
	}, "2s", interval).Should(Succeed())
	g.Expect(eventsAbout(g, ns, wq.Name)).NotTo(ContainElement(HaveField("Reason", rpav1alpha1.ReasonCalendarClosed)),
		"a closed day is no warning")

	openCalendar(g, cal)
	g.Eventually(func(g Gomega) {
		g.Expect(triggeredRuns(g, wq)).To(HaveLen(2))
	}, timeout, interval).Should(Succeed())
}
