package sqlstore

import (
	"context"
	"encoding/json"

	"anxin"
	"anxin/protection"
)

// InstallDefaultProgrammes stores version 1 of every shipped default
// programme that is not stored yet. It is idempotent and needs no actor (it
// runs at start-up).
func (s *ProtectionService) InstallDefaultProgrammes(ctx context.Context) error {
	return s.db.Transact(ctx, func(tx *Tx) error {
		for _, p := range protection.Defaults() {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM protection_programmes WHERE id = ?`, p.ID).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			// Replicas starting together on a fresh database all find the
			// programme missing; the first insert wins and the others
			// change nothing.
			if err := insertProgramme(ctx, tx, p, "default", `ON CONFLICT (id, version) DO NOTHING`); err != nil {
				return err
			}
		}
		return nil
	})
}

// insertProgramme stores programme version p; tail ends the INSERT (an ON
// CONFLICT clause, or "").
func insertProgramme(ctx context.Context, tx *Tx, p *protection.Programme, by, tail string) error {
	cfg, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO protection_programmes (id, version, kind, name, active, config, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) `+tail,
		p.ID, p.Version, string(p.Kind), p.Name, b2i(p.Active), string(cfg), by, ms(tx.Now))
	return err
}

func programmeRecord(p *protection.Programme, at int64) *anxin.ProgrammeRecord {
	cfg, _ := json.Marshal(p)
	return &anxin.ProgrammeRecord{ID: p.ID, Version: p.Version, Kind: string(p.Kind), Name: p.Name, Active: p.Active, Config: cfg, CreatedAt: fromMS(at)}
}

// FindProgrammes implements anxin.ProtectionService: the latest version of
// every programme.
func (s *ProtectionService) FindProgrammes(ctx context.Context) ([]*anxin.ProgrammeRecord, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadProgrammes); err != nil {
		return nil, err
	}
	var out []*anxin.ProgrammeRecord
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		out = nil
		rows, err := tx.QueryContext(ctx, `SELECT p.config, p.version, p.active, p.created_at FROM protection_programmes p
			WHERE p.version = (SELECT MAX(version) FROM protection_programmes q WHERE q.id = p.id) ORDER BY p.id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var cfg string
			var v int
			var active bool
			var at int64
			if err := rows.Scan(&cfg, &v, &active, &at); err != nil {
				return err
			}
			p := new(protection.Programme)
			if err := json.Unmarshal([]byte(cfg), p); err != nil {
				return err
			}
			p.Version, p.Active = v, active
			out = append(out, programmeRecord(p, at))
		}
		return rows.Err()
	})
	return out, err
}

// FindProgramme implements anxin.ProtectionService: the latest version.
func (s *ProtectionService) FindProgramme(ctx context.Context, id string) (*anxin.ProgrammeRecord, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadProgrammes); err != nil {
		return nil, err
	}
	var out *anxin.ProgrammeRecord
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		p, err := programmeVersion(ctx, tx, id, 0)
		if err != nil {
			return err
		}
		var at int64
		if err := tx.QueryRowContext(ctx, `SELECT created_at FROM protection_programmes WHERE id = ? AND version = ?`, id, p.Version).Scan(&at); err != nil {
			return err
		}
		out = programmeRecord(p, at)
		return nil
	})
	return out, err
}

// SaveProgramme implements anxin.ProtectionService: config is a programme's
// JSON; it is validated (unknown fields, over-paying formulas and unknown
// bundle members are Invalid) and stored as the next version. Orders already
// paid keep the version that covered them.
func (s *ProtectionService) SaveProgramme(ctx context.Context, config []byte) (_ *anxin.ProgrammeRecord, err error) {
	defer anxin.Wrap(&err, "SaveProgramme")
	if err := anxin.Authorize(ctx, anxin.ActionManageProgrammes); err != nil {
		return nil, err
	}
	p := new(protection.Programme)
	if err := anxin.DecodeJSON(config, p); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, anxin.Errorf(anxin.Invalid, "%s", err.Error())
	}
	var out *anxin.ProgrammeRecord
	err = s.db.Transact(ctx, func(tx *Tx) error {
		for _, inc := range p.Includes {
			q, err := programmeVersion(ctx, tx, inc, 0)
			if err != nil {
				return anxin.Errorf(anxin.Invalid, "The bundle includes %s, which is not a programme.", inc)
			}
			if q.Kind == protection.KindBundle {
				return anxin.Errorf(anxin.Invalid, "A bundle cannot include another bundle (%s).", inc)
			}
		}
		var v int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM protection_programmes WHERE id = ?`, p.ID).Scan(&v); err != nil {
			return err
		}
		p.Version = v + 1
		if err := insertProgramme(ctx, tx, p, anxin.ActorFromContext(ctx).KeyID, ""); err != nil {
			return err
		}
		out = programmeRecord(p, ms(tx.Now))
		return nil
	})
	return out, err
}

