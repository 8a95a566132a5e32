package store

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// TicketRead says which tickets a query needs: those created in [CreatedFrom, CreatedTo), those closed
// in [ClosedFrom, ClosedTo), with Open every ticket still open created before CreatedTo (attribution
// anchored at the close: an open conversation's window has not ended), and, when SurveysFrom is set,
// those with a survey sent or answered in [SurveysFrom, SurveysTo).
type TicketRead struct {
	CreatedFrom, CreatedTo time.Time
	ClosedFrom, ClosedTo   time.Time
	Open                   bool
	SurveysFrom, SurveysTo *time.Time
	// Answered, with SurveysFrom, makes the read the tickets with a response answered in [SurveysFrom,
	// SurveysTo), and those alone: the ranges are ignored. All are listed apart (Tickets.Listed).
	Answered bool
	// Customers, when set, keeps the read to the tickets of these customers, in one statement: the
	// tickets a read of the same ranges holds for them, whose attribution credits theirs alone.
	Customers []string
	// Rest, when set, makes the read the tickets open at Rest.At that the read Rest.Of does not hold,
	// and those alone: the fields above are ignored.
	Rest *RestRead
}

// RestRead names the tickets open at At (created before it, not closed before it) that the ticket
// read Of does not hold: created outside its created range, not closed in its closed range, not open
// when Of reads the open ones, and none of Except, the tickets Of read apart from its ranges
// (Tickets.Listed). A queue is then Of's tickets open at At and these, without reading Of twice.
type RestRead struct {
	At     time.Time
	Of     TicketRead
	Except []string
}

// sqlTickets reads the tickets created in [$1, $2), closed in [$3, $4), or of ids $5, and with $6 the
// open ones created before $2: one bitmap scan of the three indexes, in table order.
const sqlTickets = `SELECT t.id, t.customer_key, t.channel, t.project, t.topic, t.priority, t.tags,
       t.created_at, t.closed_at, t.closing_agent
FROM {{schema}}.tickets t
WHERE (t.created_at >= $1 AND t.created_at < $2) OR (t.closed_at >= $3 AND t.closed_at < $4) OR t.id = ANY ($5)
   OR ($6 AND t.closed_at IS NULL AND t.created_at < $2)`

// sqlSurveyedTickets lists the tickets with a survey sent or answered in [$1, $2).
const sqlSurveyedTickets = `SELECT DISTINCT ticket_id FROM {{schema}}.csat_responses
WHERE (sent_at >= $1 AND sent_at < $2) OR (responded_at >= $1 AND responded_at < $2)`

// sqlAnsweredTickets reads the tickets with a response answered in [$1, $2): the ids from the
// responded_at index, then the tickets by their primary key in id order (= ANY of an array). Measured
// on the benchmark store (psql, unloaded): 72-93 ms at 30 days and 0.56-0.58 s at 365 days, on one
// process. Written as a join (IN), PostgreSQL hashes the ids and scans every ticket with two parallel
// workers: 111-146 ms at 30 days (250 ms under a refresh's load), 0.45 s at 365 days on three
// processes; one probe per id (a LATERAL subquery): 118-164 ms and 1.48 s.
const sqlAnsweredTickets = `SELECT t.id, t.customer_key, t.channel, t.project, t.topic, t.priority, t.tags,
       t.created_at, t.closed_at, t.closing_agent
FROM {{schema}}.tickets t
WHERE t.id = ANY (ARRAY(SELECT r.ticket_id FROM {{schema}}.csat_responses r WHERE r.responded_at >= $1 AND r.responded_at < $2))`

