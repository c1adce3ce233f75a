package broker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
)

func TestScheduleAt(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	weekdays := []api.ScheduleEntry{
		{Day: "monday", StartTime: "09:00", EndTime: "17:00"},
		{Day: "tuesday", StartTime: "09:00", EndTime: "17:00"},
	}
	overnight := []api.ScheduleEntry{
		{Day: "monday", StartTime: "22:00", EndTime: "24:00"},
		{Day: "tuesday", StartTime: "00:00", EndTime: "02:00"},
	}
	at := func(s string) time.Time {
		tt, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		require.NoError(t, err)
		return tt
	}
	// 2026-11-23 is a Monday.
	tests := []struct {
		name    string
		entries []api.ScheduleEntry
		t       time.Time
		in      bool
		end     time.Time
		next    time.Time
	}{
		{"inside", weekdays, at("2026-11-23 10:00"), true, at("2026-11-23 17:00"), time.Time{}},
		{"start is inside", weekdays, at("2026-11-23 09:00"), true, at("2026-11-23 17:00"), time.Time{}},
		{"end is outside", weekdays, at("2026-11-23 17:00"), false, time.Time{}, at("2026-11-24 09:00")},
		{"before", weekdays, at("2026-11-23 08:59"), false, time.Time{}, at("2026-11-23 09:00")},
		{"weekend waits for monday", weekdays, at("2026-11-28 12:00"), false, time.Time{}, at("2026-11-30 09:00")},
		{"overnight windows merge", overnight, at("2026-11-23 23:00"), true, at("2026-11-24 02:00"), time.Time{}},
		{"after midnight belongs to the same window", overnight, at("2026-11-24 01:00"), true, at("2026-11-24 02:00"), time.Time{}},
		{"empty schedule", nil, at("2026-11-23 10:00"), false, time.Time{}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, end, next := scheduleAt(tt.entries, berlin, tt.t.UTC())
			assert.Equal(t, tt.in, in)
			assert.True(t, tt.end.Equal(end), "end %s, want %s", end, tt.end)
			assert.True(t, tt.next.Equal(next), "next %s, want %s", next, tt.next)
		})
	}
}