// Enrol implements anxin.ProtectionService: enrolling in a bundle enrols
// the merchant in each programme it includes. Merchants may enrol
// themselves; operators may enrol anyone. Enrolling twice is a no-op.
func (s *ProtectionService) Enrol(ctx context.Context, merchantID, programmeID string) (_ []*anxin.Enrolment, err error) {
	defer anxin.Wrap(&err, "Enrol(%q, %q)", merchantID, programmeID)
	if err := s.authorizeEnrolment(ctx, merchantID); err != nil {
		return nil, err
	}
	err = s.db.Transact(ctx, func(tx *Tx) error {
		p, err := programmeVersion(ctx, tx, programmeID, 0)
		if err != nil {
			return err
		}
		if !p.Active {
			return anxin.Errorf(anxin.Invalid, "Programme %s is not active.", programmeID)
		}
		ids := []string{programmeID}
		ids = append(ids, p.Includes...)
		for _, id := range ids {
			via := ""
			if id != programmeID {
				via = programmeID
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO protection_enrolments (merchant_id, programme_id, via, enrolled_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (merchant_id, programme_id) DO NOTHING`, merchantID, id, via, ms(tx.Now)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.FindEnrolments(ctx, merchantID)
}

func (s *ProtectionService) authorizeEnrolment(ctx context.Context, merchantID string) error {
	if err := anxin.ValidateID("merchant_id", merchantID); err != nil {
		return err
	}
	if m := anxin.MerchantScope(ctx); m != "" {
		if m != merchantID {
			return anxin.Errorf(anxin.NotFound, "Merchant not found.")
		}
		return anxin.Authorize(ctx, anxin.ActionEnrolSelf)
	}
	return anxin.Authorize(ctx, anxin.ActionManageProgrammes)
}

// Unenrol implements anxin.ProtectionService; leaving a bundle leaves the
// programmes it enrolled. Orders already covered stay covered.
func (s *ProtectionService) Unenrol(ctx context.Context, merchantID, programmeID string) error {
	if err := s.authorizeEnrolment(ctx, merchantID); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *Tx) error {
		r, err := tx.ExecContext(ctx, `DELETE FROM protection_enrolments WHERE merchant_id = ? AND (programme_id = ? OR via = ?)`, merchantID, programmeID, programmeID)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return anxin.Errorf(anxin.NotFound, "Enrolment not found.")
		}
		return nil
	})
}

// FindEnrolments implements anxin.ProtectionService.
func (s *ProtectionService) FindEnrolments(ctx context.Context, merchantID string) ([]*anxin.Enrolment, error) {
	if m := anxin.MerchantScope(ctx); m != "" && m != merchantID {
		return nil, anxin.Errorf(anxin.NotFound, "Merchant not found.")
	}
	if err := anxin.Authorize(ctx, anxin.ActionReadProgrammes); err != nil {
		return nil, err
	}
	var out []*anxin.Enrolment
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		out = nil
		rows, err := tx.QueryContext(ctx, `SELECT merchant_id, programme_id, via, enrolled_at FROM protection_enrolments WHERE merchant_id = ? ORDER BY programme_id`, merchantID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e := new(anxin.Enrolment)
			var at int64
			if err := rows.Scan(&e.MerchantID, &e.ProgrammeID, &e.Via, &at); err != nil {
				return err
			}
			e.EnrolledAt = fromMS(at)
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}
