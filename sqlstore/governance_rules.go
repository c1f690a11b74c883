package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"anxin"
	"anxin/governance"
	"anxin/rules"
)

func currentLexicons(ctx context.Context, tx *Tx) ([]*anxin.Lexicon, error) {
	rows, err := tx.QueryContext(ctx, `SELECT l.name, l.version, l.description, l.active, l.deleted, l.terms, l.updated_by, l.updated_at
		FROM gov_lexicons l JOIN (SELECT name, MAX(version) AS v FROM gov_lexicons GROUP BY name) m ON m.name = l.name AND m.v = l.version
		ORDER BY l.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*anxin.Lexicon
	for rows.Next() {
		l, deleted, err := scanLexicon(rows)
		if err != nil {
			return nil, err
		}
		if !deleted {
			out = append(out, l)
		}
	}
	return out, rows.Err()
}

type govScanner interface{ Scan(dest ...any) error }

func scanLexicon(r govScanner) (*anxin.Lexicon, bool, error) {
	l := new(anxin.Lexicon)
	var active, deleted int
	var terms string
	var at int64
	if err := r.Scan(&l.Name, &l.Version, &l.Description, &active, &deleted, &terms, &l.UpdatedBy, &at); err != nil {
		return nil, false, err
	}
	l.Active, l.UpdatedAt = active == 1, fromMS(at)
	if err := json.Unmarshal([]byte(terms), &l.Terms); err != nil {
		return nil, false, err
	}
	return l, deleted == 1, nil
}

func policiesInEffect(ctx context.Context, tx *Tx) (active, shadow *anxin.Policy, err error) {
	rows, err := tx.QueryContext(ctx, policySelect+` WHERE status IN ('active', 'shadow')`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanPolicy(rows)
		if err != nil {
			return nil, nil, err
		}
		if p.Status == anxin.PolicyActive {
			active = p
		} else {
			shadow = p
		}
	}
	return active, shadow, rows.Err()
}

const policySelect = `SELECT version, name, status, note, rules, created_by, created_at, activated_at FROM gov_policies`

func scanPolicy(r govScanner) (*anxin.Policy, error) {
	p := new(anxin.Policy)
	var rs string
	var at int64
	var act sql.NullInt64
	if err := r.Scan(&p.Version, &p.Name, &p.Status, &p.Note, &rs, &p.CreatedBy, &at, &act); err != nil {
		return nil, err
	}
	p.CreatedAt, p.ActivatedAt = fromMS(at), fromNullMS(act)
	if err := json.Unmarshal([]byte(rs), &p.Rules); err != nil {
		return nil, err
	}
	return p, nil
}

// FindLexicons returns the current version of every lexicon (terms
// included). Role: operator, reviewer, auditor.
func (s *GovernanceService) FindLexicons(ctx context.Context) ([]*anxin.Lexicon, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadGovernance); err != nil {
		return nil, err
	}
	var out []*anxin.Lexicon
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) (err error) {
		out, err = currentLexicons(ctx, tx)
		return err
	})
	return out, err
}

// FindLexicon returns a lexicon's current version; NotFound if absent or
// deleted.
func (s *GovernanceService) FindLexicon(ctx context.Context, name string) (*anxin.Lexicon, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadGovernance); err != nil {
		return nil, err
	}
	row := s.db.QueryRowContext(ctx, `SELECT name, version, description, active, deleted, terms, updated_by, updated_at
		FROM gov_lexicons WHERE name = ? ORDER BY version DESC LIMIT 1`, name)
	l, deleted, err := scanLexicon(row)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && deleted) {
		return nil, anxin.Errorf(anxin.NotFound, "Lexicon not found.")
	}
	if err != nil {
		return nil, mapError(err)
	}
	return l, nil
}

// SaveLexicon validates l and stores it as the lexicon's next version. The
// new version is compiled together with the other lexicons and the active
// policy before it is stored: a lexicon the engine rejects is Invalid and
// nothing changes. Checks use it at once on this replica and within
// PollInterval elsewhere. Role: operator.
func (s *GovernanceService) SaveLexicon(ctx context.Context, l *anxin.Lexicon) (*anxin.Lexicon, error) {
	if err := anxin.Authorize(ctx, anxin.ActionManagePolicy); err != nil {
		return nil, err
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	err := s.db.Transact(ctx, func(tx *Tx) error {
		lexs, err := currentLexicons(ctx, tx)
		if err != nil {
			return err
		}
		return storeLexicon(ctx, tx, l, lexs)
	})
	if err != nil {
		return nil, err
	}
	s.loadEngine(ctx, true)
	return l, nil
}

// storeLexicon stores l as the next version of its lexicon after compiling
// it with the other current lexicons lexs and the active policy.
func storeLexicon(ctx context.Context, tx *Tx, l *anxin.Lexicon, lexs []*anxin.Lexicon) error {
	var v int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM gov_lexicons WHERE name = ?`, l.Name).Scan(&v); err != nil {
		return err
	}
	l.Version, l.UpdatedBy, l.UpdatedAt = v+1, anxin.ActorFromContext(ctx).KeyID, tx.Now
	replaced := false
	for i, x := range lexs {
		if x.Name == l.Name {
			lexs[i], replaced = l, true
		}
	}
	if !replaced {
		lexs = append(lexs, l)
	}
	if err := checkCompiles(ctx, tx, lexs, nil); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO gov_lexicons (name, version, description, active, terms, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		l.Name, l.Version, l.Description, govBool(l.Active), govJSON(l.Terms), l.UpdatedBy, ms(tx.Now)); err != nil {
		return err
	}
	return bumpGovVersion(ctx, tx)
}

