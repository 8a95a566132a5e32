package models

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SLA clocks (SPEC 5.3b): what first_response_sla_rate measures against the targets.
const (
	SLAClockCalendar = "calendar"
	SLAClockBusiness = "business"
)

// Weekdays are the keys of businessHours.week, Sunday first as time.Weekday numbers them.
var Weekdays = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// BusinessHours are the team's opening hours (SPEC 5.3b): per weekday, opening intervals in the
// team's zone; holidays closed all day.
type BusinessHours struct {
	Timezone string
	Location *time.Location
	// Week[time.Weekday] lists that day's opening intervals, sorted, not overlapping; none: closed.
	Week [7][]OpenInterval
	// Holidays are local dates (YYYY-MM-DD), closed all day.
	Holidays map[string]bool
}

// OpenInterval is [Start, End) in seconds after the local midnight; End may be 86400 ("24:00").
type OpenInterval struct{ Start, End int }

// WeeklySeconds is how long the team is open in a week without holidays.
func (b *BusinessHours) WeeklySeconds() int {
	n := 0
	for _, day := range b.Week {
		for _, iv := range day {
			n += iv.End - iv.Start
		}
	}
	return n
}

// jsonBusinessHours mirrors the businessHours setting. Its fields are raw so that each error names
// the key at fault in the user's words.
type jsonBusinessHours struct {
	Timezone string                       `json:"timezone"`
	Week     map[string][]json.RawMessage `json:"week"`
	Holidays []string                     `json:"holidays"`
}

// businessHours parses the businessHours setting; nil when it is absent or null.
func (raw jsonSettings) businessHours(out *Settings) error {
	src := bytes.TrimSpace(raw.BusinessHours)
	if len(src) > 0 && !bytes.Equal(src, []byte("null")) {
		bh, err := parseBusinessHours(src, out.Timezone)
		if err != nil {
			return err
		}
		out.BusinessHours = bh
	}
	clock, err := oneOf("slaClock", defaultIfBlank(raw.SLAClock, SLAClockCalendar), SLAClockCalendar, SLAClockBusiness)
	if err != nil {
		return err
	}
	if clock == SLAClockBusiness && out.BusinessHours == nil {
		return settingsError("slaClock is business but businessHours is not set: set the team's opening hours, or use slaClock calendar")
	}
	out.SLAClock = clock
	return nil
}

func parseBusinessHours(src []byte, defaultZone string) (*BusinessHours, error) {
	var j jsonBusinessHours
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return nil, businessJSONError(err)
	}
	bh := &BusinessHours{Timezone: defaultIfBlank(j.Timezone, defaultZone), Holidays: map[string]bool{}}
	loc, err := time.LoadLocation(bh.Timezone)
	if err != nil || bh.Timezone == "Local" {
		return nil, settingsError("businessHours.timezone %q is not a known IANA time zone (e.g. Europe/Paris, UTC)", bh.Timezone)
	}
	bh.Location = loc
	for day, intervals := range j.Week {
		wd := slices.Index(Weekdays, strings.ToLower(strings.TrimSpace(day)))
		if wd < 0 {
			return nil, settingsError("businessHours.week has an unknown day %q: use monday, tuesday, wednesday, thursday, friday, saturday or sunday", day)
		}
		if bh.Week[wd] != nil {
			return nil, settingsError("businessHours.week lists %s twice", Weekdays[wd])
		}
		list := []OpenInterval{}
		for _, iv := range intervals {
			o, err := parseInterval(Weekdays[wd], iv)
			if err != nil {
				return nil, err
			}
			list = append(list, o)
		}
		slices.SortFunc(list, func(a, b OpenInterval) int { return a.Start - b.Start })
		for k := 1; k < len(list); k++ {
			if list[k].Start < list[k-1].End {
				return nil, settingsError("businessHours.week.%s: the intervals %s and %s overlap", Weekdays[wd],
					list[k-1], list[k])
			}
		}
		bh.Week[wd] = list
	}
	if bh.WeeklySeconds() == 0 {
		return nil, settingsError("businessHours has no opening hours: give at least one weekday an interval such as [\"09:00\", \"18:00\"], or remove businessHours")
	}
	for _, h := range j.Holidays {
		h = strings.TrimSpace(h)
		if _, err := time.Parse(time.DateOnly, h); err != nil {
			return nil, settingsError("businessHours.holidays: %q is not a date: use YYYY-MM-DD, e.g. 2026-12-25", h)
		}
		bh.Holidays[h] = true
	}
	return bh, nil
}

// parseInterval reads one ["HH:MM", "HH:MM"] pair of a weekday.
func parseInterval(day string, raw json.RawMessage) (OpenInterval, error) {
	var pair []string
	if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
		return OpenInterval{}, settingsError("businessHours.week.%s: each interval is a pair [\"HH:MM\", \"HH:MM\"], got %s", day, compact(raw))
	}
	start, ok1 := clockTime(pair[0])
	end, ok2 := clockTime(pair[1])
	if !ok1 || !ok2 || start == 86400 {
		return OpenInterval{}, settingsError("businessHours.week.%s: %q to %q: times are HH:MM from 00:00 to 24:00", day, pair[0], pair[1])
	}
	if end <= start {
		return OpenInterval{}, settingsError("businessHours.week.%s: the interval %s to %s ends before it starts: split a night across midnight into %s to 24:00 and 00:00 to %s of the next day",
			day, pair[0], pair[1], pair[0], pair[1])
	}
	return OpenInterval{start, end}, nil
}

// clockTime reads "HH:MM" (or "24:00") as seconds after midnight.
func clockTime(s string) (int, bool) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(h) == 0 || len(h) > 2 || len(m) != 2 {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, false
	}
	return hh*3600 + mm*60, true
}

func (o OpenInterval) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", o.Start/3600, o.Start%3600/60, o.End/3600, o.End%3600/60)
}

func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return strings.ToValidUTF8(string(raw), "\uFFFD")
	}
	// JSON strings may hold bytes that are not UTF-8: the message shows U+FFFD for them.
	return strings.ToValidUTF8(b.String(), "\uFFFD")
}

// businessJSONError names the part of businessHours that has the wrong shape.
func businessJSONError(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "unknown field"):
		_, field, _ := strings.Cut(msg, "unknown field ")
		return settingsError("businessHours has an unknown key %s: use timezone, week and holidays", field)
	case strings.Contains(msg, "cannot unmarshal"):
		return settingsError(`businessHours must look like {"timezone": "Europe/Paris", "week": {"monday": [["09:00", "12:30"], ["13:30", "18:00"]]}, "holidays": ["2026-12-25"]}`)
	}
	return settingsError("businessHours is not valid JSON: %v", err)
}
