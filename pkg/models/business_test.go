package models

import (
	"errors"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBusinessHoursSettings(t *testing.T) {
	t.Run("unset: every hour counts, calendar SLA clock", func(t *testing.T) {
		for _, extra := range []map[string]any{nil, {"businessHours": nil, "slaClock": ""}} {
			s, err := LoadSettings(instance(t, minimal(extra), nil))
			require.NoError(t, err)
			assert.Nil(t, s.BusinessHours)
			assert.Equal(t, SLAClockCalendar, s.SLAClock)
		}
	})
	t.Run("the SPEC 5.3b example", func(t *testing.T) {
		s, err := LoadSettings(instance(t, minimal(map[string]any{
			"timezone": "America/New_York",
			"slaClock": "Business",
			"businessHours": map[string]any{
				"timezone": "Europe/Paris",
				// Given out of order: kept sorted.
				"week": map[string]any{"monday": [][]string{{"13:30", "18:00"}, {"09:00", "12:30"}}, "Tuesday": [][]string{{"09:00", "18:00"}},
					"saturday": [][]string{}, "sunday": [][]string{{"00:00", "24:00"}}},
				"holidays": []string{"2026-12-25", " 2027-01-01 "},
			},
		}), nil))
		require.NoError(t, err)
		assert.Equal(t, SLAClockBusiness, s.SLAClock)
		bh := s.BusinessHours
		require.NotNil(t, bh)
		assert.Equal(t, "Europe/Paris", bh.Timezone)
		assert.Equal(t, "Europe/Paris", bh.Location.String())
		assert.Equal(t, []OpenInterval{{9 * 3600, 12*3600 + 1800}, {13*3600 + 1800, 18 * 3600}}, bh.Week[time.Monday])
		assert.Equal(t, []OpenInterval{{9 * 3600, 18 * 3600}}, bh.Week[time.Tuesday])
		assert.Equal(t, []OpenInterval{{0, 86400}}, bh.Week[time.Sunday])
		assert.Empty(t, bh.Week[time.Wednesday], "a missing weekday is closed")
		assert.Empty(t, bh.Week[time.Saturday])
		assert.Equal(t, map[string]bool{"2026-12-25": true, "2027-01-01": true}, bh.Holidays)
		// 3.5 + 4.5 + 9 + 24 hours.
		assert.Equal(t, 41*3600, bh.WeeklySeconds())
	})
	t.Run("the team's zone defaults to the timezone setting", func(t *testing.T) {
		s, err := LoadSettings(instance(t, minimal(map[string]any{"timezone": "Asia/Tokyo",
			"businessHours": map[string]any{"week": map[string]any{"friday": [][]string{{"9:00", "17:00"}}}}}), nil))
		require.NoError(t, err)
		assert.Equal(t, "Asia/Tokyo", s.BusinessHours.Location.String())
		assert.Equal(t, []OpenInterval{{9 * 3600, 17 * 3600}}, s.BusinessHours.Week[time.Friday])
	})
}

func TestBusinessHoursSettingsErrors(t *testing.T) {
	week := func(day string, intervals ...[]string) map[string]any {
		return map[string]any{"week": map[string]any{day: intervals}}
	}
	tests := []struct {
		name string
		bh   any
		sla  string
		want string
	}{
		{"sla clock unknown", nil, "wall", `slaClock "wall" is not supported: use calendar or business`},
		{"business clock without hours", nil, "business", "slaClock is business but businessHours is not set"},
		{"not an object", "9-18", "", `businessHours must look like {"timezone": "Europe/Paris"`},
		{"unknown key", map[string]any{"weeks": map[string]any{}}, "", `businessHours has an unknown key "weeks": use timezone, week and holidays`},
		{"unknown zone", map[string]any{"timezone": "Mars/Olympus", "week": map[string]any{"monday": [][]string{{"09:00", "18:00"}}}}, "", `businessHours.timezone "Mars/Olympus" is not a known IANA time zone`},
		{"unknown day", week("mon", []string{"09:00", "18:00"}), "", `businessHours.week has an unknown day "mon": use monday, tuesday`},
		{"day twice", map[string]any{"week": map[string]any{"monday": [][]string{{"09:00", "10:00"}}, "Monday": [][]string{{"11:00", "12:00"}}}}, "", "businessHours.week lists monday twice"},
		{"not a pair", week("monday", []string{"09:00"}), "", `businessHours.week.monday: each interval is a pair ["HH:MM", "HH:MM"], got ["09:00"]`},
		{"bad time", week("tuesday", []string{"9h", "18:00"}), "", `businessHours.week.tuesday: "9h" to "18:00": times are HH:MM from 00:00 to 24:00`},
		{"minutes out of range", week("tuesday", []string{"09:60", "18:00"}), "", `"09:60" to "18:00": times are HH:MM`},
		{"past 24:00", week("tuesday", []string{"09:00", "24:30"}), "", `"09:00" to "24:30": times are HH:MM`},
		{"starts at 24:00", week("tuesday", []string{"24:00", "24:00"}), "", `"24:00" to "24:00": times are HH:MM`},
		{"across midnight", week("friday", []string{"22:00", "02:00"}), "", "businessHours.week.friday: the interval 22:00 to 02:00 ends before it starts: split a night across midnight into 22:00 to 24:00 and 00:00 to 02:00 of the next day"},
		{"empty interval", week("friday", []string{"10:00", "10:00"}), "", "the interval 10:00 to 10:00 ends before it starts"},
		{"overlap", week("monday", []string{"09:00", "12:30"}, []string{"12:00", "18:00"}), "", "businessHours.week.monday: the intervals 09:00-12:30 and 12:00-18:00 overlap"},
		{"no opening hours", map[string]any{"week": map[string]any{"monday": [][]string{}}}, "", "businessHours has no opening hours"},
		{"bad holiday", map[string]any{"week": map[string]any{"monday": [][]string{{"09:00", "18:00"}}}, "holidays": []string{"25/12/2026"}}, "", `businessHours.holidays: "25/12/2026" is not a date: use YYYY-MM-DD`},
		{"impossible holiday", map[string]any{"week": map[string]any{"monday": [][]string{{"09:00", "18:00"}}}, "holidays": []string{"2026-02-30"}}, "", `"2026-02-30" is not a date`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			extra := map[string]any{}
			if tt.bh != nil {
				extra["businessHours"] = tt.bh
			}
			if tt.sla != "" {
				extra["slaClock"] = tt.sla
			}
			_, err := LoadSettings(instance(t, minimal(extra), nil))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.True(t, errors.Is(err, ErrSettings))
			assert.True(t, backend.IsDownstreamError(err))
		})
	}
}
