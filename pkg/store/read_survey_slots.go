package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// SurveySlotRead asks for the CSAT surveys of [From, To) counted and summed in PostgreSQL, on one or
// both time bases: Responded, the answers (responded_at in range and a score other than 0 or NULL,
// as ReadSurveys reads an answer), and Sent, the surveys sent (sent_at in range). With ByTime the
// sums are per slot as in OrderSlotRead (slot k is [Phase + k*SlotWidth, Phase + (k+1)*SlotWidth)
// since 1970-01-01 UTC); without, one row per combination of the columns asked. The By* columns are
// the dimensions the query slices or filters by, and no other: each further column multiplies the
// rows sent.
type SurveySlotRead struct {
	From, To        time.Time
	Phase           time.Duration // 0 <= Phase < SlotWidth
	ByTime          bool
	Responded, Sent bool

	// The survey's agent (its own agent column when set, else its ticket's closing agent, "(open)"
	// while the ticket is open, NULL without a ticket) and its ticket's columns (NULL without a
	// ticket), and its score.
	ByAgent, ByChannel, ByProject, ByTopic, ByPriority, ByScore bool
}

// SurveySlots are the sums of a SurveySlotRead, as columns: one row per time basis, slot (with
// ByTime) and combination of the columns asked, with at least one survey.
type SurveySlots struct {
	Responded []bool  // the row's basis: responded_at (answers), or sent_at (surveys sent)
	Start     []int64 // micros: the slot's start (it may be before From; its surveys are not); nil unless ByTime

	// Dictionary ids, -1 NULL; nil unless asked.
	Agent, Channel, Project, Topic, Priority []int32
	Score                                    []int16 // 0: no score (sent basis); nil unless ByScore

	Surveys  []int64 // answers, or surveys sent
	Positive []int64 // answers scored 4 or more (0 on the sent basis)
	ScoreSum []int64 // the sum of the answers' scores (0 on the sent basis)
	Answered []int64 // surveys sent that have a score (0 on the responded basis)

	Agents, Channels, Projects, Topics, Priorities *Dict
}

// Len is the number of rows.
func (s *SurveySlots) Len() int { return len(s.Surveys) }

// sqlSurveySlots renders a survey slot read. Every branch returns the same columns (NULL for those
// not asked, which then group nothing): basis, slot, agent, channel, project, topic, priority,
// score, surveys, positive, score sum, answered. $1 and $2 are the range, $3 the phase in micros.
// The values follow ReadSurveys and the engine's survey rows (surveyResolver): the score as read
// (a smallint), a survey's agent column first, a ticket closed at -infinity counted open as the
// row reads' Null.
func sqlSurveySlots(r SurveySlotRead, hasAgent bool) string {
	join := r.ByChannel || r.ByProject || r.ByTopic || r.ByPriority
	col := func(asked bool, expr, typ string) string {
		if asked {
			return expr
		}
		return "NULL::" + typ
	}
	// The ticket's agent: with the ticket joined, from the join; else one probe of the ticket per survey
	// that needs it (without its own agent), which measured half the time of the join on the benchmark
	// store at 365 days, where the join hashed every ticket.
	closing := `CASE WHEN t.closed_at IS NULL OR t.closed_at = '-infinity' THEN '(open)' ELSE t.closing_agent END`
	agent := `(SELECT ` + closing + ` FROM {{schema}}.tickets t WHERE t.id = s.ticket_id)`
	if join {
		agent = `CASE WHEN t.id IS NULL THEN NULL ELSE ` + closing + ` END`
	}
	if hasAgent {
		agent = `coalesce(s.agent, ` + agent + `)`
	}
	branch := func(basis int, at, where, positive, sum, answered string) string {
		slot := "0::int8"
		if r.ByTime {
			slot = sqlSlot(at, "$3")
		}
		from := "{{schema}}.csat_responses s"
		if join {
			from += " LEFT JOIN {{schema}}.tickets t ON t.id = s.ticket_id"
		}
		return fmt.Sprintf(`SELECT %d::int4, x.slot, x.agent, x.channel, x.project, x.topic, x.priority, x.score,
       count(*)::int8, %s::int8, %s::int8, %s::int8
FROM (
  SELECT %s AS slot, %s::text AS agent, %s::text AS channel, %s::text AS project, %s::text AS topic,
         %s::text AS priority, %s AS score, s.score AS v
  FROM %s
  WHERE %s >= $1 AND %s < $2%s
) x
GROUP BY 2, 3, 4, 5, 6, 7, 8`, basis, positive, sum, answered,
			slot, col(r.ByAgent, agent, "text"), col(r.ByChannel, "t.channel", "text"), col(r.ByProject, "t.project", "text"),
			col(r.ByTopic, "t.topic", "text"), col(r.ByPriority, "t.priority", "text"), col(r.ByScore, "s.score", "int2"),
			from, at, at, where)
	}
	var branches []string
	if r.Responded {
		branches = append(branches, branch(1, "s.responded_at", " AND s.score <> 0",
			"count(*) FILTER (WHERE x.v >= 4)", "coalesce(sum(x.v), 0)", "0"))
	}
	if r.Sent {
		branches = append(branches, branch(0, "s.sent_at", "", "0", "0", "count(*) FILTER (WHERE x.v > 0)"))
	}
	return strings.Join(branches, "\nUNION ALL\n")
}