// sqlCustomerTickets reads the tickets of the customers $1 that a read of the ranges $2..$5 (with $6
// the open ones, with $7 those with a survey sent or answered in [$8, $9)) holds: one probe of
// tickets(customer_key, created_at) per customer, a probe of csat_responses(ticket_id) per ticket
// outside the ranges.
const sqlCustomerTickets = `SELECT t.id, t.customer_key, t.channel, t.project, t.topic, t.priority, t.tags,
       t.created_at, t.closed_at, t.closing_agent
FROM {{schema}}.tickets t
WHERE t.customer_key = ANY ($1)
  AND ((t.created_at >= $2 AND t.created_at < $3) OR (t.closed_at >= $4 AND t.closed_at < $5)
       OR ($6 AND t.closed_at IS NULL AND t.created_at < $3)
       OR ($7 AND EXISTS (SELECT FROM {{schema}}.csat_responses r WHERE r.ticket_id = t.id
                            AND ((r.sent_at >= $8 AND r.sent_at < $9) OR (r.responded_at >= $8 AND r.responded_at < $9)))))`

// sqlRestTickets reads the tickets open at $1 that the read of the ranges $2..$5 (with $6 the open
// ones) and the ids $7 does not hold. The created range is cut out as two ranges of the created_at
// index, which PostgreSQL ands with the closed_at index's open tickets (closed_at IS NULL).
const sqlRestTickets = `SELECT t.id, t.customer_key, t.channel, t.project, t.topic, t.priority, t.tags,
       t.created_at, t.closed_at, t.closing_agent
FROM {{schema}}.tickets t
WHERE (t.created_at < least($1::timestamptz, $2::timestamptz) OR (t.created_at >= $3 AND t.created_at < $1))
  AND (t.closed_at IS NULL OR t.closed_at >= $1)
  AND NOT coalesce(t.closed_at >= $4 AND t.closed_at < $5, false)
  AND NOT ($6 AND t.closed_at IS NULL AND t.created_at < $3)
  AND NOT (t.id = ANY ($7))`

// ReadTickets reads the tickets of r. The surveyed tickets are nearly all created or closed in range
// too: the few others are read by id in a second statement, which costs a few index probes where
// joining the surveys in SQL costs one probe per survey, or a scan of every ticket.
func (s *Store) ReadTickets(ctx context.Context, r TicketRead) (*Tickets, error) {
	t := &Tickets{Customers: NewDict(), Channels: NewDict(), Projects: NewDict(), Topics: NewDict(),
		Priorities: NewDict(), Agents: NewDict(), TagNames: NewDict(), TagStart: []int32{0}}
	switch {
	case r.Rest != nil:
		return s.readRest(ctx, t, *r.Rest)
	case r.Answered && r.SurveysFrom != nil:
		return s.readApart(ctx, t, sqlAnsweredTickets, *r.SurveysFrom, *r.SurveysTo)
	case r.Customers != nil:
		var sFrom, sTo time.Time
		if r.SurveysFrom != nil {
			sFrom, sTo = *r.SurveysFrom, *r.SurveysTo
		}
		return s.readApart(ctx, t, sqlCustomerTickets, r.Customers, r.CreatedFrom, r.CreatedTo, r.ClosedFrom, r.ClosedTo, r.Open,
			r.SurveysFrom != nil, sFrom, sTo)
	}
	// The tickets listed apart (surveyed) are listed on another session while the ranges are read:
	// the ranges are the longer read, and the listing no longer waits for them. Unless the pool
	// allows two sessions or fewer (maxOpenConns): the other panels of a refresh need them more.
	var extra []string
	var err, listErr error
	if s.spareSessions() {
		listed := make(chan struct{})
		go func() {
			defer close(listed)
			extra, listErr = s.listedTickets(ctx, r, nil)
		}()
		err = s.appendTickets(ctx, t, r.CreatedFrom, r.CreatedTo, r.ClosedFrom, r.ClosedTo, r.Open, []string{})
		<-listed
	} else if err = s.appendTickets(ctx, t, r.CreatedFrom, r.CreatedTo, r.ClosedFrom, r.ClosedTo, r.Open, []string{}); err == nil {
		extra, listErr = s.listedTickets(ctx, r, nil)
	}
	if err != nil {
		return nil, err
	}
	if listErr != nil {
		return nil, listErr
	}
	if len(extra) > 0 {
		index := t.ID.Index()
		var missing []string
		seen := map[string]bool{}
		for _, id := range extra {
			if index.LookupString(id) < 0 && !seen[id] {
				seen[id] = true
				missing = append(missing, id)
			}
		}
		t.Listed = missing
		if len(missing) > 0 {
			none := time.Time{}
			if err := s.appendTickets(ctx, t, none, none, none, none, false, missing); err != nil {
				return nil, err
			}
		}
	}
	t.fit()
	return t, nil
}

