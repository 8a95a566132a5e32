package store

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// TicketRead says which tickets a query needs: those created in [CreatedFrom, CreatedTo), those closed
// in [ClosedFrom, ClosedTo), and, when SurveysFrom is set, those with a survey sent or answered in
// [SurveysFrom, SurveysTo). Messages asks for each ticket's message summary (first agent reply, who
// wrote), Participants also for the agents who wrote in it.
type TicketRead struct {
	CreatedFrom, CreatedTo time.Time
	ClosedFrom, ClosedTo   time.Time
	SurveysFrom, SurveysTo *time.Time
	Messages               bool
	Participants           bool
}

// The ticket read unions three index range scans, then takes each ticket's message summary with one
// index probe into messages(ticket_id, sent_at).
const sqlTickets = `WITH ids AS (
  SELECT id FROM {{schema}}.tickets WHERE created_at >= $1 AND created_at < $2
  UNION
  SELECT id FROM {{schema}}.tickets WHERE closed_at >= $3 AND closed_at < $4
  UNION
  SELECT ticket_id FROM {{schema}}.csat_responses
   WHERE $5::timestamptz IS NOT NULL
     AND ((sent_at >= $5 AND sent_at < $6) OR (responded_at >= $5 AND responded_at < $6))
)
SELECT t.id, t.customer_key, t.channel, t.project, t.topic, t.priority, t.tags, t.created_at, t.closed_at,
       t.closing_agent, m.first_reply, m.first_agent, m.first_other, m.has_agent, m.has_bot, m.has_rule,
       m.participants
FROM ids JOIN {{schema}}.tickets t ON t.id = ids.id
LEFT JOIN LATERAL (
  SELECT min(sent_at) FILTER (WHERE sender_kind = 'agent' AND sent_at >= t.created_at) AS first_reply,
         min(sent_at) FILTER (WHERE sender_kind = 'agent') AS first_agent,
         min(sent_at) FILTER (WHERE sender_kind <> 'agent') AS first_other,
         coalesce(bool_or(sender_kind = 'agent'), false) AS has_agent,
         coalesce(bool_or(sender_kind = 'bot'), false) AS has_bot,
         coalesce(bool_or(sender_kind = 'rule'), false) AS has_rule,
         CASE WHEN $7 THEN array_agg(DISTINCT agent) FILTER (WHERE sender_kind = 'agent' AND agent IS NOT NULL) END
           AS participants
  FROM {{schema}}.messages m WHERE m.ticket_id = t.id AND $8
) m ON true`

// ReadTickets reads the tickets of r with their message summary.
func (s *Store) ReadTickets(ctx context.Context, r TicketRead) (*Tickets, error) {
	var sFrom, sTo any
	if r.SurveysFrom != nil {
		sFrom, sTo = *r.SurveysFrom, *r.SurveysTo
	}
	rows, err := s.Query(ctx, sqlTickets, r.CreatedFrom, r.CreatedTo, r.ClosedFrom, r.ClosedTo, sFrom, sTo, r.Participants, r.Messages)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	t := &Tickets{Customers: NewDict(), Channels: NewDict(), Projects: NewDict(), Topics: NewDict(),
		Priorities: NewDict(), Agents: NewDict(), TagNames: NewDict()}
	var (
		id                                          string
		customer, channel, project, topic, priority *string
		closingAgent                                *string
		tags, participants                          []string
		created                                     time.Time
		closed, firstReply, firstAgent, firstOther  pgtype.Timestamptz
		hasAgent, hasBot, hasRule                   bool
	)
	for rows.Next() {
		tags, participants = tags[:0], participants[:0]
		if err := rows.Scan(&id, &customer, &channel, &project, &topic, &priority, &tags, &created, &closed,
			&closingAgent, &firstReply, &firstAgent, &firstOther, &hasAgent, &hasBot, &hasRule, &participants); err != nil {
			return nil, s.Wrap(err)
		}
		t.ID = append(t.ID, id)
		t.Customer = append(t.Customer, t.Customers.Nullable(customer))
		t.Channel = append(t.Channel, t.Channels.Nullable(channel))
		t.Project = append(t.Project, t.Projects.Nullable(project))
		t.Topic = append(t.Topic, t.Topics.Nullable(topic))
		t.Priority = append(t.Priority, t.Priorities.Nullable(priority))
		t.ClosingAgent = append(t.ClosingAgent, t.Agents.Nullable(closingAgent))
		t.Tags = append(t.Tags, encodeAll(t.TagNames, tags))
		t.Created = append(t.Created, created.UnixMicro())
		t.Closed = append(t.Closed, micros(closed))
		t.FirstReply = append(t.FirstReply, micros(firstReply))
		var flags uint8
		if hasAgent {
			flags |= HasAgentMessage
		}
		if hasBot {
			flags |= HasBotMessage
		}
		if hasRule {
			flags |= HasRuleMessage
		}
		if firstAgent.Valid && (!firstOther.Valid || firstAgent.Time.Before(firstOther.Time)) {
			flags |= Outbound
		}
		t.Flags = append(t.Flags, flags)
		if r.Participants {
			t.Participants = append(t.Participants, encodeAll(t.Agents, participants))
		}
	}
	return t, s.Wrap(rows.Err())
}