// ReadSurveySlots counts and sums the surveys of r in PostgreSQL: a CSAT query sliced by time or by
// ticket columns receives a few thousand rows instead of every survey and every ticket of the range.
func (s *Store) ReadSurveySlots(ctx context.Context, r SurveySlotRead) (*SurveySlots, error) {
	if r.Phase < 0 || r.Phase >= SlotWidth {
		return nil, fmt.Errorf("slot phase %s outside [0, %s)", r.Phase, SlotWidth)
	}
	out := &SurveySlots{Agents: NewDict(), Channels: NewDict(), Projects: NewDict(), Topics: NewDict(), Priorities: NewDict()}
	if !r.Responded && !r.Sent {
		return out, nil
	}
	hasAgent := false
	if r.ByAgent {
		var err error
		if hasAgent, err = s.Has(ctx, "csat_responses.agent"); err != nil {
			return nil, err
		}
	}
	args := []any{r.From, r.To}
	if r.ByTime {
		args = append(args, r.Phase.Microseconds()) // a parameter the statement does not use would have no type
	}
	rows, err := s.queryRaw(ctx, sqlSurveySlots(r, hasAgent), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	width, phase := SlotWidth.Microseconds(), r.Phase.Microseconds()
	dims := []struct {
		asked bool
		col   *[]int32
		dict  *Dict
	}{{r.ByAgent, &out.Agent, out.Agents}, {r.ByChannel, &out.Channel, out.Channels}, {r.ByProject, &out.Project, out.Projects},
		{r.ByTopic, &out.Topic, out.Topics}, {r.ByPriority, &out.Priority, out.Priorities}}
	for rows.Next() {
		v := rows.RawValues()
		n := rawInt(v[8], 0)
		if n == 0 {
			continue
		}
		out.Responded = append(out.Responded, rawInt(v[0], 0) == 1)
		if r.ByTime {
			out.Start = append(out.Start, rawInt(v[1], 0)*width+phase)
		}
		for k, d := range dims {
			if d.asked {
				*d.col = append(*d.col, d.dict.rawID(v[2+k]))
			}
		}
		if r.ByScore {
			out.Score = append(out.Score, int16(rawInt(v[7], 0)))
		}
		out.Surveys = append(out.Surveys, n)
		out.Positive = append(out.Positive, rawInt(v[9], 0))
		out.ScoreSum = append(out.ScoreSum, rawInt(v[10], 0))
		out.Answered = append(out.Answered, rawInt(v[11], 0))
	}
	return out, s.Wrap(rows.Err())
}