// readRest reads the tickets of r into t; all are listed apart from ranges (Tickets.Listed).
func (s *Store) readRest(ctx context.Context, t *Tickets, r RestRead) (*Tickets, error) {
	of, except := r.Of, r.Except
	if except == nil {
		except = []string{}
	}
	return s.readApart(ctx, t, sqlRestTickets, r.At, of.CreatedFrom, of.CreatedTo, of.ClosedFrom, of.ClosedTo, of.Open, except)
}

// readApart reads into t the tickets of a statement of its own (the columns of sqlTickets); all are
// listed apart from ranges (Tickets.Listed): a message read of the same tickets names them by id.
func (s *Store) readApart(ctx context.Context, t *Tickets, sql string, args ...any) (*Tickets, error) {
	rows, err := s.queryRaw(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if err := t.appendRows(rows); err != nil {
		return nil, s.Wrap(err)
	}
	t.Listed = make([]string, t.Len())
	for i := range t.Listed {
		t.Listed[i] = t.ID.At(i)
	}
	t.fit()
	return t, nil
}

// listedTickets appends to ids (never nil on return) the ids of the tickets r names apart from its
// ranges: those surveyed in its survey range.
func (s *Store) listedTickets(ctx context.Context, r TicketRead, ids []string) ([]string, error) {
	out := append([]string{}, ids...)
	if r.SurveysFrom != nil {
		surveyed, err := s.strings(ctx, sqlSurveyedTickets, *r.SurveysFrom, *r.SurveysTo)
		if err != nil {
			return nil, err
		}
		out = append(out, surveyed...)
	}
	return out, nil
}

// appendTickets adds to t the tickets created in [createdFrom, createdTo), closed in [closedFrom,
// closedTo), of ids, and with open those still open created before createdTo.
func (s *Store) appendTickets(ctx context.Context, t *Tickets, createdFrom, createdTo, closedFrom, closedTo time.Time, open bool,
	ids []string) error {
	rows, err := s.queryRaw(ctx, sqlTickets, createdFrom, createdTo, closedFrom, closedTo, ids, open)
	if err != nil {
		return err
	}
	defer rows.Close()
	return s.Wrap(t.appendRows(rows))
}

// appendRows adds the rows of a tickets statement (the columns of sqlTickets) to t.
func (t *Tickets) appendRows(rows pgx.Rows) error {
	addTag := func(b []byte) { t.TagIDs = push(t.TagIDs, t.TagNames.idBytes(b)) }
	for rows.Next() {
		v := rows.RawValues()
		t.ID.add(v[0])
		t.Customer = push(t.Customer, t.Customers.rawID(v[1]))
		t.Channel = push(t.Channel, t.Channels.rawID(v[2]))
		t.Project = push(t.Project, t.Projects.rawID(v[3]))
		t.Topic = push(t.Topic, t.Topics.rawID(v[4]))
		t.Priority = push(t.Priority, t.Priorities.rawID(v[5]))
		if err := rawStrings(v[6], addTag); err != nil {
			return err
		}
		t.TagStart = push(t.TagStart, int32(len(t.TagIDs)))
		t.Created = push(t.Created, rawMicros(v[7]))
		t.Closed = push(t.Closed, rawMicros(v[8]))
		t.ClosingAgent = push(t.ClosingAgent, t.Agents.rawID(v[9]))
	}
	return rows.Err()
}

// MessageRead says which tickets' message summaries a query needs: the tickets of the TicketRead
// (with Open, the open ones created before CreatedTo too; its Rest is not read: name those tickets in
// IDs), and those of IDs. Participants asks also for the agents who wrote in each.
type MessageRead struct {
	TicketRead
	IDs          []string
	Participants bool
}

// sqlMessages summarises the messages of a set of tickets with one probe of messages(ticket_id,
// sent_at) per ticket. Measured on the benchmark store, this costs half of one scan of the index for
// the whole set (ticket_id = ANY (...)) followed by a GROUP BY, at 30 days as at 365. The first agent
// reply is the first agent message at or after the ticket's creation. The surveyed tickets and those
// open at an instant are listed first and sent as ids ($5), as ReadTickets does: PostgreSQL then
// finds them through the primary key and tests the array as a hash. Chosen in the same statement
// (= ANY (ARRAY(SELECT ...))), the array was tested linearly against every ticket outside the ranges,
// which at 365 days ran past the query timeout.
const sqlMessages = `SELECT t.id, m.first_reply, m.first_agent, m.first_other, m.has_agent, m.has_bot, m.has_rule, m.participants
FROM {{schema}}.tickets t, LATERAL (
  SELECT min(sent_at) FILTER (WHERE sender_kind = 'agent' AND sent_at >= t.created_at) AS first_reply,
         min(sent_at) FILTER (WHERE sender_kind = 'agent') AS first_agent,
         min(sent_at) FILTER (WHERE sender_kind <> 'agent') AS first_other,
         bool_or(sender_kind = 'agent') AS has_agent,
         bool_or(sender_kind = 'bot') AS has_bot,
         bool_or(sender_kind = 'rule') AS has_rule,
         PARTICIPANTS AS participants
  FROM {{schema}}.messages WHERE ticket_id = t.id
) m
WHERE ((t.created_at >= $1 AND t.created_at < $2) OR (t.closed_at >= $3 AND t.closed_at < $4) OR t.id = ANY ($5)
       OR ($6 AND t.closed_at IS NULL AND t.created_at < $2))
  AND m.has_agent IS NOT NULL`

var (
	sqlMessagesAgents = strings.ReplaceAll(sqlMessages, "PARTICIPANTS",
		"array_agg(DISTINCT agent) FILTER (WHERE sender_kind = 'agent' AND agent IS NOT NULL)")
	sqlMessagesOnly = strings.ReplaceAll(sqlMessages, "PARTICIPANTS", "NULL::text[]")
)

// ReadMessages reads the message summary of the tickets of r (tickets without messages have none).
func (s *Store) ReadMessages(ctx context.Context, r MessageRead) (*Messages, error) {
	m := &Messages{Agents: NewDict()}
	if r.Participants {
		m.PartStart = []int32{0}
	}
	addAgent := func(b []byte) { m.PartIDs = push(m.PartIDs, m.Agents.idBytes(b)) }
	err := s.scanMessages(ctx, r, func(ticket []byte, firstReply int64, flags uint8, participants []byte) error {
		m.Ticket.add(ticket)
		m.FirstReply = push(m.FirstReply, firstReply)
		m.Flags = push(m.Flags, flags)
		if r.Participants {
			if err := rawStrings(participants, addAgent); err != nil {
				return err
			}
			m.PartStart = push(m.PartStart, int32(len(m.PartIDs)))
		}
		return nil
	})
	return m, err
}

// ScanMessages reads the message summary of the tickets of r as ReadMessages does, without the
// participants, handing each row to f as it arrives instead of holding them: f must not keep ticket.
func (s *Store) ScanMessages(ctx context.Context, r MessageRead, f func(ticket []byte, firstReply int64, flags uint8)) error {
	r.Participants = false
	return s.scanMessages(ctx, r, func(ticket []byte, firstReply int64, flags uint8, _ []byte) error {
		f(ticket, firstReply, flags)
		return nil
	})
}

func (s *Store) scanMessages(ctx context.Context, r MessageRead, f func(ticket []byte, firstReply int64, flags uint8, participants []byte) error) error {
	query := sqlMessagesOnly
	if r.Participants {
		query = sqlMessagesAgents
	}
	ids, err := s.listedTickets(ctx, r.TicketRead, r.IDs)
	if err != nil {
		return err
	}
	rows, err := s.queryRaw(ctx, query, r.CreatedFrom, r.CreatedTo, r.ClosedFrom, r.ClosedTo, ids, r.Open)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		v := rows.RawValues()
		var flags uint8
		if rawBool(v[4]) {
			flags |= HasAgentMessage
		}
		if rawBool(v[5]) {
			flags |= HasBotMessage
		}
		if rawBool(v[6]) {
			flags |= HasRuleMessage
		}
		if firstAgent, firstOther := rawMicros(v[2]), rawMicros(v[3]); firstAgent != Null && (firstOther == Null || firstAgent < firstOther) {
			flags |= Outbound
		}
		if err := f(v[0], rawMicros(v[1]), flags, v[7]); err != nil {
			return s.Wrap(err)
		}
	}
	return s.Wrap(rows.Err())
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
	rows, err := s.queryRaw(ctx, query, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := &Surveys{Agents: NewDict(), HasAgent: hasAgent}
	for rows.Next() {
		v := rows.RawValues()
		out.Ticket = push(out.Ticket, string(v[0]))
		out.Sent = push(out.Sent, rawMicros(v[1]))
		score := int16(rawInt(v[3], 0))
		resp := rawMicros(v[2])
		if score == 0 {
			resp = Null // a response without a score is not an answer
		}
		out.Responded = push(out.Responded, resp)
		out.Score = push(out.Score, score)
		out.Agent = push(out.Agent, out.Agents.rawID(v[4]))
	}
	out.Ticket, out.Sent, out.Responded, out.Score, out.Agent = fit(out.Ticket), fit(out.Sent), fit(out.Responded), fit(out.Score), fit(out.Agent)
	return out, s.Wrap(rows.Err())
}

const sqlDisplays = `SELECT displayed_at, project, channel, displays FROM {{schema}}.chat_displays
WHERE displayed_at >= $1 AND displayed_at < $2`

// ReadDisplays reads the chat-widget displays of [from, to).
func (s *Store) ReadDisplays(ctx context.Context, from, to time.Time) (*Displays, error) {
	rows, err := s.queryRaw(ctx, sqlDisplays, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := &Displays{Projects: NewDict(), Channels: NewDict()}
	for rows.Next() {
		v := rows.RawValues()
		out.At = push(out.At, rawMicros(v[0]))
		out.Project = push(out.Project, out.Projects.rawID(v[1]))
		out.Channel = push(out.Channel, out.Channels.rawID(v[2]))
		out.Count = push(out.Count, rawInt(v[3], 0))
	}
	return out, s.Wrap(rows.Err())
}

// sqlTicketScores is each ticket's latest answered score: by responded_at, ties to the lowest score.
const sqlTicketScores = `SELECT DISTINCT ON (ticket_id) ticket_id, score FROM {{schema}}.csat_responses
WHERE ticket_id = ANY($1) AND score IS NOT NULL ORDER BY ticket_id, responded_at DESC NULLS LAST, score`

// sqlTicketScoresFrom is the same among the responses answered from $2 on: the responded_at index
// finds them when they are few (a range that ends near now), whatever the number of tickets.
const sqlTicketScoresFrom = `SELECT DISTINCT ON (ticket_id) ticket_id, score FROM {{schema}}.csat_responses
WHERE responded_at >= $2 AND ticket_id = ANY($1) AND score IS NOT NULL ORDER BY ticket_id, responded_at DESC, score`

// ReadTicketScores returns the latest CSAT score of each of the tickets that has one (ties: the
// lowest); with answeredFrom set, among their responses answered from then on only.
func (s *Store) ReadTicketScores(ctx context.Context, ids []string, answeredFrom time.Time) (map[string]int16, error) {
	out := map[string]int16{}
	if len(ids) == 0 {
		return out, nil
	}
	query, args := sqlTicketScores, []any{ids}
	if !answeredFrom.IsZero() {
		query, args = sqlTicketScoresFrom, append(args, answeredFrom)
	}
	rows, err := s.Query(ctx, query, args...)
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