const sqlSurveys = `SELECT ticket_id, sent_at, responded_at, score, {{agent}} FROM {{schema}}.csat_responses
WHERE (sent_at >= $1 AND sent_at < $2) OR (responded_at >= $1 AND responded_at < $2)`

var (
	sqlSurveysWithAgent = strings.ReplaceAll(sqlSurveys, "{{agent}}", "agent")
	sqlSurveysNoAgent   = strings.ReplaceAll(sqlSurveys, "{{agent}}", "NULL::text")
)

// ReadSurveys reads the CSAT surveys sent or answered in [from, to).
func (s *Store) ReadSurveys(ctx context.Context, from, to time.Time) (*Surveys, error) {
	hasAgent, err := s.Has(ctx, "csat_responses.agent")
	if err != nil {
		return nil, err
	}
	query := sqlSurveysNoAgent
	if hasAgent {
		query = sqlSurveysWithAgent
	}
	rows, err := s.Query(ctx, query, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := &Surveys{Agents: NewDict(), HasAgent: hasAgent}
	var (
		ticket    string
		sent      time.Time
		responded pgtype.Timestamptz
		score     *int16
		agent     *string
	)
	for rows.Next() {
		if err := rows.Scan(&ticket, &sent, &responded, &score, &agent); err != nil {
			return nil, s.Wrap(err)
		}
		out.Ticket = append(out.Ticket, ticket)
		out.Sent = append(out.Sent, sent.UnixMicro())
		var sc int16
		if score != nil {
			sc = *score
		}
		resp := micros(responded)
		if sc == 0 {
			resp = Null // a response without a score is not an answer
		}
		out.Responded = append(out.Responded, resp)
		out.Score = append(out.Score, sc)
		out.Agent = append(out.Agent, out.Agents.Nullable(agent))
	}
	return out, s.Wrap(rows.Err())
}

const sqlDisplays = `SELECT displayed_at, project, channel, displays FROM {{schema}}.chat_displays
WHERE displayed_at >= $1 AND displayed_at < $2`

// ReadDisplays reads the chat-widget displays of [from, to).
func (s *Store) ReadDisplays(ctx context.Context, from, to time.Time) (*Displays, error) {
	rows, err := s.Query(ctx, sqlDisplays, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := &Displays{Projects: NewDict(), Channels: NewDict()}
	var (
		at               time.Time
		project, channel *string
		count            *int64
	)
	for rows.Next() {
		if err := rows.Scan(&at, &project, &channel, &count); err != nil {
			return nil, s.Wrap(err)
		}
		out.At = append(out.At, at.UnixMicro())
		out.Project = append(out.Project, out.Projects.Nullable(project))
		out.Channel = append(out.Channel, out.Channels.Nullable(channel))
		var c int64
		if count != nil {
			c = *count
		}
		out.Count = append(out.Count, c)
	}
	return out, s.Wrap(rows.Err())
}

func encodeAll(d *Dict, values []string) []int32 {
	if len(values) == 0 {
		return nil
	}
	ids := make([]int32, len(values))
	for i, v := range values {
		ids[i] = d.ID(v)
	}
	return ids
}

func micros(t pgtype.Timestamptz) int64 {
	if !t.Valid {
		return Null
	}
	return t.Time.UnixMicro()
}

const sqlTicketScores = `SELECT DISTINCT ON (ticket_id) ticket_id, score FROM {{schema}}.csat_responses
WHERE ticket_id = ANY($1) AND score IS NOT NULL ORDER BY ticket_id, responded_at DESC NULLS LAST`

// ReadTicketScores returns the latest CSAT score of each of the tickets that has one.
func (s *Store) ReadTicketScores(ctx context.Context, ids []string) (map[string]int16, error) {
	out := map[string]int16{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.Query(ctx, sqlTicketScores, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		id    string
		score int16
	)
	for rows.Next() {
		if err := rows.Scan(&id, &score); err != nil {
			return nil, s.Wrap(err)
		}
		out[id] = score
	}
	return out, s.Wrap(rows.Err())
}
