package broker

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jumpgate/jumpgate/api"
)

var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

type window struct{ start, end time.Time }

// scheduleAt tells whether t falls inside a Jump Policy schedule in loc. in
// is true inside a window, and end is when that window closes, windows that
// touch or overlap (Monday 22:00–24:00 and Tuesday 00:00–02:00) counting as
// one. Outside, next is when the next window opens (zero if none within a
// week).
func scheduleAt(entries []api.ScheduleEntry, loc *time.Location, t time.Time) (in bool, end, next time.Time) {
	lt := t.In(loc)
	day0 := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
	var ws []window
	// Yesterday to a week ahead covers the window holding t, however long
	// a chain of touching windows is within a week, and the next one.
	for d := -1; d <= 8; d++ {
		day := day0.AddDate(0, 0, d)
		for _, e := range entries {
			if weekdays[e.Day] != day.Weekday() {
				continue
			}
			sh, sm, ok1 := clock(e.StartTime)
			eh, em, ok2 := clock(e.EndTime)
			if !ok1 || !ok2 {
				continue
			}
			s := time.Date(day.Year(), day.Month(), day.Day(), sh, sm, 0, 0, loc)
			en := time.Date(day.Year(), day.Month(), day.Day(), eh, em, 0, 0, loc)
			if en.After(s) {
				ws = append(ws, window{s, en})
			}
		}
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i].start.Before(ws[j].start) })
	var merged []window
	for _, w := range ws {
		if n := len(merged); n > 0 && !w.start.After(merged[n-1].end) {
			if w.end.After(merged[n-1].end) {
				merged[n-1].end = w.end
			}
			continue
		}
		merged = append(merged, w)
	}
	for _, w := range merged {
		if !t.Before(w.start) && t.Before(w.end) {
			return true, w.end, time.Time{}
		}
		if w.start.After(t) {
			return false, time.Time{}, w.start
		}
	}
	return false, time.Time{}, time.Time{}
}

// clock parses "HH:MM" (24:00 allowed).
func clock(s string) (h, m int, ok bool) {
	hs, ms, found := strings.Cut(s, ":")
	if !found {
		return 0, 0, false
	}
	h, err1 := strconv.Atoi(hs)
	m, err2 := strconv.Atoi(ms)
	if err1 != nil || err2 != nil || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return 0, 0, false
	}
	return h, m, true
}

// describeSchedule renders a schedule for a refusal message.
func describeSchedule(entries []api.ScheduleEntry, tz string) string {
	parts := make([]string, 0, len(entries))
	for _, e := range entries {
		parts = append(parts, fmt.Sprintf("%s %s–%s", e.Day, e.StartTime, e.EndTime))
	}
	return strings.Join(parts, ", ") + " (" + tz + ")"
}
