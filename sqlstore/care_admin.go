package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sort"

	"anxin"
	"anxin/care"
)

// PutCalendar validates and stores a calendar (care engine rules:
// overlapping or empty hours are Invalid). Groups using it plan their
// clocks on it from their next change.
func (s *CareService) PutCalendar(ctx context.Context, c *anxin.Calendar) (err error) {
	defer anxin.Wrap(&err, "PutCalendar")
	if err := anxin.Authorize(ctx, anxin.ActionCareManage); err != nil {
		return err
	}
	cal, err := care.NewCalendar(*c)
	if err != nil {
		return err
	}
	*c = cal.Def()
	if err := s.ensureDefaults(ctx); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO care_calendars (id, def, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET def = excluded.def, updated_at = excluded.updated_at`, c.ID, jsonText(c, "{}"), ms(tx.Now))
		return err
	})
}

// FindCalendars lists the calendars.
func (s *CareService) FindCalendars(ctx context.Context) ([]*anxin.Calendar, error) {
	if err := anxin.Authorize(ctx, anxin.ActionCareWork); err != nil {
		return nil, err
	}
	if err := s.ensureDefaults(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT def FROM care_calendars ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*anxin.Calendar
	for rows.Next() {
		var def string
		if err := rows.Scan(&def); err != nil {
			return nil, err
		}
		c := new(anxin.Calendar)
		if err := json.Unmarshal([]byte(def), c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// PutGroup updates a skill group's calendar, targets, escalation threshold
// and agents. Invalid for an unknown group, a missing calendar, negative
// or absent targets, a threshold outside 1..10000 bp or bad agent ids.
func (s *CareService) PutGroup(ctx context.Context, g *anxin.SkillGroup) (err error) {
	defer anxin.Wrap(&err, "PutGroup")
	if err := anxin.Authorize(ctx, anxin.ActionCareManage); err != nil {
		return err
	}
	if !anxin.ValidGroup(g.ID) {
		return anxin.Errorf(anxin.Invalid, "id %q is not a skill group.", g.ID)
	}
	if err := anxin.ValidateID("calendar_id", g.CalendarID); err != nil {
		return err
	}
	if g.WarnAtBP == 0 {
		g.WarnAtBP = care.DefaultWarnBP
	}
	if g.WarnAtBP < 1 || g.WarnAtBP > 10000 {
		return anxin.Errorf(anxin.Invalid, "warn_at_bp must be between 1 and 10000.")
	}
	for _, p := range anxin.Priorities {
		t, ok := g.Targets[p]
		if !ok {
			return anxin.Errorf(anxin.Invalid, "targets needs an entry for priority %s.", p)
		}
		if t.FirstResponseMin < 0 || t.NextResponseMin < 0 || t.ResolutionMin < 0 || t.ResolutionMin > 525600 || t.FirstResponseMin > 525600 || t.NextResponseMin > 525600 {
			return anxin.Errorf(anxin.Invalid, "targets.%s minutes must be between 0 and 525600.", p)
		}
	}
	if len(g.Targets) != len(anxin.Priorities) {
		return anxin.Errorf(anxin.Invalid, "targets has a priority that is not low, normal, high or urgent.")
	}
	if len(g.Agents) > 1000 {
		return anxin.Errorf(anxin.Invalid, "agents has more than 1000 entries.")
	}
	seen := map[string]bool{}
	for _, a := range g.Agents {
		if err := anxin.ValidateID("agents", a); err != nil {
			return err
		}
		if seen[a] {
			return anxin.Errorf(anxin.Invalid, "agents lists %s twice.", a)
		}
		seen[a] = true
	}
	if g.Name == "" {
		g.Name = care.GroupName(g.ID)
	}
	if err := anxin.ValidateText("name", g.Name, anxin.MaxNameLen); err != nil {
		return err
	}
	if err := s.ensureDefaults(ctx); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM care_calendars WHERE id = ?`, g.CalendarID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return anxin.Errorf(anxin.Invalid, "calendar_id %q does not exist.", g.CalendarID)
		}
		if err != nil {
			return err
		}
		agents := g.Agents
		if agents == nil {
			agents = []string{}
		}
		_, err = tx.ExecContext(ctx, `UPDATE care_groups SET name = ?, calendar_id = ?, targets = ?, warn_at_bp = ?, agents = ?, rr_next = 0, updated_at = ? WHERE id = ?`,
			g.Name, g.CalendarID, jsonText(g.Targets, "{}"), g.WarnAtBP, jsonText(agents, "[]"), ms(tx.Now), g.ID)
		return err
	})
}

// FindGroups lists the skill groups in display order.
func (s *CareService) FindGroups(ctx context.Context) ([]*anxin.SkillGroup, error) {
	if err := anxin.Authorize(ctx, anxin.ActionCareRead); err != nil {
		return nil, err
	}
	if err := s.ensureDefaults(ctx); err != nil {
		return nil, err
	}
	var out []*anxin.SkillGroup
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		out = nil
		for _, id := range anxin.SkillGroups {
			g, err := loadGroup(ctx, tx, id)
			if err != nil {
				return err
			}
			out = append(out, &g.SkillGroup)
		}
		return nil
	})
	return out, err
}

