package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"hash/fnv"
	"sync"
	"time"

	"anxin"
	"anxin/counterfeit"
	"anxin/graph"
	"anxin/hashbank"
)

// CounterfeitService scores listings and content for counterfeit risk from
// the brand registry, the hash bank, the relation network, the merchant's
// history and the latest trained text model, records when Anxin flagged a
// listing (for the proactive identification rate), and trains models from
// confirmed outcomes. It implements anxin.SignalProvider.
type CounterfeitService struct {
	db        *DB
	Relations *RelationService
	HashBank  *HashBankService

	// FlagThreshold is the score at which a listing counts as flagged by
	// Anxin (default 0.5).
	FlagThreshold float64

	mu        sync.RWMutex
	reloading sync.Mutex              // held by the one check reloading brands and model
	brands    map[string]*anxin.Brand // by lower-cased name and aliases
	model     *counterfeit.Model
	refreshed time.Time
}

// NewCounterfeitService returns a CounterfeitService.
func NewCounterfeitService(db *DB, rel *RelationService, hb *HashBankService) *CounterfeitService {
	return &CounterfeitService{db: db, Relations: rel, HashBank: hb, FlagThreshold: 0.5}
}

var (
	_ anxin.SignalProvider     = (*CounterfeitService)(nil)
	_ anxin.CounterfeitService = (*CounterfeitService)(nil)
)

