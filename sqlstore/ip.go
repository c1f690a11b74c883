package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"anxin"
	"anxin/counterfeit"
	"anxin/enforcement"
)

// IPService runs the brand registry and the rights-holder workflow: notice →
// takedown → counter-notice → reinstatement (or legal action), with repeat
// infringers sanctioned and influencers penalised through the ladder. Every
// action for the marketplace goes out through the outbox in the same
// transaction as the state change.
type IPService struct {
	db *DB
}

// NewIPService returns an IPService on db.
func NewIPService(db *DB) *IPService { return &IPService{db: db} }

var _ anxin.IPService = (*IPService)(nil)

// Job kinds of the notice flow.
const JobIPReinstate = "ip.reinstate"

func brandKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// UpsertBrand registers or updates a brand. Invalid for a malformed brand.
func (s *IPService) UpsertBrand(ctx context.Context, b *anxin.Brand) error {
	if err := anxin.Authorize(ctx, anxin.ActionManageBrands); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO brands (id, name, name_key, aliases, rights_holder_id, trademarks, registration_ref, ref_prices, sellers, self_service, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, name_key = excluded.name_key, aliases = excluded.aliases,
				rights_holder_id = excluded.rights_holder_id, trademarks = excluded.trademarks, registration_ref = excluded.registration_ref,
				ref_prices = excluded.ref_prices, sellers = excluded.sellers, self_service = excluded.self_service, updated_at = excluded.updated_at`,
			b.ID, b.Name, brandKey(b.Name), jsonText(b.Aliases, "[]"), b.RightsHolderID, jsonText(b.Trademarks, "[]"), b.RegistrationRef,
			jsonText(b.RefPricesFen, "{}"), jsonText(b.AuthorisedSellers, "[]"),
			boolInt(b.SelfService), ms(tx.Now), ms(tx.Now))
		b.CreatedAt = tx.Now
		return err
	})
}

const brandCols = `id, name, aliases, rights_holder_id, trademarks, registration_ref, ref_prices, sellers, self_service, created_at`

func scanBrand(sc interface{ Scan(...any) error }) (*anxin.Brand, error) {
	b := new(anxin.Brand)
	var aliases, tms, prices, sellers string
	var self int
	var created int64
	if err := sc.Scan(&b.ID, &b.Name, &aliases, &b.RightsHolderID, &tms, &b.RegistrationRef, &prices, &sellers, &self, &created); err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(aliases), &b.Aliases)
	json.Unmarshal([]byte(tms), &b.Trademarks)
	json.Unmarshal([]byte(prices), &b.RefPricesFen)
	json.Unmarshal([]byte(sellers), &b.AuthorisedSellers)
	b.SelfService, b.CreatedAt = self == 1, fromMS(created)
	return b, nil
}

// FindBrand returns a brand by id, or NotFound.
func (s *IPService) FindBrand(ctx context.Context, id string) (*anxin.Brand, error) {
	b, err := scanBrand(s.db.QueryRowContext(ctx, `SELECT `+brandCols+` FROM brands WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, anxin.Errorf(anxin.NotFound, "Brand not found.")
	}
	if err != nil {
		return nil, mapError(err)
	}
	return brandFor(ctx, b), nil
}

// brandFor hides what the actor in ctx may not see of b: a merchant learns
// whether it is itself an authorised seller of the brand, never who the
// brand's other sellers are (a rights holder's distribution list is its
// business secret, and a counterfeiter's shopping list).
func brandFor(ctx context.Context, b *anxin.Brand) *anxin.Brand {
	m := anxin.MerchantScope(ctx)
	if m == "" {
		return b
	}
	var own []string
	for _, seller := range b.AuthorisedSellers {
		if seller == m {
			own = append(own, seller)
		}
	}
	b.AuthorisedSellers = own
	return b
}

// FindBrands lists brands by name; a rights holder sees only its own.
func (s *IPService) FindBrands(ctx context.Context) ([]*anxin.Brand, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadNotices); err != nil {
		if err2 := anxin.Authorize(ctx, anxin.ActionManageBrands); err2 != nil {
			return nil, err
		}
	}
	rh := rightsHolderScope(ctx)
	rows, err := s.db.QueryContext(ctx, `SELECT `+brandCols+` FROM brands WHERE (? = '' OR rights_holder_id = ?) ORDER BY name, id`, rh, rh)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*anxin.Brand
	for rows.Next() {
		b, err := scanBrand(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, brandFor(ctx, b))
	}
	return out, rows.Err()
}

