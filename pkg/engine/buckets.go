package engine

import (
	"fmt"
	"sort"
	"time"
)

// Interval names of SPEC 4.
const (
	intervalHour  = "hour"
	intervalDay   = "day"
	intervalWeek  = "week"
	intervalMonth = "month"
)

// autoInterval picks the bucket size from the range length: hour below 2 days, day below 92 days,
// week below 2 years (730 days), else month.
func autoInterval(from, to time.Time) string {
	d := to.Sub(from)
	switch {
	case d < 2*24*time.Hour:
		return intervalHour
	case d < 92*24*time.Hour:
		return intervalDay
	case d < 730*24*time.Hour:
		return intervalWeek
	default:
		return intervalMonth
	}
}

// buckets are calendar buckets in a time zone covering [from, to): bucket i is [start[i], start[i+1]).
// The first bucket starts at the calendar start at or before from, so its first part may lie outside
// the range, where nothing is counted: then it is stamped at from (times[0]), so that Grafana draws
// it inside the range, and it is partial, as is a last bucket that ends after to.
type buckets struct {
	start []int64 // micros, len = n+1 (the last is the end of the last bucket)
	times []time.Time
	// The calendar start of the first bucket, and whether the range cuts the first and last bucket.
	first             time.Time
	cutFirst, cutLast bool
}

func newBuckets(from, to time.Time, interval string, loc *time.Location, weekStart time.Weekday) *buckets {
	b := &buckets{}
	t := floorTime(from.In(loc), interval, weekStart)
	for {
		b.times = append(b.times, t)
		b.start = append(b.start, t.UnixMicro())
		if !t.Before(to) {
			break
		}
		t = nextTime(t, interval)
	}
	if len(b.start) == 1 { // empty range: one bucket
		t = nextTime(t, interval)
		b.times = append(b.times, t)
		b.start = append(b.start, t.UnixMicro())
	}
	b.times = b.times[:len(b.times)-1]
	b.first = b.times[0]
	if b.first.Before(from) {
		b.cutFirst = true
		b.times[0] = from.In(loc)
	}
	b.cutLast = time.UnixMicro(b.start[len(b.start)-1]).After(to)
	return b
}

// partialNotice says which buckets the range cuts, and where the first one is drawn; "" when none.
func (b *buckets) partialNotice(interval string, from, to time.Time, loc *time.Location) string {
	if !b.cutFirst && !b.cutLast {
		return ""
	}
	const at = "2 Jan 2006 15:04"
	name := func(start time.Time) string {
		switch interval {
		case intervalHour:
			return "the hour of " + start.Format(at)
		case intervalDay:
			return start.Format("2 Jan 2006")
		case intervalWeek:
			return "the week of " + start.Format("2 Jan 2006")
		}
		return start.Format("January 2006")
	}
	from, to = from.In(loc), to.In(loc)
	last := b.times[len(b.times)-1]
	if len(b.times) == 1 {
		last = b.first
	}
	switch {
	case len(b.times) == 1:
		return fmt.Sprintf("The range covers part of one %s, %s: from %s to %s (%s), drawn at the range's start.",
			interval, name(b.first), from.Format(at), to.Format(at), loc)
	case b.cutFirst && b.cutLast:
		return fmt.Sprintf("The first and last %ss are partial: %s counts from the range's start, %s, where it is drawn, and %s until the range's end, %s (%s).",
			interval, name(b.first), from.Format(at), name(last), to.Format(at), loc)
	case b.cutFirst:
		return fmt.Sprintf("The first %s is partial: %s counts from the range's start, %s (%s), where it is drawn.",
			interval, name(b.first), from.Format(at), loc)
	}
	return fmt.Sprintf("The last %s is partial: %s counts until the range's end, %s (%s).",
		interval, name(last), to.Format(at), loc)
}

// len is the number of buckets.
func (b *buckets) len() int { return len(b.times) }

// index returns the bucket of instant t (micros), or -1.
func (b *buckets) index(t int64) int {
	if t < b.start[0] || t >= b.start[len(b.start)-1] {
		return -1
	}
	return sort.Search(len(b.start), func(i int) bool { return b.start[i] > t }) - 1
}

// floorTime is the start of the calendar bucket holding t, in t's location.
func floorTime(t time.Time, interval string, weekStart time.Weekday) time.Time {
	loc := t.Location()
	switch interval {
	case intervalHour:
		// Subtracting the local minutes and seconds lands on the local HH:00 instant, also inside an
		// ambiguous hour when clocks go back and in half-hour zones.
		return t.Add(-time.Duration(t.Minute())*time.Minute - time.Duration(t.Second())*time.Second -
			time.Duration(t.Nanosecond()))
	case intervalDay:
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	case intervalWeek:
		d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		back := (int(d.Weekday()) - int(weekStart) + 7) % 7
		return time.Date(d.Year(), d.Month(), d.Day()-back, 0, 0, 0, 0, loc)
	default:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
	}
}

// nextTime is the start of the bucket after the one starting at t.
func nextTime(t time.Time, interval string) time.Time {
	loc := t.Location()
	switch interval {
	case intervalHour:
		return floorTime(t.Add(time.Hour), intervalHour, 0)
	case intervalDay:
		return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
	case intervalWeek:
		return time.Date(t.Year(), t.Month(), t.Day()+7, 0, 0, 0, 0, loc)
	default:
		return time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, loc)
	}
}