func (s *CounterfeitService) ensure(ctx context.Context) error {
	s.mu.RLock()
	loaded := s.brands != nil
	fresh := loaded && s.db.Clock.Now().Sub(s.refreshed) < 2*time.Second
	s.mu.RUnlock()
	if fresh {
		return nil
	}
	// One reload at a time: under load every check in flight found the
	// registry stale at once and each re-read it (at start-up each decoded
	// the megabyte model). While one reloads, the others go on with what
	// is loaded; only a first load is waited for.
	if loaded {
		if !s.reloading.TryLock() {
			return nil
		}
	} else {
		s.reloading.Lock()
	}
	defer s.reloading.Unlock()
	s.mu.RLock()
	fresh = s.brands != nil && s.db.Clock.Now().Sub(s.refreshed) < 2*time.Second
	s.mu.RUnlock()
	if fresh {
		return nil // loaded by the check that held the lock
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+brandCols+` FROM brands`)
	if err != nil {
		return err
	}
	defer rows.Close()
	brands := map[string]*anxin.Brand{}
	for rows.Next() {
		b, err := scanBrand(rows)
		if err != nil {
			return err
		}
		brands[brandKey(b.Name)] = b
		for _, a := range b.Aliases {
			brands[brandKey(a)] = b
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// The model (about a megabyte) is read only when a newer version exists;
	// the version check is one indexed lookup.
	var latest int
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM text_models`).Scan(&latest); err != nil {
		return mapError(err)
	}
	s.mu.RLock()
	model := s.model
	s.mu.RUnlock()
	if latest > 0 && (model == nil || model.Version != latest) {
		var data string
		err := s.db.QueryRowContext(ctx, `SELECT data FROM text_models WHERE version = ?`, latest).Scan(&data)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return mapError(err)
		}
		m := new(counterfeit.Model)
		if err == nil && m.UnmarshalBinary([]byte(data)) == nil {
			model = m
		}
	}
	s.mu.Lock()
	s.brands, s.model, s.refreshed = brands, model, s.db.Clock.Now()
	s.mu.Unlock()
	return nil
}

// Score computes the counterfeit score of a listing (or content item) and,
// for listings at or above FlagThreshold — or with coded language —
// records the flag with its time. Invalid for a malformed subject.
func (s *CounterfeitService) Score(ctx context.Context, in anxin.ScoreInput) (*anxin.CounterfeitScore, error) {
	if err := anxin.Authorize(ctx, anxin.ActionInvestigate); err != nil {
		return nil, err
	}
	return s.score(ctx, in, true)
}

func (s *CounterfeitService) score(ctx context.Context, in anxin.ScoreInput, record bool) (*anxin.CounterfeitScore, error) {
	if err := s.ensure(ctx); err != nil {
		return nil, err
	}
	var ci counterfeit.Input
	var text string
	var hashes []string
	var merchantNode graph.Node
	switch {
	case in.Listing != nil:
		l := in.Listing
		if err := l.Validate(); err != nil {
			return nil, err
		}
		ci = counterfeit.Input{Subject: "listing:" + l.ID, MerchantID: l.MerchantID, Category: l.Category, PriceFen: l.PriceFen}
		text, hashes, merchantNode = l.Title+" "+l.Description, l.ImageHashes, graph.Node{Kind: "merchant", ID: l.MerchantID}
		s.mu.RLock()
		ci.Brand = s.brands[brandKey(l.Brand)]
		s.mu.RUnlock()
	case in.Content != nil:
		c := in.Content
		if err := c.Validate(); err != nil {
			return nil, err
		}
		ci = counterfeit.Input{Subject: "content:" + c.ID}
		text, hashes = c.Text, c.ImageHashes
		if c.AuthorID != "" {
			merchantNode = graph.Node{Kind: "merchant", ID: c.AuthorID}
			var n int
			s.db.queryRowCached(ctx, `SELECT COUNT(*) FROM influencer_penalties WHERE influencer_id = ? AND created_at >= ?`,
				c.AuthorID, ms(s.db.Clock.Now())-365*86400_000).Scan(&n)
			ci.InfluencerPenalty = n
		}
	default:
		return nil, anxin.Errorf(anxin.Invalid, "Send a listing or a content item to score.")
	}
	ci.CodedLanguageHits = max(in.CodedLanguageHits, 0)
	for _, h := range hashes {
		if len(h) != 64 || s.HashBank == nil {
			continue // 64-bit hashes are not in the PDQ bank
		}
		q, err := hashbank.ParseHash256(h)
		if err != nil {
			continue
		}
		found, err := s.HashBank.search(ctx, q, counterfeit.PDQMatchDistance)
		if err != nil {
			return nil, err
		}
		for _, m := range found {
			ci.ImageMatches = append(ci.ImageMatches, counterfeit.ImageMatch{Label: m.Label, BrandID: m.BrandID, Distance: m.Distance})
		}
	}
	if s.Relations != nil && merchantNode.ID != "" {
		r, err := s.Relations.risk(ctx, merchantNode)
		if err != nil {
			return nil, err
		}
		if r.RiskFrom != nil && *r.RiskFrom != merchantNode {
			ci.ClusterRisk, ci.ClusterRiskFrom = r.Risk, r.RiskFrom.Kind+":"+r.RiskFrom.ID
		}
	}
	if ci.MerchantID != "" {
		s.db.queryRowCached(ctx, `SELECT COUNT(*) FROM notices WHERE merchant_id = ? AND family = 'counterfeit'
			AND state IN ('taken_down', 'upheld') AND takedown_at >= ?`, ci.MerchantID, ms(s.db.Clock.Now())-365*86400_000).Scan(&ci.MerchantFindings)
	}
	s.mu.RLock()
	ci.ModelScore = s.model.Predict(text)
	s.mu.RUnlock()
	sc := counterfeit.Score(ci)
	if record && in.Listing != nil {
		bySignals := sc.Score >= s.FlagThreshold
		byLexicon := ci.CodedLanguageHits > 0
		if bySignals || byLexicon {
			err := s.db.Transact(ctx, func(tx *Tx) error {
				return recordFlag(ctx, tx, in.Listing.ID, &sc, bySignals, byLexicon)
			})
			if err != nil {
				return nil, err
			}
		}
	}
	return &sc, nil
}

// recordFlag remembers in tx that Anxin flagged a listing, by its combined
// signals or by coded language alone. The first flag's time is kept: it is
// what tells a proactive find from a complaint-driven one.
func recordFlag(ctx context.Context, tx *Tx, listingID string, sc *anxin.CounterfeitScore, bySignals, byLexicon bool) error {
	sig, _ := json.Marshal(sc.Signals)
	_, err := tx.execCached(ctx, `INSERT INTO counterfeit_flags (listing_id, score, signals, by_signals, by_lexicon, flagged_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (listing_id) DO UPDATE SET score = excluded.score, signals = excluded.signals,
			by_signals = CASE WHEN counterfeit_flags.by_signals = 1 THEN 1 ELSE excluded.by_signals END,
			by_lexicon = CASE WHEN counterfeit_flags.by_lexicon = 1 THEN 1 ELSE excluded.by_lexicon END`,
		listingID, int64(sc.Score*1000), string(sig), boolInt(bySignals), boolInt(byLexicon), ms(tx.Now))
	return err
}

// ListingSignals scores a listing for a governance check (without
// authorising again: the check did) and records the flag.
func (s *CounterfeitService) ListingSignals(ctx context.Context, l *anxin.Listing) (*anxin.CounterfeitScore, error) {
	return s.score(ctx, anxin.ScoreInput{Listing: l}, true)
}

// ContentSignals scores a content item for a governance check.
func (s *CounterfeitService) ContentSignals(ctx context.Context, c *anxin.ContentItem) (*anxin.CounterfeitScore, error) {
	return s.score(ctx, anxin.ScoreInput{Content: c}, false)
}

// TrainingExamples returns the confirmed outcomes a model learns from:
// listings of accepted counterfeit notices (positive), listings of rejected
// notices (negative), and — because rights holders rarely confirm what is
// genuine — a deterministic sample of listings nobody flagged or noticed,
// as presumed genuine, up to three per positive.
func (s *CounterfeitService) TrainingExamples(ctx context.Context) ([]counterfeit.Example, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT l.id, l.title, l.description,
		CASE WHEN n.state IN ('taken_down', 'upheld') THEN 1 ELSE 0 END
		FROM notices n JOIN listings l ON l.id = n.listing_id
		WHERE n.family = 'counterfeit' AND n.state IN ('taken_down', 'upheld', 'rejected', 'reinstated') ORDER BY l.id`)
	if err != nil {
		return nil, err
	}
	var out []counterfeit.Example
	seen := map[string]bool{}
	pos := 0
	for rows.Next() {
		var id, title, desc string
		var label int
		if err := rows.Scan(&id, &title, &desc, &label); err != nil {
			rows.Close()
			return nil, err
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, counterfeit.Example{Text: title + " " + desc, Counterfeit: label == 1})
		pos += label
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.db.QueryContext(ctx, `SELECT l.id, l.title, l.description FROM listings l
		WHERE NOT EXISTS (SELECT 1 FROM notices n WHERE n.listing_id = l.id)
		AND NOT EXISTS (SELECT 1 FROM counterfeit_flags f WHERE f.listing_id = l.id) ORDER BY l.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	want := 3 * pos
	for rows.Next() && want > 0 {
		var id, title, desc string
		if err := rows.Scan(&id, &title, &desc); err != nil {
			return nil, err
		}
		h := fnv.New32a()
		h.Write([]byte(id))
		if h.Sum32()%4 != 0 { // a stable quarter of the unflagged listings
			continue
		}
		out = append(out, counterfeit.Example{Text: title + " " + desc})
		want--
	}
	return out, rows.Err()
}

// Train fits a new model version from TrainingExamples and stores it; the
// next score uses it. Invalid when there are too few or one-sided examples.
func (s *CounterfeitService) Train(ctx context.Context, seed uint64) (*anxin.ModelInfo, error) {
	if err := anxin.Authorize(ctx, anxin.ActionTrainModel); err != nil {
		return nil, err
	}
	ex, err := s.TrainingExamples(ctx)
	if err != nil {
		return nil, err
	}
	var version int
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM text_models`).Scan(&version); err != nil {
		return nil, mapError(err)
	}
	m, err := counterfeit.Train(ex, seed, version)
	if err != nil {
		return nil, err
	}
	data, err := m.MarshalBinary()
	if err != nil {
		return nil, err
	}
	metrics, _ := json.Marshal(m.Metrics)
	info := &anxin.ModelInfo{Version: version, Examples: len(ex), Metrics: anxin.ModelMetrics(m.Metrics)}
	err = s.db.Transact(ctx, func(tx *Tx) error {
		info.CreatedAt = tx.Now
		_, err := tx.ExecContext(ctx, `INSERT INTO text_models (version, data, metrics, examples, created_at) VALUES (?, ?, ?, ?, ?)`,
			version, string(data), string(metrics), len(ex), ms(tx.Now))
		return err
	})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.refreshed = time.Time{} // reload on next use
	s.mu.Unlock()
	return info, nil
}

// Models lists stored model versions, newest first.
func (s *CounterfeitService) Models(ctx context.Context) ([]anxin.ModelInfo, error) {
	if err := anxin.Authorize(ctx, anxin.ActionInvestigate); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT version, examples, metrics, created_at FROM text_models ORDER BY version DESC LIMIT 20`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []anxin.ModelInfo
	for rows.Next() {
		var mi anxin.ModelInfo
		var metrics string
		var at int64
		if err := rows.Scan(&mi.Version, &mi.Examples, &metrics, &at); err != nil {
			return nil, err
		}
		json.Unmarshal([]byte(metrics), &mi.Metrics)
		mi.CreatedAt = fromMS(at)
		out = append(out, mi)
	}
	return out, rows.Err()
}
