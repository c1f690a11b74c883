package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"

	"anxin"
	"anxin/classify"
	"anxin/governance"
)

var _ anxin.ContentModelService = (*GovernanceService)(nil)

// Limits of the content model store.
const (
	MaxExampleBatch  = 100_000 // examples one AddContentExamples call takes
	MaxHoldout       = 20_000  // examples of one holdout
	maxHoldoutName   = 64
	maxStoredModels  = 200 // versions ContentModels lists
	reviewExampleMax = 8 << 10
)

// modelCache keeps decoded content models by version: a model is read and
// checked once per replica, not on every lexicon or policy edit.
type modelCache struct {
	mu sync.Mutex
	m  map[int]*classify.Model
}

func (c *modelCache) get(ctx context.Context, tx *Tx, version int) (*classify.Model, error) {
	c.mu.Lock()
	m := c.m[version]
	c.mu.Unlock()
	if m != nil {
		return m, nil
	}
	var data []byte
	if err := tx.QueryRowContext(ctx, `SELECT data FROM content_models WHERE version = ?`, version).Scan(&data); err != nil {
		return nil, err
	}
	m = new(classify.Model)
	if err := m.UnmarshalBinary(data); err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[int]*classify.Model{}
	}
	c.m[version] = m
	c.mu.Unlock()
	return m, nil
}

// attachModels gives eng the active and shadow content models in effect.
func (s *GovernanceService) attachModels(ctx context.Context, tx *Tx, eng *governance.Engine) (*governance.Engine, error) {
	rows, err := tx.QueryContext(ctx, `SELECT version, state FROM content_models WHERE state IN ('active', 'shadow') ORDER BY version`)
	if err != nil {
		return nil, err
	}
	type row struct {
		v     int
		state string
	}
	var rs []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.v, &r.state); err != nil {
			rows.Close()
			return nil, err
		}
		rs = append(rs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, r := range rs {
		m, err := s.models.get(ctx, tx, r.v)
		if err != nil {
			return nil, err
		}
		eng = eng.WithModel(governance.ContentModel{Classifier: m, Version: r.v, Shadow: r.state == anxin.ModelShadow})
	}
	return eng, nil
}

