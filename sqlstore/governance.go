package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"hash/fnv"
	"sync"
	"sync/atomic"
	"time"

	"anxin"
	"anxin/governance"
	"anxin/rules"
)

// GovernanceService implements anxin.GovernanceService, ReviewService and
// EnforcementService on the database.
//
// The compiled engine (lexicons + active policy + shadow policy) lives in an
// atomic pointer: a check loads it once and runs the whole check against
// that one version, while an edit builds a new engine and swaps the pointer,
// so a check never sees half a policy. Other replicas notice edits by
// polling gov_state.version (every PollInterval). It is safe for concurrent
// use.
type GovernanceService struct {
	db *DB
	// Counterfeit, when set, scores listings at check time; its signals
	// reach the rules as signals["counterfeit.<name>"] and are cited as
	// evidence when they flag a listing.
	Counterfeit *CounterfeitService
	// PollInterval is how often a check looks for lexicon or policy edits
	// made elsewhere (default 1 s).
	PollInterval time.Duration
	// AppealWindowDays is how long a merchant may appeal a statement
	// (default 30, DOMAIN §3).
	AppealWindowDays int

	cur    atomic.Pointer[engineState]
	reload sync.Mutex
	models modelCache // decoded content models by version

	// GroupLanes is how many group commits of checks may run at once
	// (default 1 on SQLite, which has one writer, and 4 on PostgreSQL,
	// where a group's statements are round trips the other lanes overlap).
	// A check goes to the lane of its first item's merchant, so the checks
	// of one merchant are still applied one after another on a replica.
	GroupLanes int

	lanesOnce sync.Once
	lanes     []*groupLane
}

// groupLane is one group-commit queue: concurrent checks share one
// transaction.
type groupLane struct {
	mu      sync.Mutex
	queue   []*txJob
	leading bool
}

// txJob is one check's transaction body waiting for a group commit.
type txJob struct {
	fn   func(tx *Tx) error
	done chan error
}

// MaxGroup is the most check requests one group commit takes.
const MaxGroup = 256

// groupTx runs fn in a transaction shared with the checks that arrive while
// another group is committing (group commit): one commit, one fsync, for
// many requests, so a SQLite writer keeps up with thousands of checks a
// second. The caller that finds no group running leads: it commits groups
// until the queue is empty; the others wait for their group's result. If a
// group fails, each of its jobs is retried alone so one bad job cannot fail
// the others. fn may run more than once and must have no effects outside tx.
// key (the merchant) picks the lane when there are several (GroupLanes).
func (s *GovernanceService) groupTx(ctx context.Context, key string, fn func(tx *Tx) error) error {
	s.lanesOnce.Do(func() {
		n := s.GroupLanes
		if n <= 0 {
			n = 1
			if s.db.Dialect == Postgres {
				n = 4
			}
		}
		s.lanes = make([]*groupLane, n)
		for i := range s.lanes {
			s.lanes[i] = new(groupLane)
		}
	})
	l := s.lanes[0]
	if len(s.lanes) > 1 {
		h := fnv.New32a()
		h.Write([]byte(key))
		l = s.lanes[h.Sum32()%uint32(len(s.lanes))]
	}
	j := &txJob{fn: fn, done: make(chan error, 1)}
	l.mu.Lock()
	l.queue = append(l.queue, j)
	if l.leading {
		l.mu.Unlock()
		return <-j.done
	}
	l.leading = true
	for {
		n := min(len(l.queue), MaxGroup)
		group := l.queue[:n:n]
		l.queue = l.queue[n:]
		if len(group) == 0 {
			l.leading = false
			l.mu.Unlock()
			break
		}
		l.mu.Unlock()
		s.commitGroup(context.WithoutCancel(ctx), group)
		l.mu.Lock()
	}
	return <-j.done
}

