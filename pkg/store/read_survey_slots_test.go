package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

// TestReadSurveySlots: surveys counted per basis, slot and the columns asked. Range [10:00Z, 11:00Z)
// of 2 March 2026. The score's CHECK is dropped: a view may give any smallint, and a score of 0 is
// no answer, as ReadSurveys reads it.
//
//	ticket  state                       survey agent  sent      responded  score
//	s1 t1   closed by ann, chat         -             09:00     10:00      5      answered at 10:00
//	s2 t1                               zoe           10:14:59.999999  10:15  4   sent 10:00 slot, answered 10:15 slot
//	s3 t2   open, email                 -             10:20     10:20      2
//	s4 t3   closed, no closing agent    -             10:30     -          -      sent, unanswered
//	s5 t9   no such ticket              -             10:40     10:59:59.999999  1
//	s6 t9                               -             10:45     10:50      0      score 0: not an answer
//	s7 t2                               -             10:50     10:55      -      responded without a score: not an answer
//	s8 t1                               -             11:00     11:00      5      at the range's end: out
//	s9 t1                               -             09:59     -          -      sent before the range: out
//	s10 t3                              -             10:05     10:06      -3     a negative smallint: an answer, as in Go
func TestReadSurveySlots(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Start(t).NewDatabase(t)
	db.LoadSchema(t, "desk")
	db.Exec(t, `ALTER TABLE desk.csat_responses DROP CONSTRAINT csat_responses_score_check`)
	db.Exec(t, `INSERT INTO desk.tickets (id, channel, project, topic, priority, created_at, closed_at, closing_agent) VALUES
('t1', 'chat', 'p1', 'returns', 'high', '2026-03-01Z', '2026-03-01T12:00Z', 'ann'),
('t2', 'email', 'p2', NULL, 'normal', '2026-03-01Z', NULL, NULL),
('t3', 'email', 'p1', 'returns', 'low', '2026-03-01Z', '2026-03-01T13:00Z', NULL)`)
	db.Exec(t, `INSERT INTO desk.csat_responses (ticket_id, sent_at, responded_at, score, agent) VALUES
('t1', '2026-03-02 09:00Z', '2026-03-02 10:00Z', 5, NULL),
('t1', '2026-03-02 10:14:59.999999Z', '2026-03-02 10:15Z', 4, 'zoe'),
('t2', '2026-03-02 10:20Z', '2026-03-02 10:20Z', 2, NULL),
('t3', '2026-03-02 10:30Z', NULL, NULL, NULL),
('t9', '2026-03-02 10:40Z', '2026-03-02 10:59:59.999999Z', 1, NULL),
('t9', '2026-03-02 10:45Z', '2026-03-02 10:50Z', 0, NULL),
('t2', '2026-03-02 10:50Z', '2026-03-02 10:55Z', NULL, NULL),
('t1', '2026-03-02 11:00Z', '2026-03-02 11:00Z', 5, NULL),
('t1', '2026-03-02 09:59Z', NULL, NULL, NULL),
('t3', '2026-03-02 10:05Z', '2026-03-02 10:06Z', -3, NULL)`)
	s := open(t, settingsFor(db, "desk", "desk")).Helpdesk
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	r := SurveySlotRead{From: day.Add(10 * time.Hour), To: day.Add(11 * time.Hour), Responded: true, Sent: true, ByTime: true}

	// One string per row: basis, slot, the columns asked, then surveys, positive, score sum, answered.
	rows := func(x *SurveySlots) map[string]bool {
		out := map[string]bool{}
		name := func(d *Dict, col []int32, i int) string {
			if col == nil {
				return ""
			}
			if col[i] < 0 {
				return " NULL"
			}
			return " " + d.Values[col[i]]
		}
		for i := range x.Len() {
			row := map[bool]string{true: "resp", false: "sent"}[x.Responded[i]]
			if x.Start != nil {
				row += fmt.Sprintf(" %d", (x.Start[i]-day.UnixMicro())/60e6)
			}
			row += name(x.Agents, x.Agent, i) + name(x.Channels, x.Channel, i) + name(x.Projects, x.Project, i) +
				name(x.Topics, x.Topic, i) + name(x.Priorities, x.Priority, i)
			if x.Score != nil {
				row += fmt.Sprintf(" score=%d", x.Score[i])
			}
			out[row+fmt.Sprintf(": %d %d %d %d", x.Surveys[i], x.Positive[i], x.ScoreSum[i], x.Answered[i])] = true
		}
		return out
	}

	got, err := s.ReadSurveySlots(ctx, r)
	require.NoError(t, err)
	require.Nil(t, got.Agent)
	// Slots by minutes since midnight: 600 = 10:00, 615, 630, 645.
	// Answers: 10:00 s1 (5) and s10 (-3); 10:15 s2 (4), s3 (2); 10:45 s5 (1). s6 (0) and s7 (NULL) are
	// not answers. Sent: 10:00 s2 (answered) and s10 (-3 is not > 0: not answered); 10:15 s3 (answered);
	// 10:30 s4 (not) and s5 (answered); 10:45 s6 (0: not) and s7 (NULL: not).
	require.Equal(t, map[string]bool{
		"resp 600: 2 1 2 0": true, "resp 615: 2 1 6 0": true, "resp 645: 1 0 1 0": true,
		"sent 600: 2 0 0 1": true, "sent 615: 1 0 0 1": true, "sent 630: 2 0 0 1": true, "sent 645: 2 0 0 0": true,
	}, rows(got))

	// By agent, channel and score, without time, answers only: s1 ann (t1 closed by ann), s2 zoe (its
	// own agent), s3 (open) (t2 open), s5 NULL (no ticket), s10 NULL (t3 closed without agent).
	r = SurveySlotRead{From: r.From, To: r.To, Responded: true, ByAgent: true, ByChannel: true, ByScore: true}
	got, err = s.ReadSurveySlots(ctx, r)
	require.NoError(t, err)
	require.Nil(t, got.Start)
	require.Equal(t, map[string]bool{
		"resp ann chat score=5: 1 1 5 0": true, "resp zoe chat score=4: 1 1 4 0": true, "resp (open) email score=2: 1 0 2 0": true,
		"resp NULL NULL score=1: 1 0 1 0": true, "resp NULL email score=-3: 1 0 -3 0": true,
	}, rows(got))

	// Sent, by project, topic and priority and score, with a phase of 5 minutes (slots start at 5, 20,
	// 35 and 50 past): 10:05 s2 (t1: p1 returns high, 4) and s10 (t3: p1 returns low, -3); 10:20 s3
	// (t2: p2 NULL normal, 2) and s4 (t3, no score); 10:35 s5 (no ticket, 1) and s6 (no ticket, 0);
	// 10:50 s7 (t2, no score).
	r = SurveySlotRead{From: r.From, To: r.To, Sent: true, ByTime: true, Phase: 5 * time.Minute, ByProject: true, ByTopic: true,
		ByPriority: true, ByScore: true}
	got, err = s.ReadSurveySlots(ctx, r)
	require.NoError(t, err)
	require.Equal(t, map[string]bool{
		"sent 605 p1 returns high score=4: 1 0 0 1": true, "sent 605 p1 returns low score=-3: 1 0 0 0": true,
		"sent 620 p2 NULL normal score=2: 1 0 0 1": true, "sent 620 p1 returns low score=0: 1 0 0 0": true,
		"sent 635 NULL NULL NULL score=1: 1 0 0 1": true, "sent 635 NULL NULL NULL score=0: 1 0 0 0": true,
		"sent 650 p2 NULL normal score=0: 1 0 0 0": true,
	}, rows(got))

	// By agent alone (the ticket probed per survey without its own agent, not joined).
	got, err = s.ReadSurveySlots(ctx, SurveySlotRead{From: r.From, To: r.To, Responded: true, ByAgent: true})
	require.NoError(t, err)
	require.Equal(t, map[string]bool{"resp ann: 1 1 5 0": true, "resp zoe: 1 1 4 0": true, "resp (open): 1 0 2 0": true,
		"resp NULL: 2 0 -2 0": true}, rows(got))

	// Without the survey's own agent column, s2 is ann's (its ticket's closing agent).
	db.Exec(t, `ALTER TABLE desk.csat_responses DROP COLUMN agent`)
	s = open(t, settingsFor(db, "desk", "desk")).Helpdesk
	got, err = s.ReadSurveySlots(ctx, SurveySlotRead{From: r.From, To: r.To, Responded: true, ByAgent: true})
	require.NoError(t, err)
	require.Equal(t, map[string]bool{"resp ann: 2 2 9 0": true, "resp (open): 1 0 2 0": true, "resp NULL: 2 0 -2 0": true}, rows(got))

	got, err = s.ReadSurveySlots(ctx, SurveySlotRead{From: r.From, To: r.To})
	require.NoError(t, err)
	require.Zero(t, got.Len(), "no basis asked: nothing read")
	_, err = s.ReadSurveySlots(ctx, SurveySlotRead{From: r.From, To: r.To, Sent: true, Phase: SlotWidth})
	require.Error(t, err)
}