// PutMacro creates (empty id) or replaces a macro.
func (s *CareService) PutMacro(ctx context.Context, m *anxin.Macro) (err error) {
	defer anxin.Wrap(&err, "PutMacro")
	if err := anxin.Authorize(ctx, anxin.ActionCareManage); err != nil {
		return err
	}
	if m.ID == "" {
		m.ID = anxin.NewID("mac")
	}
	if err := anxin.ValidateID("id", m.ID); err != nil {
		return err
	}
	if m.Group != "" && !anxin.ValidGroup(m.Group) {
		return anxin.Errorf(anxin.Invalid, "group %q is not a skill group.", m.Group)
	}
	if m.Title == "" || m.Body == "" {
		return anxin.Errorf(anxin.Invalid, "title and body are required.")
	}
	if err := anxin.ValidateText("title", m.Title, anxin.MaxNameLen); err != nil {
		return err
	}
	if err := anxin.ValidateText("body", m.Body, anxin.MaxTicketText); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO care_macros (id, grp, title, body, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET grp = excluded.grp, title = excluded.title, body = excluded.body, updated_at = excluded.updated_at`,
			m.ID, m.Group, m.Title, m.Body, ms(tx.Now))
		return err
	})
}

// FindMacros lists the macros of a group plus the ones for every group.
func (s *CareService) FindMacros(ctx context.Context, group string) ([]*anxin.Macro, error) {
	if err := anxin.Authorize(ctx, anxin.ActionCareWork); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, grp, title, body FROM care_macros WHERE grp = '' OR grp = ? ORDER BY title, id`, group)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*anxin.Macro
	for rows.Next() {
		m := new(anxin.Macro)
		if err := rows.Scan(&m.ID, &m.Group, &m.Title, &m.Body); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// maxTrainTickets bounds training to the most recent labelled tickets.
const maxTrainTickets = 200_000

// minTicketLabels is how many confirmed labels training needs before it
// stops mixing in the seed examples.
const minTicketLabels = 500

// TrainClassifier trains the intent model on tickets whose group an agent
// confirmed (resolved or transferred), holding out one in five for the
// accuracy figure, and stores it; new tickets are routed by it. Until
// there are enough labelled tickets the seed examples are mixed in.
func (s *CareService) TrainClassifier(ctx context.Context) (_ *anxin.ClassifierStats, err error) {
	defer anxin.Wrap(&err, "TrainClassifier")
	if err := anxin.Authorize(ctx, anxin.ActionCareManage); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, subject, body, grp FROM care_tickets WHERE label_confirmed = 1 AND status <> 'merged'
		ORDER BY created_at DESC LIMIT ?`, maxTrainTickets)
	if err != nil {
		return nil, err
	}
	var ex []care.Example
	for rows.Next() {
		var id, subj, body, g string
		if err := rows.Scan(&id, &subj, &body, &g); err != nil {
			rows.Close()
			return nil, err
		}
		ex = append(ex, care.Example{ID: id, Text: subj + "\n" + body, Group: g})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	st := &anxin.ClassifierStats{Source: "tickets"}
	train, test := care.Split(ex, 5)
	if len(ex) < minTicketLabels {
		st.Source = "seed+tickets"
		train = append(train, care.SeedExamples(40, 1)...)
		test = append(test, care.SeedExamples(10, 2)...)
	}
	sort.SliceStable(train, func(i, j int) bool { return train[i].Group < train[j].Group })
	m := care.Train(train, care.DefaultOptions)
	st.Train, st.Test, st.Accuracy = len(train), len(test), m.Accuracy(test)
	text, err := m.MarshalText()
	if err != nil {
		return nil, err
	}
	err = s.db.Transact(ctx, func(tx *Tx) error {
		st.TrainedAt = tx.Now
		_, err := tx.ExecContext(ctx, `INSERT INTO care_models (id, model, source, n_train, n_test, accuracy, trained_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			anxin.NewID("mdl"), string(text), st.Source, st.Train, st.Test, st.Accuracy, ms(tx.Now))
		return err
	})
	return st, err
}

// ClassifierStats describes the model routing new tickets. NotFound before
// the first training.
func (s *CareService) ClassifierStats(ctx context.Context) (*anxin.ClassifierStats, error) {
	if err := anxin.Authorize(ctx, anxin.ActionCareRead); err != nil {
		return nil, err
	}
	st := new(anxin.ClassifierStats)
	var at int64
	err := s.db.QueryRowContext(ctx, `SELECT source, n_train, n_test, accuracy, trained_at FROM care_models ORDER BY trained_at DESC, id DESC LIMIT 1`).
		Scan(&st.Source, &st.Train, &st.Test, &st.Accuracy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, anxin.Errorf(anxin.NotFound, "No classifier has been trained yet; new tickets are routed by the seed model.")
	}
	if err != nil {
		return nil, mapError(err)
	}
	st.TrainedAt = fromMS(at)
	return st, nil
}