func (s *GovernanceService) commitGroup(ctx context.Context, group []*txJob) {
	err := s.db.Transact(ctx, func(tx *Tx) error {
		for _, j := range group {
			if err := j.fn(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && len(group) > 1 {
		for _, j := range group {
			j.done <- s.db.Transact(ctx, j.fn)
		}
		return
	}
	for _, j := range group {
		j.done <- err
	}
}

type engineState struct {
	eng     *governance.Engine
	version int64
	polled  time.Time
}

var (
	_ anxin.GovernanceService  = (*GovernanceService)(nil)
	_ anxin.ReviewService      = (*GovernanceService)(nil)
	_ anxin.EnforcementService = (*GovernanceService)(nil)
)

// NewGovernanceService returns a GovernanceService on db.
func NewGovernanceService(db *DB) *GovernanceService {
	return &GovernanceService{db: db, PollInterval: time.Second, AppealWindowDays: 30}
}

// Seed loads the default pack when no policy exists yet (first start). It
// is idempotent and safe to run from several replicas at once.
func (s *GovernanceService) Seed(ctx context.Context) error {
	pack, err := governance.DefaultPack()
	if err != nil {
		return err
	}
	err = s.db.Transact(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM gov_policies`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		for _, l := range pack.Lexicons {
			if _, err := tx.ExecContext(ctx, `INSERT INTO gov_lexicons (name, version, description, active, terms, updated_by, updated_at)
				VALUES (?, 1, ?, 1, ?, 'default-pack', ?) ON CONFLICT (name, version) DO NOTHING`, l.Name, l.Description, govJSON(l.Terms), ms(tx.Now)); err != nil {
				return err
			}
		}
		p := pack.Policy
		if _, err := tx.ExecContext(ctx, `INSERT INTO gov_policies (version, name, status, note, rules, created_by, created_at, activated_at)
			VALUES (1, ?, 'active', ?, ?, 'default-pack', ?, ?) ON CONFLICT (version) DO NOTHING`, p.Name, p.Note, govJSON(p.Rules), ms(tx.Now), ms(tx.Now)); err != nil {
			return err
		}
		return bumpGovVersion(ctx, tx)
	})
	if err != nil {
		return err
	}
	_, err = s.loadEngine(ctx, true)
	return err
}

func bumpGovVersion(ctx context.Context, tx *Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE gov_state SET version = version + 1 WHERE id = 1`)
	return err
}

// Engine returns the compiled engine in effect, reloading it when a lexicon
// or policy changed (checked at most every PollInterval).
func (s *GovernanceService) Engine(ctx context.Context) (*governance.Engine, error) {
	return s.loadEngine(ctx, false)
}

func (s *GovernanceService) loadEngine(ctx context.Context, force bool) (*governance.Engine, error) {
	st := s.cur.Load()
	now := time.Now() // wall time only paces the poll; it decides nothing stored
	if st != nil && !force && now.Sub(st.polled) < s.PollInterval {
		return st.eng, nil
	}
	var version int64
	if err := s.db.QueryRowContext(ctx, `SELECT version FROM gov_state WHERE id = 1`).Scan(&version); err != nil {
		if st != nil {
			return st.eng, nil // keep serving the last good engine while the database blips
		}
		return nil, mapError(err)
	}
	if st != nil && !force && version == st.version {
		s.cur.CompareAndSwap(st, &engineState{eng: st.eng, version: version, polled: now})
		return st.eng, nil
	}
	s.reload.Lock()
	defer s.reload.Unlock()
	if cur := s.cur.Load(); cur != nil && cur != st && cur.version >= version && !force {
		return cur.eng, nil
	}
	var eng *governance.Engine
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT version FROM gov_state WHERE id = 1`).Scan(&version); err != nil {
			return err
		}
		lexs, err := currentLexicons(ctx, tx)
		if err != nil {
			return err
		}
		active, shadow, err := policiesInEffect(ctx, tx)
		if err != nil {
			return err
		}
		if active == nil {
			return anxin.Errorf(anxin.Unavailable, "No governance policy is active yet.")
		}
		if eng, err = governance.New(lexs, active, shadow); err != nil {
			return err
		}
		eng, err = s.attachModels(ctx, tx, eng)
		return err
	})
	if err != nil {
		if st != nil {
			return st.eng, nil
		}
		return nil, err
	}
	s.cur.Store(&engineState{eng: eng, version: version, polled: now})
	return eng, nil
}

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
			if err := checkCompiles(ctx, tx, nil, p); err != nil {
				return err
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

// govJSON renders v as a JSON column value; nil slices become [].
func govJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return "[]"
	}
	return string(b)
}

func govBool(b bool) int {
	if b {
		return 1
	}
	return 0
}