// checkCompiles builds an engine from lexs (or the current lexicons) and
// policy (or the active policy) and turns a failure into Invalid.
func checkCompiles(ctx context.Context, tx *Tx, lexs []*anxin.Lexicon, policy *anxin.Policy) error {
	if lexs == nil {
		var err error
		if lexs, err = currentLexicons(ctx, tx); err != nil {
			return err
		}
	}
	if policy == nil {
		active, _, err := policiesInEffect(ctx, tx)
		if err != nil {
			return err
		}
		if active == nil {
			return nil
		}
		policy = active
	}
	_, err := governance.New(lexs, policy, nil)
	return compileError(err)
}

// compileError turns a rules.CompileError into an Invalid error naming the
// rule and position.
func compileError(err error) error {
	var ce *rules.CompileError
	if errors.As(err, &ce) {
		return &anxin.Error{Kind: anxin.Invalid, Message: "The policy does not compile: " + ce.Error() + ".",
			Details: []anxin.ItemError{{ID: ce.RuleID, Field: "when", Message: ce.Error()}}}
	}
	return err
}

// DeleteLexicon marks a lexicon deleted (a new version, so history stays).
// NotFound if absent. Role: operator.
func (s *GovernanceService) DeleteLexicon(ctx context.Context, name string) error {
	l, err := s.FindLexicon(ctx, name)
	if err != nil {
		return err
	}
	if err := anxin.Authorize(ctx, anxin.ActionManagePolicy); err != nil {
		return err
	}
	err = s.db.Transact(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO gov_lexicons (name, version, description, active, deleted, terms, updated_by, updated_at) VALUES (?, ?, ?, 0, 1, '[]', ?, ?)`,
			l.Name, l.Version+1, l.Description, anxin.ActorFromContext(ctx).KeyID, ms(tx.Now)); err != nil {
			return err
		}
		return bumpGovVersion(ctx, tx)
	})
	if err != nil {
		return err
	}
	s.loadEngine(ctx, true)
	return nil
}

// FindPolicies lists every policy version, newest first.
func (s *GovernanceService) FindPolicies(ctx context.Context) ([]*anxin.Policy, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadGovernance); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, policySelect+` ORDER BY version DESC LIMIT 200`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*anxin.Policy
	for rows.Next() {
		p, err := scanPolicy(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// FindPolicy returns one policy version; NotFound if absent.
func (s *GovernanceService) FindPolicy(ctx context.Context, version int) (*anxin.Policy, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadGovernance); err != nil {
		return nil, err
	}
	p, err := scanPolicy(s.db.QueryRowContext(ctx, policySelect+` WHERE version = ?`, version))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, anxin.Errorf(anxin.NotFound, "Policy version %d not found.", version)
	}
	return p, mapError(err)
}

// CreatePolicy stores p as the next version, in draft. Every rule must
// compile: otherwise Invalid, naming the rule and the position, and nothing
// is stored. Role: operator.
func (s *GovernanceService) CreatePolicy(ctx context.Context, p *anxin.Policy) (*anxin.Policy, error) {
	if err := anxin.Authorize(ctx, anxin.ActionManagePolicy); err != nil {
		return nil, err
	}
	if err := anxin.ValidateText("name", p.Name, anxin.MaxNameLen); err != nil {
		return nil, err
	}
	if err := anxin.ValidateText("note", p.Note, anxin.MaxNameLen*4); err != nil {
		return nil, err
	}
	if len(p.Rules) == 0 {
		return nil, anxin.Errorf(anxin.Invalid, "A policy needs at least one rule.")
	}
	if _, err := rules.Compile(*p); err != nil {
		return nil, compileError(err)
	}
	err := s.db.Transact(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM gov_policies`).Scan(&p.Version); err != nil {
			return err
		}
		p.Status, p.CreatedBy, p.CreatedAt, p.ActivatedAt = anxin.PolicyDraft, anxin.ActorFromContext(ctx).KeyID, tx.Now, nil
		_, err := tx.ExecContext(ctx, `INSERT INTO gov_policies (version, name, status, note, rules, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			p.Version, p.Name, p.Status, p.Note, govJSON(p.Rules), p.CreatedBy, ms(tx.Now))
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// SetPolicyStatus makes a version active (the previous active one is
// retired), the shadow policy (replacing any other shadow), or retired. The
// active version cannot be retired directly: activate another one. Role:
// operator.
func (s *GovernanceService) SetPolicyStatus(ctx context.Context, version int, status string) (*anxin.Policy, error) {
	if err := anxin.Authorize(ctx, anxin.ActionManagePolicy); err != nil {
		return nil, err
	}
	switch status {
	case anxin.PolicyActive, anxin.PolicyShadow, anxin.PolicyRetired:
	default:
		return nil, anxin.Errorf(anxin.Invalid, "status must be active, shadow or retired.")
	}
	// Compiling the engine over the whole vocabulary takes long enough
	// that doing it under the write lock would hold up every check; it is
	// done first on a read snapshot, and repeated inside the transaction
	// only if a lexicon or policy changed in between.
	compiledAt := int64(-1)
	if status == anxin.PolicyActive {
		var lexs []*anxin.Lexicon
		var cand *anxin.Policy
		at := int64(-1)
		err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
			var err error
			if cand, err = scanPolicy(tx.QueryRowContext(ctx, policySelect+` WHERE version = ?`, version)); err != nil {
				cand = nil
				return nil // reported by the write transaction below
			}
			if lexs, err = currentLexicons(ctx, tx); err != nil {
				return err
			}
			return tx.QueryRowContext(ctx, `SELECT version FROM gov_state WHERE id = 1`).Scan(&at)
		})
		if err != nil {
			return nil, err
		}
		if cand != nil {
			if _, err := governance.New(lexs, cand, nil); err != nil {
				return nil, compileError(err)
			}
			compiledAt = at
		}
	}
	var p *anxin.Policy
	err := s.db.Transact(ctx, func(tx *Tx) error {
		var err error
		p, err = scanPolicy(tx.QueryRowContext(ctx, policySelect+` WHERE version = ?`, version))
		if errors.Is(err, sql.ErrNoRows) {
			return anxin.Errorf(anxin.NotFound, "Policy version %d not found.", version)
		}
		if err != nil {
			return err
		}
		if p.Status == anxin.PolicyActive && status != anxin.PolicyActive {
			return anxin.Errorf(anxin.Conflict, "Version %d is active; activate another version instead.", version)
		}
		switch status {
		case anxin.PolicyActive:
			var now int64
			if err := tx.QueryRowContext(ctx, `SELECT version FROM gov_state WHERE id = 1`).Scan(&now); err != nil {
				return err
			}
			if now != compiledAt {
				if err := checkCompiles(ctx, tx, nil, p); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE gov_policies SET status = 'retired' WHERE status = 'active' AND version <> ?`, version); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE gov_policies SET status = 'active', activated_at = ? WHERE version = ?`, ms(tx.Now), version); err != nil {
				return err
			}
			p.ActivatedAt = &tx.Now
		case anxin.PolicyShadow:
			if _, err := tx.ExecContext(ctx, `UPDATE gov_policies SET status = 'retired' WHERE status = 'shadow' AND version <> ?`, version); err != nil {
				return err
			}
			fallthrough
		default:
			if _, err := tx.ExecContext(ctx, `UPDATE gov_policies SET status = ? WHERE version = ?`, status, version); err != nil {
				return err
			}
		}
		p.Status = status
		return bumpGovVersion(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	s.loadEngine(ctx, true)
	return p, nil
}

// TestText runs the test box: text checked as kind against the current
// lexicons and the active policy, or policy version when not 0. Nothing is
// stored. Role: operator, reviewer.
func (s *GovernanceService) TestText(ctx context.Context, kind, text string, version int) (*anxin.TestResult, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadGovernance); err != nil {
		return nil, err
	}
	if kind == "" {
		kind = "listing"
	}
	if !anxin.ValidCheckKind(kind) {
		return nil, anxin.Errorf(anxin.Invalid, "kind must be listing, livestream_segment, video, comment or image_text.")
	}
	if err := anxin.ValidateText("text", text, anxin.MaxTextLen); err != nil {
		return nil, err
	}
	eng, err := s.Engine(ctx)
	if err != nil {
		return nil, err
	}
	if version != 0 {
		p, err := s.FindPolicy(ctx, version)
		if err != nil {
			return nil, err
		}
		var lexs []*anxin.Lexicon
		err = s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) (err error) {
			lexs, err = currentLexicons(ctx, tx)
			return err
		})
		if err != nil {
			return nil, err
		}
		if eng, err = governance.New(lexs, p, nil); err != nil {
			return nil, compileError(err)
		}
	}
	out, norm := eng.CheckText(kind, text)
	res := &anxin.TestResult{Outcome: out.Result.Outcome, Labels: out.Result.Labels, Reasons: out.Result.Reasons, Evidence: out.Evidence, Norm: norm}
	res.Rules = ruleHits(out.Result)
	for _, e := range out.Result.Errors {
		res.Errors = append(res.Errors, e.RuleID+": "+e.Message)
	}
	return res, nil
}

func ruleHits(r rules.Result) []anxin.RuleHit {
	var hits []anxin.RuleHit
	for _, f := range r.Fired {
		hits = append(hits, anxin.RuleHit{RuleID: f.RuleID, Outcome: f.Outcome})
	}
	for _, f := range r.Shadow {
		hits = append(hits, anxin.RuleHit{RuleID: f.RuleID, Outcome: f.Outcome, Shadow: true})
	}
	return hits
}
