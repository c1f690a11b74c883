package sqlstore

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"anxin"
	"anxin/graph"
)

// signingKey returns the export signing key, creating it on first use.
func (db *DB) signingKey(ctx context.Context) (ed25519.PrivateKey, error) {
	var priv string
	err := db.QueryRowContext(ctx, `SELECT private_key FROM signing_keys ORDER BY created_at LIMIT 1`).Scan(&priv)
	if errors.Is(err, sql.ErrNoRows) {
		pub, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		err = db.Transact(ctx, func(tx *Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO signing_keys (id, public_key, private_key, created_at) VALUES ('export', ?, ?, ?)
				ON CONFLICT (id) DO NOTHING`, base64.StdEncoding.EncodeToString(pub), base64.StdEncoding.EncodeToString(key), ms(tx.Now))
			return err
		})
		if err != nil {
			return nil, err
		}
		return db.signingKey(ctx) // read back: another replica may have won
	}
	if err != nil {
		return nil, mapError(err)
	}
	b, err := base64.StdEncoding.DecodeString(priv)
	if err != nil || len(b) != ed25519.PrivateKeySize {
		return nil, anxin.Errorf(anxin.Internal, "the export signing key is corrupt")
	}
	return ed25519.PrivateKey(b), nil
}

// exportBundle is what a case export contains.
type exportBundle struct {
	GeneratedAt time.Time         `json:"generated_at"`
	GeneratedBy string            `json:"generated_by"`
	Subject     graph.Node        `json:"subject"`
	Cluster     graph.Cluster     `json:"cluster"`
	Merchants   []*anxin.Merchant `json:"merchants"`
	Listings    []*anxin.Listing  `json:"listings"`
	Orders      []exportOrder     `json:"orders"`
	Notices     []*anxin.Notice   `json:"notices"`
}

// exportOrder is an order without any reference to personal data: the
// bundle leaves Anxin, and authorities request personal data through the
// privacy officer's audited channel, not through an export.
type exportOrder struct {
	ID         string     `json:"id"`
	MerchantID string     `json:"merchant_id"`
	ListingIDs []string   `json:"listing_ids"`
	TotalFen   int64      `json:"total_fen"`
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	PaidAt     *time.Time `json:"paid_at,omitempty"`
}

// Export builds and signs the evidence bundle of an entity's cluster:
// members, links with their shared values, the merchants' listings and
// orders (at most 1,000 of each) and the notices against them.
func (s *RelationService) Export(ctx context.Context, kind, id string) (*anxin.CaseExport, error) {
	c, err := s.Cluster(ctx, kind, id)
	if err != nil {
		return nil, err
	}
	b := exportBundle{GeneratedAt: s.db.Clock.Now(), GeneratedBy: anxin.ActorFromContext(ctx).KeyID, Subject: graph.Node{Kind: kind, ID: id}, Cluster: c}
	ms := NewMarketplaceService(s.db)
	ips := NewIPService(s.db)
	for _, m := range c.Members {
		if m.Node.Kind != "merchant" {
			continue
		}
		if mm, err := ms.FindMerchant(ctx, m.Node.ID); err == nil {
			b.Merchants = append(b.Merchants, mm)
		}
		ls, _, err := ms.FindListings(ctx, anxin.MarketplaceFilter{MerchantID: m.Node.ID, Page: anxin.Page{Limit: 500}})
		if err != nil {
			return nil, err
		}
		b.Listings = append(b.Listings, ls...)
		os, _, err := ms.FindOrders(ctx, anxin.MarketplaceFilter{MerchantID: m.Node.ID, Page: anxin.Page{Limit: 500}})
		if err != nil {
			return nil, err
		}
		for _, o := range os {
			eo := exportOrder{ID: o.ID, MerchantID: o.MerchantID, TotalFen: o.TotalFen, Status: o.Status, CreatedAt: o.CreatedAt, PaidAt: o.PaidAt}
			for _, it := range o.Items {
				eo.ListingIDs = append(eo.ListingIDs, it.ListingID)
			}
			b.Orders = append(b.Orders, eo)
		}
		ns, _, err := ips.FindNotices(ctx, anxin.NoticeFilter{MerchantID: m.Node.ID, Page: anxin.Page{Limit: 500}})
		if err == nil {
			b.Notices = append(b.Notices, ns...)
		}
	}
	body, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	key, err := s.db.signingKey(ctx)
	if err != nil {
		return nil, err
	}
	return &anxin.CaseExport{
		Bundle:    body,
		Algorithm: "ed25519",
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(key, body)),
		PublicKey: base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey)),
	}, nil
}
