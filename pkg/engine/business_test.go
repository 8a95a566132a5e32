package engine

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/models"
)

func hours(spec map[time.Weekday][][2]string) [7][]models.OpenInterval {
	var week [7][]models.OpenInterval
	at := func(s string) int {
		t, err := time.Parse("15:04", s)
		if s == "24:00" {
			return 86400
		}
		if err != nil {
			panic(err)
		}
		return t.Hour()*3600 + t.Minute()*60
	}
	for wd, list := range spec {
		for _, iv := range list {
			week[wd] = append(week[wd], models.OpenInterval{Start: at(iv[0]), End: at(iv[1])})
		}
	}
	return week
}

func clockIn(t *testing.T, zone string, week [7][]models.OpenInterval, holidays ...string) *businessClock {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	require.NoError(t, err)
	bh := &models.BusinessHours{Timezone: zone, Location: loc, Week: week, Holidays: map[string]bool{}}
	for _, h := range holidays {
		bh.Holidays[h] = true
	}
	return newBusinessClock(bh)
}

// local is a wall-clock time in loc, as micros.
func local(t *testing.T, zone, s string) int64 {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	require.NoError(t, err)
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	require.NoError(t, err)
	return v.UnixMicro()
}

var officeWeek = map[time.Weekday][][2]string{
	time.Monday:    {{"09:00", "12:30"}, {"13:30", "18:00"}},
	time.Tuesday:   {{"09:00", "18:00"}},
	time.Wednesday: {{"09:00", "18:00"}},
	time.Thursday:  {{"09:00", "18:00"}},
	time.Friday:    {{"09:00", "18:00"}},
}

func TestBusinessClockHandComputed(t *testing.T) {
	const paris = "Europe/Paris"
	office := clockIn(t, paris, hours(officeWeek), "2026-12-25")
	allDay := map[time.Weekday][][2]string{}
	for wd := range 7 {
		allDay[time.Weekday(wd)] = [][2]string{{"00:00", "24:00"}}
	}
	always := clockIn(t, paris, hours(allDay), "2026-12-25")
	night := clockIn(t, paris, hours(map[time.Weekday][][2]string{time.Sunday: {{"01:00", "03:00"}}}))
	s := func(n int64) int64 { return n * microsPerSecond }
	tests := []struct {
		name     string
		clock    *businessClock
		from, to string
		want     int64
	}{
		// The example, across the change to summer time (Sunday 2026-03-29): 5 minutes.
		{"Friday 19:00 to Monday 09:05", office, "2026-03-27 19:00", "2026-03-30 09:05", s(300)},
		{"created while closed starts at the opening", office, "2026-03-28 11:00", "2026-03-30 10:00", s(3600)},
		{"a reply while closed costs nothing", office, "2026-03-27 17:00", "2026-03-27 20:00", s(3600)},
		{"lunch break does not count", office, "2026-03-30 12:00", "2026-03-30 14:00", s(30*60 + 30*60)},
		{"inside one interval", office, "2026-03-31 10:00", "2026-03-31 10:00", 0},
		{"one working week", office, "2026-03-30 00:00", "2026-04-06 00:00", s(8*3600 + 4*9*3600)},
		// 2026-12-25 is a Friday: closed. Thursday 17:00-18:00 and Monday 09:00-10:00.
		{"over the holiday", office, "2026-12-24 17:00", "2026-12-28 10:00", s(2 * 3600)},
		{"on the holiday", office, "2026-12-25 09:00", "2026-12-25 18:00", 0},
		// Open every hour: a day in Paris lasts 23 hours in March and 25 in October.
		{"spring-forward Sunday", always, "2026-03-29 00:00", "2026-03-30 00:00", s(23 * 3600)},
		{"fall-back Sunday", always, "2026-10-25 00:00", "2026-10-26 00:00", s(25 * 3600)},
		// The holiday is a date in the team's zone: 23:00 on the 24th to 01:00 on the 26th, Paris time.
		{"holiday edges in the team's zone", always, "2026-12-24 23:00", "2026-12-26 01:00", s(2 * 3600)},
		// 01:00-03:00 on the wall clock: one real hour in March (02:00 jumps to 03:00), three in October.
		{"opening across the skipped hour", night, "2026-03-29 00:00", "2026-03-29 12:00", s(3600)},
		{"opening across the repeated hour", night, "2026-10-25 00:00", "2026-10-25 12:00", s(3 * 3600)},
		{"empty range", office, "2026-03-31 12:00", "2026-03-31 10:00", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.clock.elapsed(local(t, paris, tt.from), local(t, paris, tt.to)))
		})
	}
	t.Run("long ranges count whole weeks less the holidays", func(t *testing.T) {
		// 2026-12-07 (Monday) to 2027-01-04 (Monday): 4 weeks of 44 hours, less Friday the 25th (9 hours).
		got := office.elapsed(local(t, paris, "2026-12-07 00:00"), local(t, paris, "2027-01-04 00:00"))
		assert.Equal(t, s(4*44*3600-9*3600), got)
	})
	t.Run("whatever the viewer's zone: instants, not wall clocks", func(t *testing.T) {
		// 2026-03-27 18:00 UTC is 19:00 in Paris; 2026-03-30 07:05 UTC is 09:05 in Paris (summer time).
		from, to := time.Date(2026, 3, 27, 18, 0, 0, 0, time.UTC), time.Date(2026, 3, 30, 7, 5, 0, 0, time.UTC)
		assert.Equal(t, s(300), office.elapsed(from.UnixMicro(), to.UnixMicro()))
		ny, _ := time.LoadLocation("America/New_York")
		assert.Equal(t, s(300), office.elapsed(from.In(ny).UnixMicro(), to.In(ny).UnixMicro()))
	})
}

// TestBusinessClockMatchesMinuteScan compares the clock with a scan that reads the team's wall clock at
// every minute, over random ranges of up to 40 days in zones with DST changes and holidays.
func TestBusinessClockMatchesMinuteScan(t *testing.T) {
	week := hours(map[time.Weekday][][2]string{
		time.Monday:   {{"09:00", "12:30"}, {"13:30", "18:00"}},
		time.Tuesday:  {{"00:00", "03:00"}, {"22:00", "24:00"}},
		time.Thursday: {{"08:15", "17:45"}},
		time.Saturday: {{"01:30", "02:30"}},
		time.Sunday:   {{"00:00", "24:00"}},
	})
	holidays := []string{"2026-03-29", "2026-04-03", "2026-10-27", "2026-11-02"}
	rng := rand.New(rand.NewPCG(7, 11))
	for _, zone := range []string{"UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe"} {
		c := clockIn(t, zone, week, holidays...)
		for range 25 {
			base := []time.Time{time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 10, 0, 0, 0, 0, time.UTC)}[rng.IntN(2)]
			from := base.Add(time.Duration(rng.IntN(30*24*60)) * time.Minute)
			to := from.Add(time.Duration(rng.IntN(40*24*60)) * time.Minute)
			want := int64(0)
			for m := from; m.Before(to); m = m.Add(time.Minute) {
				w := m.In(c.loc)
				if slices.Contains(holidays, w.Format(time.DateOnly)) {
					continue
				}
				sec := w.Hour()*3600 + w.Minute()*60
				for _, iv := range week[w.Weekday()] {
					if sec >= iv.Start && sec < iv.End {
						want += 60 * microsPerSecond
					}
				}
			}
			require.Equal(t, want, c.elapsed(from.UnixMicro(), to.UnixMicro()), "%s [%s, %s)", zone, from, to)
		}
	}
}
