package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RobotCalendarSpec says on which days a municipality is open: its working
// weekdays, the public holidays of its country, and its own closing and
// opening days (docs/calendars.md).
// +kubebuilder:validation:XValidation:rule="!has(self.extraClosedDates) || !has(self.extraOpenDates) || self.extraClosedDates.all(d, !(d in self.extraOpenDates))",message="a date cannot be both in extraClosedDates and in extraOpenDates"
type RobotCalendarSpec struct {
	// TimeZone is the IANA time zone whose dates the calendar speaks of: a
	// scheduled time is on a closed day when its date there is closed.
	// +optional
	// +kubebuilder:default="Europe/Copenhagen"
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$`
	TimeZone string `json:"timeZone,omitempty"`

	// WorkingDays are the weekdays the municipality is open.
	// +optional
	// +listType=set
	// +kubebuilder:default={Monday,Tuesday,Wednesday,Thursday,Friday}
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=7
	WorkingDays []Weekday `json:"workingDays,omitempty"`

	// Holidays selects the built-in public holidays; without it, only
	// weekdays and the extra dates count.
	// +optional
	Holidays *CalendarHolidays `json:"holidays,omitempty"`

	// ExtraClosedDates are days the municipality is closed besides
	// weekends and public holidays: YYYY-MM-DD for one day, or MM-DD for
	// that day every year (12-24 for Christmas Eve, 06-05 for Grundlovsdag).
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=366
	// +kubebuilder:validation:items:Pattern=`^([0-9]{4}-)?(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$`
	ExtraClosedDates []string `json:"extraClosedDates,omitempty"`

	// ExtraOpenDates are days the municipality is open although they are a
	// weekend day, a public holiday or an extra closed date, in the same
	// formats as ExtraClosedDates.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=366
	// +kubebuilder:validation:items:Pattern=`^([0-9]{4}-)?(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$`
	ExtraOpenDates []string `json:"extraOpenDates,omitempty"`
}

// Weekday is a day of the week.
// +kubebuilder:validation:Enum=Monday;Tuesday;Wednesday;Thursday;Friday;Saturday;Sunday
type Weekday string

// CalendarHolidays selects built-in public holidays.
type CalendarHolidays struct {
	// Country whose public holidays close the calendar. DK: Nytårsdag,
	// Skærtorsdag, Langfredag, Påskedag, 2. påskedag, Store Bededag (until
	// 2023), Kristi Himmelfartsdag, Pinsedag, 2. pinsedag, Juledag,
	// 2. juledag, as github.com/rickar/cal/v2 computes them.
	// +kubebuilder:validation:Enum=DK
	Country string `json:"country"`
}

// RobotCalendarStatus shows the calendar's coming closed days, for people to
// check it says what they meant.
type RobotCalendarStatus struct {
	// ObservedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions: Ready says whether the calendar is valid; if not, robots
	// using it are not Ready either.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// NextClosedDates are the next 10 closed dates, from today on, in the
	// calendar's time zone.
	// +optional
	// +listType=atomic
	NextClosedDates []ClosedDate `json:"nextClosedDates,omitempty"`
}

// ClosedDate is a day the calendar is closed, and why.
type ClosedDate struct {
	// Date is YYYY-MM-DD.
	Date string `json:"date"`
	// Reason is the holiday's name, "extra closed date" or "not a working day".
	Reason string `json:"reason"`
}

// RobotCalendar is a working-day calendar: robots whose schedules name it
// do not run on its closed days, or run on the next open day instead
// (calendarPolicy).
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=rpa
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Time Zone",type=string,JSONPath=`.spec.timeZone`
// +kubebuilder:printcolumn:name="Next Closed",type=string,JSONPath=`.status.nextClosedDates[0].date`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type RobotCalendar struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   RobotCalendarSpec   `json:"spec,omitempty"`
	Status RobotCalendarStatus `json:"status,omitempty"`
}

// RobotCalendarList is a list of RobotCalendars.
//
// +kubebuilder:object:root=true
type RobotCalendarList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []RobotCalendar `json:"items"`
}
