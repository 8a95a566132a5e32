package engine

import (
	"time"

	"github.com/supportops/grafana-support-analytics/pkg/models"
)

// Business hours (SPEC 5.3b).

const (
	microsPerSecond = int64(time.Second / time.Microsecond)
	microsPerDay    = 86400 * microsPerSecond
)

// businessClock counts the time inside the team's opening hours. An instant is inside when the team's
// wall clock then shows a time inside an opening interval of that local date's weekday, and that date
// is not a holiday: on a DST day a skipped hour counts nothing and a repeated hour counts twice, and an
// opening 09:00-18:00 lasts 9 hours whatever the day.
type businessClock struct {
	loc      *time.Location
	week     [7][]models.OpenInterval // by time.Weekday
	daily    [7]int64                 // open micros of each weekday
	weekly   int64
	holidays map[int64]bool // local dates, as days since 1970-01-01
}

func newBusinessClock(bh *models.BusinessHours) *businessClock {
	if bh == nil {
		return nil
	}
	c := &businessClock{loc: bh.Location, week: bh.Week, holidays: map[int64]bool{}}
	for wd, intervals := range bh.Week {
		for _, iv := range intervals {
			c.daily[wd] += int64(iv.End-iv.Start) * microsPerSecond
		}
		c.weekly += c.daily[wd]
	}
	for h := range bh.Holidays {
		if d, err := time.Parse(time.DateOnly, h); err == nil {
			c.holidays[floorDiv(d.Unix(), 86400)] = true
		}
	}
	return c
}

// elapsed is the business time in [from, to), both in micros; 0 when to is not after from. The range
// is cut where the zone's UTC offset changes; within a piece, wall-clock time is the instant plus
// the offset, and the opening hours are counted on that wall-clock line.
func (c *businessClock) elapsed(from, to int64) int64 {
	var total int64
	for a := from; a < to; {
		t := time.UnixMicro(a).In(c.loc)
		_, offset := t.Zone()
		b := to
		if _, end := t.ZoneBounds(); !end.IsZero() && end.UnixMicro() < b {
			b = end.UnixMicro()
		}
		shift := int64(offset) * microsPerSecond
		total += c.openWall(a+shift, b+shift)
		a = b
	}
	return total
}

// openWall is the open time in [x, y) of the naive wall-clock line (micros since 1970-01-01 00:00
// local), where every day lasts 24 hours.
func (c *businessClock) openWall(x, y int64) int64 {
	if y <= x {
		return 0
	}
	first, last := floorDiv(x, microsPerDay), floorDiv(y-1, microsPerDay)
	if last-first < 9 {
		var total int64
		for day := first; day <= last; day++ {
			total += c.openOn(day, x, y)
		}
		return total
	}
	// The days strictly between the first and the last are open all their hours: whole weeks at once,
	// less the holidays among them.
	total := c.openOn(first, x, y) + c.openOn(last, x, y)
	lo, hi := first+1, last-1
	weeks := (hi - lo + 1) / 7
	total += weeks * c.weekly
	for day := lo + weeks*7; day <= hi; day++ {
		total += c.openOn(day, x, y)
	}
	for h := range c.holidays {
		if h >= lo && h < lo+weeks*7 {
			total -= c.daily[weekday(h)]
		}
	}
	return total
}

// openOn is the open time of one local day (days since 1970-01-01) inside [x, y) of the wall-clock line.
func (c *businessClock) openOn(day, x, y int64) int64 {
	if c.holidays[day] {
		return 0
	}
	var total int64
	base := day * microsPerDay
	for _, iv := range c.week[weekday(day)] {
		s := max(x, base+int64(iv.Start)*microsPerSecond)
		e := min(y, base+int64(iv.End)*microsPerSecond)
		if e > s {
			total += e - s
		}
	}
	return total
}

// weekday of a day counted from 1970-01-01, a Thursday.
func weekday(day int64) time.Weekday { return time.Weekday((day%7 + 11) % 7) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
