package sqlstore

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"anxin"
	"anxin/graph"
)

// RelationService keeps the relation network: identity attributes are
// stored in identity_attributes and mirrored in an in-memory graph.Graph
// that each replica loads incrementally by seq, so every replica sees new
// links within one refresh. Risk comes from merchants cleared out in the
// mirror or by IP sanctions.
type RelationService struct {
	db *DB

	// HubCap is passed to the graph (default graph.DefaultHubCap).
	HubCap int
	// ReregistrationRisk is the inherited risk from a cleared-out merchant
	// at which a merchant is recorded as a re-registration (default 0.5).
	ReregistrationRisk float64

	mu        sync.RWMutex
	g         *graph.Graph
	lastSeq   int64
	refreshed time.Time
}

// NewRelationService returns a RelationService on db. The graph loads on
// first use.
func NewRelationService(db *DB) *RelationService {
	return &RelationService{db: db, ReregistrationRisk: 0.5}
}

// Refresh loads attributes added since the last refresh (by any replica)
// and re-reads the risky entities.
func (s *RelationService) Refresh(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshLocked(ctx)
}

func (s *RelationService) refreshLocked(ctx context.Context) error {
	if s.g == nil {
		s.g = graph.New()
		if s.HubCap > 0 {
			s.g.HubCap = s.HubCap
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT seq, kind, entity_id, type, value FROM identity_attributes WHERE seq > ? ORDER BY seq`, s.lastSeq)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var kind, id, typ, val string
		if err := rows.Scan(&seq, &kind, &id, &typ, &val); err != nil {
			return err
		}
		s.g.AddAttribute(graph.Node{Kind: kind, ID: id}, typ, val)
		s.lastSeq = seq
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// Risk: cleared-out merchants (mirror status or an IP clear-out) and
	// shops shielded for repeat infringement.
	risky, err := s.db.QueryContext(ctx, `SELECT id, 1000, 'cleared out' FROM merchants WHERE status = 'cleared'
		UNION ALL SELECT subject_id, CASE type WHEN 'clear_out' THEN 1000 ELSE 600 END, 'IP sanction: ' || type FROM sanctions WHERE source = 'ip'`)
	if err != nil {
		return err
	}
	defer risky.Close()
	for risky.Next() {
		var id, reason string
		var r int64
		if err := risky.Scan(&id, &r, &reason); err != nil {
			return err
		}
		n := graph.Node{Kind: "merchant", ID: id}
		if cur := s.g.Risk(n); cur.OwnRisk < float64(r)/1000 {
			s.g.SetRisk(n, float64(r)/1000, reason)
		}
	}
	s.refreshed = s.db.Clock.Now()
	return risky.Err()
}

// ensure refreshes when the graph is older than a second, so reads on any
// replica see other replicas' writes quickly without a query per call.
func (s *RelationService) ensure(ctx context.Context) error {
	s.mu.RLock()
	fresh := s.g != nil && s.db.Clock.Now().Sub(s.refreshed) < time.Second
	s.mu.RUnlock()
	if fresh {
		return nil
	}
	return s.Refresh(ctx)
}

// AddAttributes validates every attribute (Invalid with per-item details,
// nothing stored, if any is bad), stores the new ones, updates the graph and
// returns the merchants in the batch now linked to a cleared-out merchant —
// re-registrations caught at onboarding. Each catch is recorded once and
// sent to the marketplace as a merchant.reregistration outbox message.
func (s *RelationService) AddAttributes(ctx context.Context, attrs []*anxin.IdentityAttribute) (caught []graph.Reregistration, err error) {
	if err := anxin.Authorize(ctx, anxin.ActionWriteIdentity); err != nil {
		return nil, err
	}
	if len(attrs) == 0 || len(attrs) > anxin.MaxBatch {
		return nil, anxin.Errorf(anxin.Invalid, "Send 1 to %d attributes.", anxin.MaxBatch)
	}
	var details []anxin.ItemError
	for i, a := range attrs {
		if a == nil {
			details = append(details, anxin.ItemError{Index: i, Message: "attribute is null."})
			continue
		}
		if err := a.Validate(); err != nil {
			details = append(details, anxin.ItemError{Index: i, ID: a.ID, Message: anxin.MessageOf(err)})
		}
	}
	if details != nil {
		return nil, &anxin.Error{Kind: anxin.Invalid, Message: "The batch was rejected; nothing was stored.", Details: details}
	}
	err = s.db.Transact(ctx, func(tx *Tx) error {
		for _, a := range attrs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO identity_attributes (kind, entity_id, type, value, created_at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (kind, entity_id, type, value) DO NOTHING`, a.Kind, a.ID, a.Type, a.Value, ms(tx.Now)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	err = s.refreshLocked(ctx)
	seen := map[string]bool{}
	for _, a := range attrs {
		if a.Kind != "merchant" || seen[a.ID] {
			continue
		}
		seen[a.ID] = true
		m := s.g.Risk(graph.Node{Kind: "merchant", ID: a.ID})
		if m.RiskFrom != nil && m.Risk >= s.ReregistrationRisk && m.OwnRisk == 0 {
			caught = append(caught, graph.Reregistration{MerchantID: a.ID, LinkedTo: m.RiskFrom.ID, Risk: m.Risk, Path: m.Path})
		}
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if len(caught) > 0 {
		err = s.db.Transact(ctx, func(tx *Tx) error {
			for _, c := range caught {
				ev, _ := json.Marshal(c.Path)
				r, err := tx.ExecContext(ctx, `INSERT INTO reregistrations (merchant_id, linked_to, risk, evidence, caught_at) VALUES (?, ?, ?, ?, ?)
					ON CONFLICT (merchant_id) DO NOTHING`, c.MerchantID, c.LinkedTo, int64(c.Risk*1000), string(ev), ms(tx.Now))
				if err != nil {
					return err
				}
				if n, _ := r.RowsAffected(); n == 1 {
					if _, err := Enqueue(ctx, tx, "merchant.reregistration", c.MerchantID, "rereg:"+c.MerchantID, c); err != nil {
						return err
					}
				}
			}
			return nil
		})
	}
	return caught, err
}

// Cluster returns the cluster of an entity with the evidence of each link.
// It needs ActionInvestigate: merchants never see the network, which would
// tell a ring which of its links Anxin knows.
func (s *RelationService) Cluster(ctx context.Context, kind, id string) (graph.Cluster, error) {
	if err := anxin.Authorize(ctx, anxin.ActionInvestigate); err != nil {
		return graph.Cluster{}, err
	}
	if err := anxin.ValidateID("id", id); err != nil {
		return graph.Cluster{}, err
	}
	switch kind {
	case "merchant", "influencer", "buyer", "listing":
	default:
		return graph.Cluster{}, anxin.Errorf(anxin.Invalid, "kind must be merchant, influencer, buyer or listing.")
	}
	if err := s.ensure(ctx); err != nil {
		return graph.Cluster{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.g.Cluster(graph.Node{Kind: kind, ID: id}), nil
}

// risk returns an entity's inherited risk without authorisation (for the
// scoring path, which authorises on its own).
func (s *RelationService) risk(ctx context.Context, n graph.Node) (graph.Member, error) {
	if err := s.ensure(ctx); err != nil {
		return graph.Member{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.g.Risk(n), nil
}

// Hubs returns the attribute values that stopped linking.
func (s *RelationService) Hubs(ctx context.Context) ([]graph.Attribute, error) {
	if err := anxin.Authorize(ctx, anxin.ActionInvestigate); err != nil {
		return nil, err
	}
	if err := s.ensure(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.g.Hubs(), nil
}

// Reregistrations lists the re-registrations caught, newest first.
func (s *RelationService) Reregistrations(ctx context.Context, limit int) ([]graph.Reregistration, error) {
	if err := anxin.Authorize(ctx, anxin.ActionInvestigate); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT merchant_id, linked_to, risk, evidence FROM reregistrations ORDER BY caught_at DESC, merchant_id LIMIT ?`, pageLimit(limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []graph.Reregistration
	for rows.Next() {
		var r graph.Reregistration
		var risk int64
		var ev string
		if err := rows.Scan(&r.MerchantID, &r.LinkedTo, &risk, &ev); err != nil {
			return nil, err
		}
		r.Risk = float64(risk) / 1000
		json.Unmarshal([]byte(ev), &r.Path)
		out = append(out, r)
	}
	return out, rows.Err()
}
