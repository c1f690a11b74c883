package sqlstore

import (
	"context"
	"encoding/json"

	"anxin"
	"anxin/governance"
	"anxin/rules"
)

// MaxBacktestItems bounds how many stored items of each source a backtest
// reads.
const MaxBacktestItems = 200_000

// Backtest runs the engine in effect and a candidate engine over stored
// listings and content (the marketplace mirror, then the snapshots of
// checked items not in the mirror, newest first) and reports what the
// candidate would change. Nothing is stored. Livestream segments from the
// mirror are checked with their stream window. Role: operator, reviewer,
// auditor.
func (s *GovernanceService) Backtest(ctx context.Context, candidate *governance.Engine) (*governance.Backtest, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadGovernance); err != nil {
		return nil, err
	}
	current, err := s.Engine(ctx)
	if err != nil {
		return nil, err
	}
	bt := governance.NewBacktest()
	listing := func(l *anxin.ListingCheck) {
		if bt.Seen("listing", l.ID) {
			return
		}
		bt.Add(l.ID, "listing", current.CheckListing(l, rules.Merchant{}, nil).Result, candidate.CheckListing(l, rules.Merchant{}, nil).Result)
	}
	windows := map[string][]string{}
	content := func(c *anxin.ContentItem, useWindow bool) {
		if bt.Seen(c.Kind, c.ID) {
			return
		}
		var w []string
		if useWindow && c.Kind == anxin.ContentLivestreamSegment {
			w = windows[c.StreamID]
			windows[c.StreamID] = append(w[max(0, len(w)-governance.WindowSegments+1):], c.Text)
		}
		bt.Add(c.ID, c.Kind, current.CheckContent(c, w, rules.Merchant{}, nil).Result, candidate.CheckContent(c, w, rules.Merchant{}, nil).Result)
	}
	err = s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, merchant_id, title, description, category, brand, price_fen FROM listings ORDER BY id LIMIT ?`, MaxBacktestItems)
		if err != nil {
			return err
		}
		for rows.Next() {
			l := new(anxin.ListingCheck)
			if err := rows.Scan(&l.ID, &l.MerchantID, &l.Title, &l.Description, &l.Category, &l.Brand, &l.PriceFen); err != nil {
				rows.Close()
				return err
			}
			listing(l)
		}
		rows.Close()
		rows, err = tx.QueryContext(ctx, `SELECT id, kind, author_id, stream_id, seq, text FROM content_items ORDER BY stream_id, seq, id LIMIT ?`, MaxBacktestItems)
		if err != nil {
			return err
		}
		for rows.Next() {
			c := new(anxin.ContentItem)
			if err := rows.Scan(&c.ID, &c.Kind, &c.AuthorID, &c.StreamID, &c.Seq, &c.Text); err != nil {
				rows.Close()
				return err
			}
			content(c, true)
		}
		rows.Close()
		rows, err = tx.QueryContext(ctx, `SELECT subject_type, snapshot FROM gov_decisions ORDER BY created_at DESC LIMIT ?`, MaxBacktestItems)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var typ, snap string
			if err := rows.Scan(&typ, &snap); err != nil {
				return err
			}
			if typ == "listing" {
				l := new(anxin.ListingCheck)
				if json.Unmarshal([]byte(snap), l) == nil && l.ID != "" {
					listing(l)
				}
				continue
			}
			c := new(anxin.ContentItem)
			if json.Unmarshal([]byte(snap), c) == nil && c.ID != "" {
				content(c, false)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return bt, nil
}
