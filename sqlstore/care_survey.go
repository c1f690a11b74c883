package sqlstore

import (
	"context"
	"database/sql"
	"sort"

	"anxin"
)

// AnswerSurvey records the requester's satisfaction score (1–5) for a
// resolved ticket, once. Invalid for a score outside 1..5, Conflict for a
// ticket that is not resolved or already answered.
func (s *CareService) AnswerSurvey(ctx context.Context, id string, score int, comment string) (err error) {
	defer anxin.Wrap(&err, "AnswerSurvey(%q)", id)
	if err := anxin.Authorize(ctx, anxin.ActionCareSurvey); err != nil {
		return err
	}
	if score < 1 || score > 5 {
		return anxin.Errorf(anxin.Invalid, "score must be between 1 and 5.")
	}
	if err := anxin.ValidateText("comment", comment, 2000); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *Tx) error {
		t, err := loadTicket(ctx, tx, id)
		if err != nil {
			return err
		}
		if t.Status != anxin.TicketResolved {
			return anxin.Errorf(anxin.Conflict, "Only a resolved ticket can be rated.")
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO care_surveys (ticket_id, grp, assignee_id, score, comment, answered_at) VALUES (?, ?, ?, ?, ?, ?)`,
			t.ID, t.Group, t.AssigneeID, score, comment, ms(tx.Now))
		if anxin.KindOf(mapError(err)) == anxin.Conflict {
			return anxin.Errorf(anxin.Conflict, "The survey for this ticket was already answered.")
		}
		return err
	})
}

// CSAT returns satisfaction (scores 4–5 ÷ answers) for tickets resolved in
// p, overall, per group and per agent, with the response rate.
func (s *CareService) CSAT(ctx context.Context, p anxin.Period) (*anxin.CSATReport, error) {
	if err := anxin.Authorize(ctx, anxin.ActionCareWork); err != nil {
		return nil, err
	}
	if !p.From.Before(p.To) {
		return nil, anxin.Errorf(anxin.Invalid, "The period must end after it starts.")
	}
	rep := &anxin.CSATReport{Period: p, Overall: anxin.CSATStat{Key: "all"}}
	rows, err := s.db.QueryContext(ctx, `SELECT t.grp, t.assignee_id, s.score FROM care_tickets t LEFT JOIN care_surveys s ON s.ticket_id = t.id
		WHERE t.resolved_at >= ? AND t.resolved_at < ?`, ms(p.From), ms(p.To))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	groups, agents := map[string]*anxin.CSATStat{}, map[string]*anxin.CSATStat{}
	add := func(m map[string]*anxin.CSATStat, k string, score sql.NullInt64) {
		st := m[k]
		if st == nil {
			st = &anxin.CSATStat{Key: k}
			m[k] = st
		}
		countCSAT(st, score)
	}
	for rows.Next() {
		var g, a string
		var score sql.NullInt64
		if err := rows.Scan(&g, &a, &score); err != nil {
			return nil, err
		}
		countCSAT(&rep.Overall, score)
		add(groups, g, score)
		if a != "" {
			add(agents, a, score)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	finishCSAT(&rep.Overall)
	for _, m := range []struct {
		src map[string]*anxin.CSATStat
		dst *[]anxin.CSATStat
	}{{groups, &rep.Groups}, {agents, &rep.Agents}} {
		for _, st := range m.src {
			finishCSAT(st)
			*m.dst = append(*m.dst, *st)
		}
		sort.Slice(*m.dst, func(i, j int) bool { return (*m.dst)[i].Key < (*m.dst)[j].Key })
	}
	return rep, nil
}

func countCSAT(st *anxin.CSATStat, score sql.NullInt64) {
	st.Resolved++
	if score.Valid {
		st.Answers++
		if score.Int64 >= 4 {
			st.Satisfied++
		}
	}
}

func finishCSAT(st *anxin.CSATStat) {
	if st.Answers > 0 {
		st.CSAT = float64(st.Satisfied) / float64(st.Answers)
	}
	if st.Resolved > 0 {
		st.Response = float64(st.Answers) / float64(st.Resolved)
	}
}

// SLAEvents returns escalations and breaches in p, newest first.
func (s *CareService) SLAEvents(ctx context.Context, p anxin.Period, limit int) ([]anxin.SLAEvent, error) {
	if err := anxin.Authorize(ctx, anxin.ActionCareWork); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, `SELECT ticket_id, grp, kind, event, at FROM care_sla_events WHERE at >= ? AND at < ? ORDER BY at DESC, id LIMIT ?`,
		ms(p.From), ms(p.To), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []anxin.SLAEvent
	for rows.Next() {
		var e anxin.SLAEvent
		var at int64
		if err := rows.Scan(&e.TicketID, &e.Group, &e.Kind, &e.Event, &at); err != nil {
			return nil, err
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
