package sqlstore

import (
	"context"
	"sync"
	"time"

	"anxin"
	"anxin/hashbank"
)

// Hash-bank labels.
var hashLabels = map[string]bool{"counterfeit": true, "logo_covered": true, "brand_owned": true}

// HashBankService stores known image hashes and answers Hamming-distance
// queries from an in-memory multi-index (hashbank.Index256) that each
// replica loads incrementally by seq.
type HashBankService struct {
	db *DB

	mu        sync.RWMutex
	idx       *hashbank.Index256
	entries   map[int64]anxin.KnownImage
	lastSeq   int64
	refreshed time.Time
}

// NewHashBankService returns a HashBankService on db.
func NewHashBankService(db *DB) *HashBankService { return &HashBankService{db: db} }

var _ anxin.HashBankService = (*HashBankService)(nil)

// Refresh loads entries added since the last refresh.
func (s *HashBankService) Refresh(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.idx == nil {
		s.idx, s.entries = hashbank.NewIndex256(), map[int64]anxin.KnownImage{}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT seq, pdq, label, brand_id, note FROM hash_bank WHERE seq > ? ORDER BY seq`, s.lastSeq)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k anxin.KnownImage
		if err := rows.Scan(&k.Seq, &k.PDQ, &k.Label, &k.BrandID, &k.Note); err != nil {
			return err
		}
		h, err := hashbank.ParseHash256(k.PDQ)
		if err != nil {
			continue // validated on insert; skip rather than wedge every replica
		}
		s.idx.Add(k.Seq, h)
		s.entries[k.Seq] = k
		s.lastSeq = k.Seq
	}
	s.refreshed = s.db.Clock.Now()
	return rows.Err()
}

func (s *HashBankService) ensure(ctx context.Context) error {
	s.mu.RLock()
	fresh := s.idx != nil && s.db.Clock.Now().Sub(s.refreshed) < time.Second
	s.mu.RUnlock()
	if fresh {
		return nil
	}
	return s.Refresh(ctx)
}

// Add stores known images. Every entry is validated first (Invalid with
// per-item details; nothing stored if any is bad); an entry already in the
// bank is kept once.
func (s *HashBankService) Add(ctx context.Context, items []anxin.KnownImage) (int, error) {
	if err := anxin.Authorize(ctx, anxin.ActionManageHashBank); err != nil {
		return 0, err
	}
	if len(items) == 0 || len(items) > anxin.MaxBatch {
		return 0, anxin.Errorf(anxin.Invalid, "Send 1 to %d images.", anxin.MaxBatch)
	}
	var details []anxin.ItemError
	for i := range items {
		it := &items[i]
		h, err := hashbank.ParseHash256(it.PDQ)
		switch {
		case err != nil:
			details = append(details, anxin.ItemError{Index: i, Field: "pdq", Message: anxin.MessageOf(err)})
		case !hashLabels[it.Label]:
			details = append(details, anxin.ItemError{Index: i, Field: "label", Message: "label must be counterfeit, logo_covered or brand_owned."})
		case anxin.ValidateOptionalID("brand_id", it.BrandID) != nil:
			details = append(details, anxin.ItemError{Index: i, Field: "brand_id", Message: anxin.MessageOf(anxin.ValidateOptionalID("brand_id", it.BrandID))})
		case anxin.ValidateText("note", it.Note, anxin.MaxNameLen) != nil:
			details = append(details, anxin.ItemError{Index: i, Field: "note", Message: "note must be text of at most 256 bytes."})
		default:
			it.PDQ = h.Hex()
		}
	}
	if details != nil {
		return 0, &anxin.Error{Kind: anxin.Invalid, Message: "The batch was rejected; nothing was stored.", Details: details}
	}
	added := 0
	err := s.db.Transact(ctx, func(tx *Tx) error {
		added = 0
		for _, it := range items {
			r, err := tx.ExecContext(ctx, `INSERT INTO hash_bank (pdq, label, brand_id, note, created_at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (pdq, label, brand_id) DO NOTHING`, it.PDQ, it.Label, it.BrandID, it.Note, ms(tx.Now))
			if err != nil {
				return err
			}
			n, _ := r.RowsAffected()
			added += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return added, s.Refresh(ctx)
}

// Search returns known images within maxDist (0..47) of the hex hash,
// nearest first. It needs ActionInvestigate.
func (s *HashBankService) Search(ctx context.Context, pdq string, maxDist int) ([]anxin.ImageMatch, error) {
	if err := anxin.Authorize(ctx, anxin.ActionInvestigate); err != nil {
		return nil, err
	}
	h, err := hashbank.ParseHash256(pdq)
	if err != nil {
		return nil, err
	}
	if maxDist < 0 || maxDist > 47 {
		return nil, anxin.Errorf(anxin.Invalid, "distance must be between 0 and 47.")
	}
	return s.search(ctx, h, maxDist)
}

func (s *HashBankService) search(ctx context.Context, h hashbank.Hash256, maxDist int) ([]anxin.ImageMatch, error) {
	if err := s.ensure(ctx); err != nil {
		return nil, err
	}
	// Search mutates no state in Index256, so a read lock suffices.
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []anxin.ImageMatch
	for _, m := range s.idx.Search(h, maxDist) {
		out = append(out, anxin.ImageMatch{KnownImage: s.entries[m.ID], Distance: m.Distance})
	}
	return out, nil
}

// Len returns the number of hashes in the bank.
func (s *HashBankService) Len(ctx context.Context) (int, error) {
	if err := s.ensure(ctx); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.idx.Len(), nil
}
