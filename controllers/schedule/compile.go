package schedule

import (
	"fmt"
	"time"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// CompileCalendar turns a RobotCalendar into a Calendar, checking what the
// CRD schema cannot (a 30 February, an unknown zone).
func CompileCalendar(cal *rpav1alpha1.RobotCalendar) (*Calendar, error) {
	spec := CalendarSpec{
		TimeZone:    cal.Spec.TimeZone,
		ExtraClosed: cal.Spec.ExtraClosedDates,
		ExtraOpen:   cal.Spec.ExtraOpenDates,
	}
	if cal.Spec.Holidays != nil {
		spec.Country = cal.Spec.Holidays.Country
	}
	for _, d := range cal.Spec.WorkingDays {
		wd, ok := weekdays[d]
		if !ok {
			return nil, fmt.Errorf("unknown working day %q", d)
		}
		spec.WorkingDays = append(spec.WorkingDays, wd)
	}
	return NewCalendar(spec)
}

var weekdays = map[rpav1alpha1.Weekday]time.Weekday{
	"Monday": time.Monday, "Tuesday": time.Tuesday, "Wednesday": time.Wednesday, "Thursday": time.Thursday,
	"Friday": time.Friday, "Saturday": time.Saturday, "Sunday": time.Sunday,
}