// AddContentExamples stores labelled seed examples (by id; an id already
// stored is replaced). Labels are canonicalised. Invalid naming the first
// bad example, and nothing stored, if any is malformed. Role: operator.
func (s *GovernanceService) AddContentExamples(ctx context.Context, ex []anxin.ContentExample) (int, error) {
	if err := anxin.Authorize(ctx, anxin.ActionTrainModel); err != nil {
		return 0, err
	}
	if len(ex) > MaxExampleBatch {
		return 0, anxin.Errorf(anxin.TooLarge, "At most %d examples at once.", MaxExampleBatch)
	}
	clean, err := checkExamples(ex, true)
	if err != nil {
		return 0, err
	}
	me := anxin.ActorFromContext(ctx).KeyID
	err = s.db.Transact(ctx, func(tx *Tx) error {
		for _, e := range clean {
			if _, err := tx.ExecContext(ctx, `INSERT INTO content_examples (id, source, kind, text, label, created_by, created_at) VALUES (?, 'seed', ?, ?, ?, ?, ?)
				ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, text = excluded.text, label = excluded.label, created_by = excluded.created_by`,
				"seed:"+e.ID, e.Kind, e.Text, e.Label, me, ms(tx.Now)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(clean), nil
}

// checkExamples validates and canonicalises examples; needID requires ids.
func checkExamples(ex []anxin.ContentExample, needID bool) ([]anxin.ContentExample, error) {
	out := make([]anxin.ContentExample, len(ex))
	seen := map[string]bool{}
	for i, e := range ex {
		fail := func(msg string) error {
			return anxin.Errorf(anxin.Invalid, "example %d (%q): %s Nothing was stored.", i+1, e.ID, msg)
		}
		l, err := classify.Canonical(e.Label)
		if err != nil {
			return nil, fail(anxin.MessageOf(err))
		}
		switch e.Kind {
		case "listing", "livestream_segment", "video", "comment", "image_text":
		default:
			return nil, fail("kind must be listing, livestream_segment, video, comment or image_text.")
		}
		if strings.TrimSpace(e.Text) == "" || len(e.Text) > classify.MaxTextBytes {
			return nil, fail("text is required and at most " + strconv.Itoa(classify.MaxTextBytes) + " bytes.")
		}
		if needID && (e.ID == "" || len(e.ID) > 128) {
			return nil, fail("id is required (at most 128 bytes).")
		}
		if e.ID != "" && seen[e.ID] {
			return nil, fail("the id repeats.")
		}
		seen[e.ID] = true
		e.Label = l
		out[i] = e
	}
	return out, nil
}

// TrainContentModel fits a new version from every stored example (the seed
// set and reviewers' decisions), measures it on the named holdout when one
// is given (storing HoldoutExamples under that name first) and stores it in
// shadow, retiring any older shadow version. Invalid when the examples do
// not train (too few, no violation) or the holdout is unknown or malformed.
// Role: operator.
func (s *GovernanceService) TrainContentModel(ctx context.Context, t anxin.ContentTraining) (_ *anxin.ContentModel, err error) {
	defer anxin.Wrap(&err, "TrainContentModel(seed %d)", t.Seed)
	if err := anxin.Authorize(ctx, anxin.ActionTrainModel); err != nil {
		return nil, err
	}
	if len(t.Holdout) > maxHoldoutName || (t.Holdout == "" && len(t.HoldoutExamples) > 0) {
		return nil, anxin.Errorf(anxin.Invalid, "holdout must name the holdout (at most %d bytes) when holdout_examples are given.", maxHoldoutName)
	}
	if len(t.HoldoutExamples) > MaxHoldout {
		return nil, anxin.Errorf(anxin.TooLarge, "A holdout has at most %d examples.", MaxHoldout)
	}
	hold, err := checkExamples(t.HoldoutExamples, false)
	if err != nil {
		return nil, err
	}
	var ex []anxin.ContentExample
	reviewed := 0
	err = s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		ex, reviewed = ex[:0], 0
		rows, err := tx.QueryContext(ctx, `SELECT id, source, kind, text, label FROM content_examples ORDER BY id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e anxin.ContentExample
			var src string
			if err := rows.Scan(&e.ID, &src, &e.Kind, &e.Text, &e.Label); err != nil {
				return err
			}
			if src == "review" {
				reviewed++
			}
			ex = append(ex, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	m, err := classify.Train(ex, classify.Options{Seed: t.Seed, Threshold: t.Threshold})
	if err != nil {
		return nil, err
	}
	data, err := m.MarshalBinary()
	if err != nil {
		return nil, err
	}
	me := anxin.ActorFromContext(ctx).KeyID
	var out *anxin.ContentModel
	err = s.db.Transact(ctx, func(tx *Tx) error {
		if len(hold) > 0 {
			if err := saveHoldout(ctx, tx, t.Holdout, hold); err != nil {
				return err
			}
		}
		var metrics *anxin.ContentMetrics
		if t.Holdout != "" {
			h, err := loadHoldout(ctx, tx, t.Holdout)
			if err != nil {
				return err
			}
			mt, err := m.Evaluate(h)
			if err != nil {
				return err
			}
			metrics = &mt
		}
		var version int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM content_models`).Scan(&version); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE content_models SET state = 'retired', retired_at = ? WHERE state = 'shadow'`, ms(tx.Now)); err != nil {
			return err
		}
		mj := ""
		if metrics != nil {
			b, _ := json.Marshal(metrics)
			mj = string(b)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO content_models (version, state, data, labels, examples, reviewed, seed, threshold, holdout, metrics, trained_by, created_at)
			VALUES (?, 'shadow', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, version, data, govJSON(m.Labels), len(ex), reviewed, int64(t.Seed), m.Threshold,
			t.Holdout, mj, me, ms(tx.Now)); err != nil {
			return err
		}
		out = &anxin.ContentModel{Version: version, State: anxin.ModelShadow, Labels: m.Labels, Examples: len(ex), Reviewed: reviewed,
			Seed: t.Seed, Threshold: m.Threshold, Holdout: t.Holdout, Metrics: metrics, TrainedBy: me, CreatedAt: tx.Now}
		return bumpGovVersion(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	if err := s.reloadAfterModelChange(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

func saveHoldout(ctx context.Context, tx *Tx, name string, ex []anxin.ContentExample) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM content_holdouts WHERE name = ?`, name); err != nil {
		return err
	}
	for i, e := range ex {
		id := e.ID
		if id == "" {
			id = "#" + strconv.Itoa(i+1)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO content_holdouts (name, id, kind, text, label, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			name, id, e.Kind, e.Text, e.Label, ms(tx.Now)); err != nil {
			return err
		}
	}
	return nil
}

func loadHoldout(ctx context.Context, tx *Tx, name string) ([]anxin.ContentExample, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, kind, text, label FROM content_holdouts WHERE name = ? ORDER BY id`, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []anxin.ContentExample
	for rows.Next() {
		var e anxin.ContentExample
		if err := rows.Scan(&e.ID, &e.Kind, &e.Text, &e.Label); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, anxin.Errorf(anxin.Invalid, "No holdout is stored under the name %q.", name)
	}
	return out, nil
}

const contentModelSelect = `SELECT m.version, m.state, m.labels, m.examples, m.reviewed, m.seed, m.threshold, m.holdout, m.metrics, m.trained_by,
	m.created_at, m.promoted_at, m.retired_at, (SELECT COUNT(*) FROM content_model_flags f WHERE f.version = m.version) FROM content_models m`

func scanContentModel(r govScanner) (*anxin.ContentModel, error) {
	m := new(anxin.ContentModel)
	var labels, metrics string
	var seed, at int64
	var promoted, retired sql.NullInt64
	if err := r.Scan(&m.Version, &m.State, &labels, &m.Examples, &m.Reviewed, &seed, &m.Threshold, &m.Holdout, &metrics, &m.TrainedBy,
		&at, &promoted, &retired, &m.ShadowFlags); err != nil {
		return nil, err
	}
	m.Seed, m.CreatedAt, m.PromotedAt, m.RetiredAt = uint64(seed), fromMS(at), fromNullMS(promoted), fromNullMS(retired)
	if err := json.Unmarshal([]byte(labels), &m.Labels); err != nil {
		return nil, err
	}
	if metrics != "" {
		m.Metrics = new(anxin.ContentMetrics)
		if err := json.Unmarshal([]byte(metrics), m.Metrics); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// ContentModels lists the stored versions, newest first. Roles: operator,
// reviewer, auditor.
func (s *GovernanceService) ContentModels(ctx context.Context) ([]anxin.ContentModel, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadGovernance); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, contentModelSelect+` ORDER BY m.version DESC LIMIT ?`, maxStoredModels)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []anxin.ContentModel
	for rows.Next() {
		m, err := scanContentModel(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *m)
	}
	return out, rows.Err()
}

// ContentExampleCounts counts the stored examples by source and label, and
// the holdouts by name. Roles: operator, reviewer, auditor.
func (s *GovernanceService) ContentExampleCounts(ctx context.Context) (*anxin.ContentExampleCounts, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadGovernance); err != nil {
		return nil, err
	}
	c := &anxin.ContentExampleCounts{Seed: map[string]int{}, Review: map[string]int{}, Holdout: map[string]int{}}
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		for _, q := range []struct {
			sql string
			by  func(a string) map[string]int
		}{
			{`SELECT source, label, COUNT(*) FROM content_examples GROUP BY source, label`, nil},
			{`SELECT 'holdout', name, COUNT(*) FROM content_holdouts GROUP BY name`, nil},
		} {
			rows, err := tx.QueryContext(ctx, q.sql)
			if err != nil {
				return err
			}
			for rows.Next() {
				var src, key string
				var n int
				if err := rows.Scan(&src, &key, &n); err != nil {
					rows.Close()
					return err
				}
				switch src {
				case "seed":
					c.Seed[key] = n
				case "review":
					c.Review[key] = n
				default:
					c.Holdout[key] = n
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// PromoteContentModel makes a shadow version active if it beats the active
// version on the holdout (p.Holdout by name, or p.Examples inline): a higher
// F1, or the same F1 with fewer false positives. With no active version it
// must flag at least one violation of the holdout correctly. The replaced
// version is retired. Conflict, with both figures, when the version is not
// in shadow or does not beat the active one; Invalid without a holdout;
// NotFound for an unknown version. Role: operator.
func (s *GovernanceService) PromoteContentModel(ctx context.Context, version int, p anxin.ContentPromotion) (_ *anxin.ContentPromotionResult, err error) {
	defer anxin.Wrap(&err, "PromoteContentModel(%d)", version)
	if err := anxin.Authorize(ctx, anxin.ActionPromoteModel); err != nil {
		return nil, err
	}
	if (p.Holdout == "") == (len(p.Examples) == 0) {
		return nil, anxin.Errorf(anxin.Invalid, "Give a holdout: the name of a stored one, or its examples inline (not both).")
	}
	if len(p.Examples) > MaxHoldout {
		return nil, anxin.Errorf(anxin.TooLarge, "A holdout has at most %d examples.", MaxHoldout)
	}
	inline, err := checkExamples(p.Examples, false)
	if err != nil {
		return nil, err
	}
	var res *anxin.ContentPromotionResult
	err = s.db.Transact(ctx, func(tx *Tx) error {
		cand, err := scanContentModel(tx.QueryRowContext(ctx, contentModelSelect+` WHERE m.version = ?`, version))
		if errors.Is(err, sql.ErrNoRows) {
			return anxin.Errorf(anxin.NotFound, "Content model version %d not found.", version)
		}
		if err != nil {
			return err
		}
		if cand.State != anxin.ModelShadow {
			return anxin.Errorf(anxin.Conflict, "Version %d is %s; only a version in shadow can be promoted.", version, cand.State)
		}
		hold, name := inline, "inline"
		if p.Holdout != "" {
			if hold, err = loadHoldout(ctx, tx, p.Holdout); err != nil {
				return err
			}
			name = p.Holdout
		}
		cm, err := s.models.get(ctx, tx, version)
		if err != nil {
			return err
		}
		cmt, err := cm.Evaluate(hold)
		if err != nil {
			return err
		}
		res = &anxin.ContentPromotionResult{Holdout: name, Candidate: cmt}
		var active int
		err = tx.QueryRowContext(ctx, `SELECT version FROM content_models WHERE state = 'active'`).Scan(&active)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if cmt.F1 <= 0 {
				return anxin.Errorf(anxin.Conflict, "Version %d flags no violation of the holdout correctly (F1 0); it is not promoted.", version)
			}
		case err != nil:
			return err
		default:
			am, err := s.models.get(ctx, tx, active)
			if err != nil {
				return err
			}
			amt, err := am.Evaluate(hold)
			if err != nil {
				return err
			}
			res.Active, res.Retired = &amt, active
			if !cmt.Beats(amt) {
				return anxin.Errorf(anxin.Conflict, "Version %d does not beat active version %d on holdout %q: F1 %.4f against %.4f, false-positive rate %.4f against %.4f; it stays in shadow.",
					version, active, name, cmt.F1, amt.F1, cmt.FalsePositiveRate, amt.FalsePositiveRate)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE content_models SET state = 'retired', retired_at = ? WHERE version = ?`, ms(tx.Now), active); err != nil {
				return err
			}
		}
		mj, _ := json.Marshal(cmt)
		if _, err := tx.ExecContext(ctx, `UPDATE content_models SET state = 'active', promoted_at = ?, holdout = ?, metrics = ? WHERE version = ?`,
			ms(tx.Now), name, string(mj), version); err != nil {
			return err
		}
		cand.State, cand.PromotedAt, cand.Holdout, cand.Metrics = anxin.ModelActive, &tx.Now, name, &cmt
		res.Model = cand
		return bumpGovVersion(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	if err := s.reloadAfterModelChange(ctx); err != nil {
		return nil, err
	}
	return res, nil
}

// recordReviewExample stores a decided case as a labelled example for the
// next training: overturned is clean; upheld is the category its rules'
// labels name (a case whose labels name none teaches nothing and is
// skipped). The text is the decision's snapshot of what was checked. A
// case is recorded once; deciding it again is refused before this.
func recordReviewExample(ctx context.Context, tx *Tx, c *anxin.Case, d *anxin.Decision, snapshot, resolution string) error {
	label := classify.Clean
	if resolution == anxin.ResUphold {
		if label = classify.CategoryOf(d.Labels); label == "" {
			return nil
		}
	}
	var snap struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		Text        string `json:"text"`
	}
	if json.Unmarshal([]byte(snapshot), &snap) != nil {
		return nil
	}
	text := strings.TrimSpace(strings.Join([]string{snap.Title, snap.Description, snap.Text}, "\n"))
	if text == "" {
		return nil
	}
	if len(text) > reviewExampleMax {
		text = strings.ToValidUTF8(text[:reviewExampleMax], "")
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO content_examples (id, source, kind, text, label, case_id, created_by, created_at) VALUES (?, 'review', ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, "review:"+c.ID, d.Kind, text, label, c.ID, c.DecidedBy, ms(tx.Now))
	return err
}

// recordShadowFlag stores that the shadow model would have sent a check to
// review.
func recordShadowFlag(ctx context.Context, tx *Tx, decisionID string, r *governance.ModelResult) error {
	if r == nil || !r.Routed {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO content_model_flags (decision_id, version, label, score, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, decisionID, r.Version, r.Label, r.Score, ms(tx.Now))
	return err
}

// reloadAfterModelChange rebuilds this replica's engine now (others notice
// the bumped version when they poll). Before any policy is active (a fresh
// database trained from the CLI) there is no engine to rebuild.
func (s *GovernanceService) reloadAfterModelChange(ctx context.Context) error {
	_, err := s.loadEngine(ctx, true)
	if anxin.KindOf(err) == anxin.Unavailable {
		return nil
	}
	return err
}
