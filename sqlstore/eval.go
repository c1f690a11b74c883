package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"anxin"
	"anxin/evaluate"
	"anxin/governance"
)

// EvalResult is one stored evaluation of the detection engine on a
// labelled set.
type EvalResult = evaluate.Stored

// MaxEvalResults bounds the evaluations EvalResults lists.
const MaxEvalResults = 50

// StoreEvalResult stores an evaluation under name (the labelled set's name,
// e.g. its file name) for the actor in ctx, who needs ActionManagePolicy.
// Invalid if name is empty or too long, or s is nil or has no items.
func (db *DB) StoreEvalResult(ctx context.Context, name string, s *evaluate.Summary) (_ *EvalResult, err error) {
	defer anxin.Wrap(&err, "StoreEvalResult(%q)", name)
	if err := anxin.Authorize(ctx, anxin.ActionManagePolicy); err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, anxin.Errorf(anxin.Invalid, "The labelled set needs a name.")
	}
	if err := anxin.ValidateText("name", name, anxin.MaxNameLen); err != nil {
		return nil, err
	}
	if s == nil || s.Items == 0 {
		return nil, anxin.Errorf(anxin.Invalid, "The evaluation has no items.")
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	actor := anxin.ActorFromContext(ctx)
	r := &EvalResult{ID: anxin.NewID("eval"), Name: name, CreatedBy: actor.KeyID, Summary: s}
	err = db.Transact(ctx, func(tx *Tx) error {
		r.CreatedAt = tx.Now.UTC().Truncate(time.Millisecond)
		_, err := tx.ExecContext(ctx, `INSERT INTO eval_results (id, name, engine, items, violations, summary, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.Name, s.Engine, s.Items, s.Violations, string(b), r.CreatedBy, ms(r.CreatedAt))
		return err
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// LatestEvalResult returns the latest evaluation stored before t (the zero
// time: the latest of all). NotFound when there is none. It does no
// authorization: the report reads it under the report's own check.
func (db *DB) LatestEvalResult(ctx context.Context, before time.Time) (*EvalResult, error) {
	q, args := `SELECT id, name, created_by, created_at, summary FROM eval_results ORDER BY created_at DESC, id DESC LIMIT 1`, []any{}
	if !before.IsZero() {
		q, args = `SELECT id, name, created_by, created_at, summary FROM eval_results WHERE created_at < ?
			ORDER BY created_at DESC, id DESC LIMIT 1`, []any{ms(before)}
	}
	rows, err := db.evalRows(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, anxin.Errorf(anxin.NotFound, "No evaluation on a labelled set is stored.")
	}
	return &rows[0], nil
}

// EvalResults lists the latest MaxEvalResults evaluations, newest first,
// for an actor with ActionReadGovernance.
func (db *DB) EvalResults(ctx context.Context) ([]EvalResult, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadGovernance); err != nil {
		return nil, err
	}
	return db.evalRows(ctx, `SELECT id, name, created_by, created_at, summary FROM eval_results
		ORDER BY created_at DESC, id DESC LIMIT ?`, MaxEvalResults)
}

// EvalResult returns one stored evaluation for an actor with
// ActionReadGovernance; NotFound if there is none with that id.
func (db *DB) EvalResult(ctx context.Context, id string) (*EvalResult, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadGovernance); err != nil {
		return nil, err
	}
	rows, err := db.evalRows(ctx, `SELECT id, name, created_by, created_at, summary FROM eval_results WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, anxin.Errorf(anxin.NotFound, "Evaluation not found.")
	}
	return &rows[0], nil
}

func (db *DB) evalRows(ctx context.Context, q string, args ...any) ([]EvalResult, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []EvalResult
	for rows.Next() {
		var r EvalResult
		var at int64
		var summary string
		if err := rows.Scan(&r.ID, &r.Name, &r.CreatedBy, &at, &summary); err != nil {
			return nil, err
		}
		r.CreatedAt = fromMS(at)
		r.Summary = new(evaluate.Summary)
		if err := json.Unmarshal([]byte(summary), r.Summary); err != nil {
			return nil, errors.Join(errors.New("stored evaluation "+r.ID+" does not decode"), err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	return out, nil
}

// EvalService joins the stored evaluations with the governance service's
// active engine, for the console's evaluation page.
type EvalService struct {
	*DB
	Governance *GovernanceService
}

// EvalEngine returns the engine of the active lexicons and policy.
func (s EvalService) EvalEngine(ctx context.Context) (*governance.Engine, error) {
	return s.Governance.Engine(ctx)
}
