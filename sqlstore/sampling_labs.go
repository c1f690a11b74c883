package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"

	"anxin"
)

// PutLab creates or updates a lab.
func (s *SamplingService) PutLab(ctx context.Context, l *anxin.Lab) (err error) {
	defer anxin.Wrap(&err, "PutLab")
	if err := anxin.Authorize(ctx, anxin.ActionSamplingManage); err != nil {
		return err
	}
	if err := l.Validate(); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *Tx) error {
		l.CreatedAt = tx.Now
		active := 0
		if l.Active {
			active = 1
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sampling_labs (id, name, accreditations, categories, tests, capacity, price_fen, active, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, accreditations = excluded.accreditations,
			categories = excluded.categories, tests = excluded.tests, capacity = excluded.capacity, price_fen = excluded.price_fen, active = excluded.active`,
			l.ID, l.Name, jsonText(l.Accreditations, "[]"), jsonText(l.Categories, "[]"), jsonText(l.Tests, "[]"), l.Capacity, l.PriceFen, active, ms(tx.Now))
		return err
	})
}

func scanLabs(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) ([]*anxin.Lab, error) {
	rows, err := q.QueryContext(ctx, `SELECT l.id, l.name, l.accreditations, l.categories, l.tests, l.capacity, l.price_fen, l.active, l.created_at,
		(SELECT COUNT(*) FROM sampling_samples x WHERE x.lab_id = l.id AND x.status IN ('assigned', 'shipped', 'at_lab'))
		FROM sampling_labs l ORDER BY l.price_fen, l.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*anxin.Lab
	for rows.Next() {
		l := new(anxin.Lab)
		var acc, cats, tests string
		var active int
		var created int64
		if err := rows.Scan(&l.ID, &l.Name, &acc, &cats, &tests, &l.Capacity, &l.PriceFen, &active, &created, &l.InFlight); err != nil {
			return nil, err
		}
		l.Active, l.CreatedAt = active != 0, fromMS(created)
		for _, f := range []struct {
			s string
			d *[]string
		}{{acc, &l.Accreditations}, {cats, &l.Categories}, {tests, &l.Tests}} {
			if err := json.Unmarshal([]byte(f.s), f.d); err != nil {
				return nil, err
			}
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// FindLabs lists labs, cheapest first, with the samples each holds now.
func (s *SamplingService) FindLabs(ctx context.Context) ([]*anxin.Lab, error) {
	if err := anxin.Authorize(ctx, anxin.ActionSamplingRead); err != nil {
		return nil, err
	}
	return scanLabs(ctx, s.db)
}

// bookSpend charges amount to the plan's budget (payer "budget") or records a
// merchant-paid cost. Conflict if the budget would be exceeded.
func bookSpend(ctx context.Context, tx *Tx, planID, sampleID, kind, payer string, amount int64) error {
	if amount == 0 {
		return nil
	}
	if payer == "budget" {
		r, err := tx.ExecContext(ctx, `UPDATE sampling_plans SET spent_fen = spent_fen + ? WHERE id = ? AND spent_fen + ? <= budget_fen AND status <> 'closed'`,
			amount, planID, amount)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return anxin.Errorf(anxin.Conflict, "The plan's budget cannot cover %d fen more.", amount)
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO sampling_spend (id, plan_id, sample_id, kind, payer, amount_fen, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		anxin.NewID("spd"), planID, sampleID, kind, payer, amount, ms(tx.Now))
	return err
}
