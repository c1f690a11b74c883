package sqlstore

import (
	"context"
	"encoding/base64"
	"slices"

	"anxin"
	"anxin/vault"
)

// VaultStatus reports the KEK versions, how many data keys each still
// wraps, and how many are stale (older than current). Roles: privacy,
// auditor.
func (s *VaultService) VaultStatus(ctx context.Context) (*anxin.VaultStatus, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadVaultState); err != nil {
		return nil, err
	}
	return s.Status(ctx)
}

// Status is VaultStatus without authorization, for the CLI.
func (s *VaultService) Status(ctx context.Context) (*anxin.VaultStatus, error) {
	kek := s.vault.KEK()
	cur, err := kek.Current(ctx)
	if err != nil {
		return nil, err
	}
	vers, err := kek.Versions(ctx)
	if err != nil {
		return nil, err
	}
	st := &anxin.VaultStatus{CurrentVersion: cur}
	use := map[uint32]int64{}
	rows, err := s.db.QueryContext(ctx, `SELECT kek_version, COUNT(*) FROM vault_data_keys GROUP BY kek_version`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var v, n int64
		if err := rows.Scan(&v, &n); err != nil {
			rows.Close()
			return nil, err
		}
		use[uint32(v)] = n
	}
	rows.Close()
	for _, v := range vers {
		if _, ok := use[v]; !ok {
			use[v] = 0
		}
	}
	for v, n := range use {
		st.Versions = append(st.Versions, anxin.KEKVersionUse{Version: v, DataKeys: n, Current: v == cur, InKEK: slices.Contains(vers, v)})
		if v < cur {
			st.StaleDataKeys += n
		}
	}
	slices.SortFunc(st.Versions, func(a, b anxin.KEKVersionUse) int { return int(a.Version) - int(b.Version) })
	st.Records, err = s.db.count(ctx, `SELECT COUNT(*) FROM vault_records`)
	return st, err
}

// RotateResult says what a rotation did.
type RotateResult struct {
	NewVersion uint32 // 0 when the KEK was not rotated (only re-wrapped)
	Rewrapped  int
}

// Rotate makes a new KEK version when the KEK can rotate (and newVersion is
// set), then re-wraps every data key wrapped by an older version, in
// batches, each batch its own transaction. Records are never decrypted; the
// server keeps serving throughout (a key is updated only if nobody re-wrapped
// it meanwhile). Run it again, or retire, when it reports keys left.
func (s *VaultService) Rotate(ctx context.Context, newVersion bool) (RotateResult, error) {
	var res RotateResult
	if newVersion {
		if r, ok := s.vault.KEK().(vault.Rotator); ok {
			v, err := r.Rotate(ctx)
			if err != nil {
				return res, err
			}
			res.NewVersion = v
		}
	}
	cur, err := s.vault.KEK().Current(ctx)
	if err != nil {
		return res, err
	}
	for {
		rows, err := s.db.QueryContext(ctx, `SELECT id, kek_version, wrapped FROM vault_data_keys WHERE kek_version < ? ORDER BY id LIMIT 500`, int64(cur))
		if err != nil {
			return res, err
		}
		var batch []vault.WrappedKey
		for rows.Next() {
			var id, w string
			var v int64
			if err := rows.Scan(&id, &v, &w); err != nil {
				rows.Close()
				return res, err
			}
			raw, err := base64.StdEncoding.DecodeString(w)
			if err != nil {
				rows.Close()
				return res, errTampered
			}
			batch = append(batch, vault.WrappedKey{ID: id, KEKVersion: uint32(v), Wrapped: raw})
		}
		rows.Close()
		if len(batch) == 0 {
			return res, nil
		}
		fresh := make([]vault.WrappedKey, len(batch))
		for i, wk := range batch {
			if fresh[i], err = s.vault.Rewrap(ctx, wk); err != nil {
				return res, err
			}
		}
		n := 0
		err = s.db.Transact(ctx, func(tx *Tx) error {
			n = 0
			for i, wk := range fresh {
				r, err := tx.ExecContext(ctx, `UPDATE vault_data_keys SET kek_version = ?, wrapped = ?, rewrapped_at = ? WHERE id = ? AND kek_version = ?`,
					int64(wk.KEKVersion), b64(wk.Wrapped), ms(tx.Now), wk.ID, int64(batch[i].KEKVersion))
				if err != nil {
					return err
				}
				c, _ := r.RowsAffected()
				n += int(c)
			}
			return nil
		})
		if err != nil {
			return res, err
		}
		res.Rewrapped += n
		if n == 0 {
			return res, anxin.Errorf(anxin.Conflict, "Data keys changed during rotation; run it again.")
		}
	}
}

// Retire forgets every KEK version older than current that no data key
// uses any more, and returns the versions retired and those still in use.
// Conflict-free: a version still used is kept and reported.
func (s *VaultService) Retire(ctx context.Context) (retired, inUse []uint32, err error) {
	r, ok := s.vault.KEK().(vault.Rotator)
	if !ok {
		return nil, nil, anxin.Errorf(anxin.Invalid, "This KEK cannot retire versions itself; remove old versions from ANXIN_VAULT_KEK once \"anxin vault status\" shows them unused.")
	}
	st, err := s.Status(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, v := range st.Versions {
		if v.Current || !v.InKEK {
			continue
		}
		if v.DataKeys > 0 {
			inUse = append(inUse, v.Version)
			continue
		}
		if err := r.Retire(ctx, v.Version); err != nil {
			return retired, inUse, err
		}
		retired = append(retired, v.Version)
	}
	return retired, inUse, nil
}
