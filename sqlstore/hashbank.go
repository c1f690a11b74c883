package sqlstore

import (
	"context"
	"sync"
	"time"

	"anxin"
	"anxin/hashbank"
)

// HashBankService stores known image hashes and answers Hamming-distance
// queries from an in-memory multi-index (hashbank.Index256) that each
// replica loads incrementally by seq. Only PDQ rows are loaded: rows kept
// from before real PDQ (signal type anxin_dct256_v0) are not searched.
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
	rows, err := s.db.QueryContext(ctx, `SELECT seq, pdq, label, brand_id, note, tags, source, source_ref FROM hash_bank
		WHERE seq > ? AND signal_type = 'pdq' ORDER BY seq`, s.lastSeq)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k anxin.KnownImage
		var tags string
		if err := rows.Scan(&k.Seq, &k.PDQ, &k.Label, &k.BrandID, &k.Note, &tags, &k.Source, &k.SourceRef); err != nil {
			return err
		}
		k.Tags = splitTags(tags)
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
	if details := validateKnownImages(items); details != nil {
		return 0, &anxin.Error{Kind: anxin.Invalid, Message: "The batch was rejected; nothing was stored.", Details: details}
	}
	var added int
	err := s.db.Transact(ctx, func(tx *Tx) (err error) {
		added, err = insertKnownImages(ctx, tx, items)
		return err
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
