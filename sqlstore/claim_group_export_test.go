package sqlstore

import (
	"context"

	"anxin/ledger"
)

// ClaimTx runs fn in the claims' group commit (claimTx).
func (s *ProtectionService) ClaimTx(ctx context.Context, key string, fn func(tx *Tx) error) error {
	return s.claimTx(ctx, key, fn)
}

// ClaimsQueued is how many bodies wait for the claims' first lane.
func (s *ProtectionService) ClaimsQueued() int {
	if len(s.claims.lanes) == 0 {
		return 0
	}
	l := s.claims.lanes[0]
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.queue)
}

// AppendPosting is appendPosting.
func AppendPosting(ctx context.Context, tx *Tx, kind, ref string, p ledger.Posting) (string, error) {
	return appendPosting(ctx, tx, kind, ref, p)
}