func rightsHolderScope(ctx context.Context) string {
	r := anxin.ActorFromContext(ctx).Role
	if r.Base() == "rightsholder" {
		return r.Scope()
	}
	return ""
}

const noticeCols = `id, rights_holder_id, brand_id, listing_id, content_id, influencer_id, merchant_id, reason, evidence, statement, state, decision,
	filed_at, takedown_at, counter_at, counter_statement, reinstate_at, legal_action, closed_at, proactive_first`

func scanNotice(sc interface{ Scan(...any) error }) (*anxin.Notice, error) {
	n := new(anxin.Notice)
	var ev string
	var filed int64
	var takedown, counter, reinstate, closed sql.NullInt64
	var legal, proactive int
	err := sc.Scan(&n.ID, &n.RightsHolderID, &n.BrandID, &n.ListingID, &n.ContentID, &n.InfluencerID, &n.MerchantID, &n.Reason, &ev, &n.Statement,
		&n.State, &n.Decision, &filed, &takedown, &counter, &n.CounterStatement, &reinstate, &legal, &closed, &proactive)
	if err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(ev), &n.Evidence)
	n.FiledAt = fromMS(filed)
	n.TakedownAt, n.CounterAt, n.ReinstateAt, n.ClosedAt = fromNullMS(takedown), fromNullMS(counter), fromNullMS(reinstate), fromNullMS(closed)
	n.LegalAction, n.ProactiveFirst = legal == 1, proactive == 1
	return n, nil
}

