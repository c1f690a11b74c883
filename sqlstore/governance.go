package sqlstore

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"anxin"
	"anxin/governance"
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
	// (default 30, doc/domain.md, Statements and appeals).
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

	groups groupCommit
}

// groupTx runs fn in a group commit of checks (see groupCommit): key
// (the merchant) picks the lane when there are several (GroupLanes).
func (s *GovernanceService) groupTx(ctx context.Context, key string, fn func(tx *Tx) error) error {
	n := s.GroupLanes
	if n <= 0 {
		n = 1
		if s.db.Dialect == Postgres {
			n = 4
		}
	}
	return s.groups.run(ctx, s.db, n, key, fn)
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
	// The lexicons and policies are read in one snapshot and compiled
	// after it: on SQLite every transaction holds the write lock, and
	// compiling the whole vocabulary under it would hold up every check.
	var eng *governance.Engine
	var lexs []*anxin.Lexicon
	var active, shadow *anxin.Policy
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT version FROM gov_state WHERE id = 1`).Scan(&version); err != nil {
			return err
		}
		var err error
		if lexs, err = currentLexicons(ctx, tx); err != nil {
			return err
		}
		if active, shadow, err = policiesInEffect(ctx, tx); err != nil {
			return err
		}
		if active == nil {
			return anxin.Errorf(anxin.Unavailable, "No governance policy is active yet.")
		}
		return nil
	})
	if err == nil {
		eng, err = governance.New(lexs, active, shadow)
	}
	if err == nil {
		err = s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
			var err error
			eng, err = s.attachModels(ctx, tx, eng)
			return err
		})
	}
	if err != nil {
		if st != nil {
			return st.eng, nil
		}
		return nil, err
	}
	s.cur.Store(&engineState{eng: eng, version: version, polled: now})
	return eng, nil
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