// FileNotice files a rights holder's notice. The filer must hold the brand
// (Invalid otherwise, so a competitor cannot take down links under another
// owner's mark), the evidence must be complete for the reason, and the
// listing must exist. Strong-evidence reasons and self-service brands take
// the link down at once; others wait for the IP team. key makes filing
// idempotent per rights holder: the same key returns the first notice.
func (s *IPService) FileNotice(ctx context.Context, n *anxin.Notice, key string) (_ *anxin.Notice, err error) {
	defer anxin.Wrap(&err, "FileNotice")
	if err := anxin.Authorize(ctx, anxin.ActionFileNotice); err != nil {
		return nil, err
	}
	rh := rightsHolderScope(ctx)
	if rh == "" {
		return nil, anxin.Errorf(anxin.Forbidden, "Only rights holders file notices.")
	}
	if key == "" {
		key = anxin.NewID("k")
	}
	if err := anxin.ValidateID("idempotency key", key); err != nil {
		return nil, err
	}
	reason, err := counterfeit.CheckNotice(n)
	if err != nil {
		return nil, err
	}
	var out *anxin.Notice
	err = s.db.Transact(ctx, func(tx *Tx) error {
		prev, err := scanNotice(tx.QueryRowContext(ctx, `SELECT `+noticeCols+` FROM notices WHERE rights_holder_id = ? AND idem_key = ?`, rh, key))
		if err == nil {
			out = prev
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var owner string
		var self int
		err = tx.QueryRowContext(ctx, `SELECT rights_holder_id, self_service FROM brands WHERE id = ?`, n.BrandID).Scan(&owner, &self)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && owner != rh) {
			return anxin.Errorf(anxin.Invalid, "Brand %s is not registered to you; register it before filing.", n.BrandID)
		}
		if err != nil {
			return err
		}
		var merchant string
		err = tx.QueryRowContext(ctx, `SELECT merchant_id FROM listings WHERE id = ?`, n.ListingID).Scan(&merchant)
		if errors.Is(err, sql.ErrNoRows) {
			return anxin.Errorf(anxin.Invalid, "Listing %s does not exist.", n.ListingID)
		}
		if err != nil {
			return err
		}
		if n.ContentID != "" && n.InfluencerID == "" {
			var author string
			if err := tx.QueryRowContext(ctx, `SELECT c.author_id FROM content_items c JOIN influencers i ON i.id = c.author_id WHERE c.id = ?`, n.ContentID).Scan(&author); err == nil {
				n.InfluencerID = author
			}
		}
		var flagged sql.NullInt64
		tx.QueryRowContext(ctx, `SELECT flagged_at FROM counterfeit_flags WHERE listing_id = ? AND (by_signals = 1 OR by_lexicon = 1)`, n.ListingID).Scan(&flagged)
		c := *n
		c.ID, c.RightsHolderID, c.MerchantID, c.State, c.FiledAt = anxin.NewID("ntc"), rh, merchant, anxin.NoticeFiled, tx.Now
		c.ProactiveFirst = flagged.Valid && flagged.Int64 <= ms(tx.Now)
		ev, _ := json.Marshal(c.Evidence)
		if _, err := tx.ExecContext(ctx, `INSERT INTO notices (id, rights_holder_id, brand_id, listing_id, content_id, influencer_id, merchant_id, reason, family, evidence, statement, state, idem_key, filed_at, proactive_first)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, rh, c.BrandID, c.ListingID, c.ContentID, c.InfluencerID, merchant, c.Reason, reason.Family, string(ev), c.Statement, c.State, key, ms(tx.Now), boolInt(c.ProactiveFirst)); err != nil {
			return err
		}
		if reason.Immediate || self == 1 {
			why := "Removed on a notice with strong evidence (" + reason.Title + "); the merchant may counter-notice."
			if self == 1 && !reason.Immediate {
				why = "Removed by the brand's trusted self-service; the merchant may counter-notice."
			}
			if err := takedown(ctx, tx, &c, reason, why); err != nil {
				return err
			}
		}
		out = &c
		return nil
	})
	return out, err
}

// takedown removes the notice's link and applies its consequences: the
// listing is delisted (banned for counterfeits), repeat infringers are
// sanctioned and an influencer selling it is penalised.
func takedown(ctx context.Context, tx *Tx, n *anxin.Notice, reason counterfeit.Reason, why string) error {
	now := tx.Now
	n.State, n.Decision, n.TakedownAt = anxin.NoticeTakenDown, why, &now
	if _, err := tx.ExecContext(ctx, `UPDATE notices SET state = ?, decision = ?, takedown_at = ? WHERE id = ?`, n.State, why, ms(now), n.ID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE listings SET status = 'delisted', updated_at = ? WHERE id = ?`, ms(now), n.ListingID); err != nil {
		return err
	}
	action := anxin.MessageDelistListing
	if reason.Family == "counterfeit" {
		action = anxin.MessageBanListing
	}
	if _, err := Enqueue(ctx, tx, action, n.ListingID, "notice:"+n.ID, map[string]any{
		"listing_id": n.ListingID, "merchant_id": n.MerchantID, "notice_id": n.ID, "reason": n.Reason,
		"source": "rights_owner_notice", "statement": why,
	}); err != nil {
		return err
	}
	if reason.Family == "counterfeit" {
		var upheld int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM notices WHERE merchant_id = ? AND family = 'counterfeit'
			AND state IN ('taken_down', 'upheld') AND takedown_at >= ?`, n.MerchantID, ms(now)-365*86400_000).Scan(&upheld); err != nil {
			return err
		}
		act, days := counterfeit.RepeatSanction(upheld)
		if act != "" {
			// A sanction applies once per node crossed: skip when the same
			// sanction was already imposed on this merchant within 365 days.
			var already int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sanctions WHERE subject_id = ? AND source = 'ip' AND type = ? AND created_at >= ?`,
				n.MerchantID, act, ms(now)-365*86400_000).Scan(&already); err != nil {
				return err
			}
			if already > 0 {
				act = ""
			}
		}
		if act != "" {
			facts := "Repeat infringement: " + itoa(upheld) + " upheld counterfeit notices in 365 days, the latest " + n.ID + "."
			if _, err := issueSanction(ctx, tx, sanctionIssue{subjectType: anxin.SubjectMerchant, subjectID: n.MerchantID, typ: act,
				source: anxin.SourceIP, originType: "notice", originID: n.ID, cause: "repeat_infringement", days: days, reason: facts,
				mode: enforcement.Queue, explain: enforcement.Explanation{Facts: facts, Automation: "partially",
					TermsGround: "Intellectual property rules: repeat infringers"},
				extra: map[string]any{"days": days, "upheld_notices_365d": upheld, "statement": facts}}); err != nil {
				return err
			}
		}
	}
	if n.InfluencerID != "" {
		var prior int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM influencer_penalties WHERE influencer_id = ? AND created_at >= ?`,
			n.InfluencerID, ms(now)-365*86400_000).Scan(&prior); err != nil {
			return err
		}
		step := counterfeit.InfluencerPenalty(prior+1, false)
		params, _ := json.Marshal(step)
		r, err := tx.ExecContext(ctx, `INSERT INTO influencer_penalties (id, influencer_id, notice_id, step, params, created_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (notice_id) DO NOTHING`, anxin.NewID("ifp"), n.InfluencerID, n.ID, step.Step, string(params), ms(now))
		if err != nil {
			return err
		}
		if k, _ := r.RowsAffected(); k == 1 && step.Step == 1 {
			// The first rung warns and removes the product from the
			// showcase: nothing the stream check needs to refuse.
			if _, err := Enqueue(ctx, tx, "influencer.penalise", n.InfluencerID, "ifp:"+n.ID, map[string]any{
				"influencer_id": n.InfluencerID, "notice_id": n.ID, "penalty": step,
			}); err != nil {
				return err
			}
		} else if k == 1 {
			// Later rungs suspend product sharing: a restrict_streaming
			// sanction, which the stream check refuses like any other.
			days := step.SuspendSharingDays
			if step.Step >= 4 {
				days = 0
			}
			facts := "Penalty step " + itoa(step.Step) + " for selling an infringing product (notice " + n.ID + "), " + itoa(prior+1) + " penalties in 365 days."
			if _, err := issueSanction(ctx, tx, sanctionIssue{subjectType: anxin.SubjectInfluencer, subjectID: n.InfluencerID,
				typ: anxin.SanctionRestrictStreaming, source: anxin.SourceIP, originType: "notice", originID: n.ID, cause: "influencer_penalty",
				days: days, reason: facts, mode: enforcement.Queue, explain: enforcement.Explanation{Facts: facts, Automation: "partially",
					TermsGround: "Intellectual property rules: influencers selling infringing products"},
				extra: map[string]any{"influencer_id": n.InfluencerID, "notice_id": n.ID, "penalty": step}}); err != nil {
				return err
			}
		}
	}
	return nil
}

// loadNotice reads a notice in tx, locking it on PostgreSQL.
func loadNotice(ctx context.Context, tx *Tx, id string) (*anxin.Notice, string, error) {
	q := `SELECT ` + noticeCols + `, family FROM notices WHERE id = ?`
	if tx.Dialect() == Postgres {
		q += ` FOR UPDATE`
	}
	var family string
	n, err := scanNotice(scanPlus{tx.QueryRowContext(ctx, q, id), &family})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", anxin.Errorf(anxin.NotFound, "Notice not found.")
	}
	return n, family, err
}

// scanPlus scans the notice columns plus one trailing column.
type scanPlus struct {
	row   *sql.Row
	extra *string
}

func (s scanPlus) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra)...) }

// visible reports whether the actor may see notice n: rights holders their
// own, merchants theirs, staff all.
func visible(ctx context.Context, n *anxin.Notice) bool {
	if rh := rightsHolderScope(ctx); rh != "" {
		return n.RightsHolderID == rh
	}
	if m := anxin.MerchantScope(ctx); m != "" {
		return n.MerchantID == m
	}
	return true
}

// FindNotice returns a notice, or NotFound when absent or not visible.
func (s *IPService) FindNotice(ctx context.Context, id string) (*anxin.Notice, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadNotices); err != nil {
		return nil, err
	}
	n, err := scanNotice(s.db.QueryRowContext(ctx, `SELECT `+noticeCols+` FROM notices WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !visible(ctx, n)) {
		return nil, anxin.Errorf(anxin.NotFound, "Notice not found.")
	}
	return n, mapError(err)
}

// FindNotices lists notices newest first within the actor's scope.
func (s *IPService) FindNotices(ctx context.Context, f anxin.NoticeFilter) ([]*anxin.Notice, string, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadNotices); err != nil {
		return nil, "", err
	}
	where, args := []string{"1 = 1"}, []any{}
	if rh := rightsHolderScope(ctx); rh != "" {
		where, args = append(where, "rights_holder_id = ?"), append(args, rh)
	}
	if m := anxin.MerchantScope(ctx); m != "" {
		where, args = append(where, "merchant_id = ?"), append(args, m)
	} else if f.MerchantID != "" {
		where, args = append(where, "merchant_id = ?"), append(args, f.MerchantID)
	}
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, f.State)
	}
	if f.BrandID != "" {
		where, args = append(where, "brand_id = ?"), append(args, f.BrandID)
	}
	if f.Reason != "" {
		where, args = append(where, "reason = ?"), append(args, f.Reason)
	}
	if f.Cursor != "" {
		c, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		where, args = append(where, "id < ?"), append(args, c)
	}
	limit := pageLimit(f.Limit)
	rows, err := s.db.QueryContext(ctx, `SELECT `+noticeCols+` FROM notices WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []*anxin.Notice
	for rows.Next() {
		n, err := scanNotice(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, n)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeCursor(out[limit-1].ID)
	}
	return out, next, rows.Err()
}
