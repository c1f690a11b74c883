package privacy_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/privacy"
)

var now = time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)

var (
	alice = anxin.Actor{KeyID: "k_alice", Role: anxin.RolePrivacy}
	bob   = anxin.Actor{KeyID: "k_bob", Role: anxin.RolePrivacy}
	carol = anxin.Actor{KeyID: "k_carol", Role: anxin.RoleOperator}
	m1    = anxin.Actor{KeyID: "k_m1", Role: anxin.MerchantRole("m1")}
)

func TestCheckRequest(t *testing.T) {
	tests := []struct {
		name      string
		requester anxin.Actor
		g         anxin.PIIGrant
		want      anxin.Kind
	}{
		{"one order, 30 days", alice, anxin.PIIGrant{Role: m1.Role, Purpose: anxin.PurposeShip, OrderID: "o1", ExpiresAt: now.Add(30 * 24 * time.Hour)}, ""},
		{"wildcard, 24 hours", alice, anxin.PIIGrant{Role: m1.Role, Purpose: anxin.PurposeShip, OrderID: "*", ExpiresAt: now.Add(24 * time.Hour)}, ""},
		{"wildcard, 25 hours", alice, anxin.PIIGrant{Role: m1.Role, Purpose: anxin.PurposeShip, OrderID: "*", ExpiresAt: now.Add(25 * time.Hour)}, anxin.Invalid},
		{"one order, 91 days", alice, anxin.PIIGrant{Role: m1.Role, Purpose: anxin.PurposeShip, OrderID: "o1", ExpiresAt: now.Add(91 * 24 * time.Hour)}, anxin.Invalid},
		{"expired", alice, anxin.PIIGrant{Role: m1.Role, Purpose: anxin.PurposeShip, OrderID: "o1", ExpiresAt: now.Add(-time.Second)}, anxin.Invalid},
		{"purpose the role may not have", alice, anxin.PIIGrant{Role: m1.Role, Purpose: anxin.PurposeLegal, OrderID: "o1", ExpiresAt: now.Add(time.Hour)}, anxin.Invalid},
		{"hostile role", alice, anxin.PIIGrant{Role: "merchant:'; DROP TABLE x", Purpose: anxin.PurposeShip, OrderID: "o1", ExpiresAt: now.Add(time.Hour)}, anxin.Invalid},
		{"hostile order id", alice, anxin.PIIGrant{Role: m1.Role, Purpose: anxin.PurposeShip, OrderID: "o1 OR 1=1", ExpiresAt: now.Add(time.Hour)}, anxin.Invalid},
		{"requested by an operator", carol, anxin.PIIGrant{Role: m1.Role, Purpose: anxin.PurposeShip, OrderID: "o1", ExpiresAt: now.Add(time.Hour)}, anxin.Forbidden},
		{"requested by a merchant", m1, anxin.PIIGrant{Role: m1.Role, Purpose: anxin.PurposeShip, OrderID: "o1", ExpiresAt: now.Add(time.Hour)}, anxin.Forbidden},
	}
	for _, tt := range tests {
		if got := anxin.KindOf(privacy.CheckRequest(tt.requester, &tt.g, now)); got != tt.want {
			t.Errorf("%s: CheckRequest = %q; want %q", tt.name, got, tt.want)
		}
	}
}

func pending(by string, order string, life time.Duration) *anxin.PIIGrant {
	return &anxin.PIIGrant{ID: "grt_1", Role: m1.Role, Purpose: anxin.PurposeShip, OrderID: order, CreatedBy: by, CreatedAt: now.Add(-time.Minute), ExpiresAt: now.Add(-time.Minute + life)}
}

func TestCheckApproval(t *testing.T) {
	revoked := pending(alice.KeyID, "o1", time.Hour)
	revoked.RevokedAt = &now
	approved := pending(alice.KeyID, "o1", time.Hour)
	approved.ApprovedBy = bob.KeyID
	old := pending(alice.KeyID, "*", 90*24*time.Hour) // a wildcard grant from before the 24-hour cap
	tests := []struct {
		name     string
		approver anxin.Actor
		g        *anxin.PIIGrant
		want     anxin.Kind
	}{
		{"second privacy key", bob, pending(alice.KeyID, "o1", time.Hour), ""},
		{"the requester itself", alice, pending(alice.KeyID, "o1", time.Hour), anxin.Forbidden},
		{"an operator", carol, pending(alice.KeyID, "o1", time.Hour), anxin.Forbidden},
		{"replayed approval", bob, approved, anxin.Conflict},
		{"revoked", bob, revoked, anxin.Conflict},
		{"expired", bob, pending(alice.KeyID, "o1", 30*time.Second), anxin.Conflict},
		{"wildcard longer than a day", bob, old, anxin.Conflict},
	}
	for _, tt := range tests {
		if got := anxin.KindOf(privacy.CheckApproval(tt.approver, tt.g, now)); got != tt.want {
			t.Errorf("%s: CheckApproval = %q; want %q", tt.name, got, tt.want)
		}
	}
}

func TestPickGrant(t *testing.T) {
	approve := func(g *anxin.PIIGrant) *anxin.PIIGrant { g.ApprovedBy = bob.KeyID; return g }
	legalBy := func(by string) *anxin.PIIGrant {
		return approve(&anxin.PIIGrant{ID: "grt_legal", Role: anxin.RolePrivacy, Purpose: anxin.PurposeLegal, OrderID: "*", CreatedBy: by, CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	}
	wild := approve(pending(alice.KeyID, "*", time.Hour))
	wild.ID = "grt_wild"
	one := approve(pending(alice.KeyID, "o1", time.Hour))
	one.ID = "grt_one"
	tests := []struct {
		name       string
		actor      anxin.Actor
		candidates []*anxin.PIIGrant
		purpose    string
		wantID     string
		wantMsg    string
	}{
		{"approved grant for the order", m1, []*anxin.PIIGrant{one}, anxin.PurposeShip, "grt_one", ""},
		{"the order's grant over a wildcard", m1, []*anxin.PIIGrant{wild, one}, anxin.PurposeShip, "grt_one", ""},
		{"pending only", m1, []*anxin.PIIGrant{pending(alice.KeyID, "o1", time.Hour)}, anxin.PurposeShip, "", "awaits a second privacy key"},
		{"other purpose", m1, []*anxin.PIIGrant{one}, anxin.PurposeAfterSales, "", "No live grant"},
		{"another merchant", anxin.Actor{KeyID: "k_m2", Role: anxin.MerchantRole("m2")}, []*anxin.PIIGrant{one}, anxin.PurposeShip, "", "No live grant"},
		{"a legal grant never serves its requester", alice, []*anxin.PIIGrant{legalBy(alice.KeyID)}, anxin.PurposeLegal, "", "never serves the key that requested it"},
		{"a legal grant serves another privacy key", alice, []*anxin.PIIGrant{legalBy("k_dave")}, anxin.PurposeLegal, "grt_legal", ""},
	}
	for _, tt := range tests {
		g, err := privacy.PickGrant(tt.actor, tt.candidates, tt.purpose, "o1", now)
		switch {
		case tt.wantID != "" && (err != nil || g.ID != tt.wantID):
			t.Errorf("%s: PickGrant = %v, %v; want %s", tt.name, g, err, tt.wantID)
		case tt.wantID == "" && (anxin.KindOf(err) != anxin.Forbidden || !strings.Contains(anxin.MessageOf(err), tt.wantMsg)):
			t.Errorf("%s: PickGrant error = %v; want Forbidden containing %q", tt.name, err, tt.wantMsg)
		}
	}
}

func TestDecryptFields(t *testing.T) {
	tests := []struct {
		purpose   string
		requested []string
		want      []string
		wantKind  anxin.Kind
	}{
		{anxin.PurposeShip, nil, []string{"name", "phone", "address"}, ""},
		{anxin.PurposeShip, []string{"extra"}, nil, anxin.Forbidden},
		{anxin.PurposeShip, []string{"phone", "name", "phone"}, []string{"name", "phone"}, ""},
		{anxin.PurposeAfterSales, []string{"name", "extra"}, nil, anxin.Forbidden},
		{anxin.PurposeCare, nil, []string{"name", "phone"}, ""},
		{anxin.PurposeCare, []string{"address"}, nil, anxin.Forbidden},
		{anxin.PurposeDelivery, nil, []string{"name", "phone", "address"}, ""},
		{anxin.PurposeLegal, nil, []string{"name", "phone", "address"}, ""},
		{anxin.PurposeLegal, []string{"extra", "name"}, []string{"extra", "name"}, ""},
		{"fun", nil, nil, anxin.Invalid},
	}
	for _, tt := range tests {
		got, err := privacy.DecryptFields(tt.purpose, tt.requested)
		if anxin.KindOf(err) != tt.wantKind || !slices.Equal(got, tt.want) {
			t.Errorf("DecryptFields(%q, %v) = %v, %v; want %v, %q", tt.purpose, tt.requested, got, err, tt.want, tt.wantKind)
		}
	}
}

func TestRouteLimits(t *testing.T) {
	var l privacy.RouteLimits
	l.Defaults()
	var c privacy.RouteCounter
	at := now
	wantBlocks := []time.Duration{0, 0, 0, 0, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute}
	for i, want := range wantBlocks {
		if b := l.Blocked(c, at); b != 0 {
			t.Fatalf("failure %d: still blocked for %v", i+1, b)
		}
		c = l.Fail(c, at)
		if got := l.Blocked(c, at); got != want {
			t.Errorf("after failure %d: Blocked = %v; want %v", i+1, got, want)
		}
		if got, wantAlert := l.Alert(c), i+1 >= 10; got != wantAlert {
			t.Errorf("after failure %d: Alert = %v; want %v", i+1, got, wantAlert)
		}
		at = at.Add(want + time.Second)
	}
	// Many failures cap at MaxBlock and never overflow.
	for range 100 {
		c = l.Fail(c, c.BlockedUntil)
	}
	if got := l.Blocked(c, c.LastFailure); got != l.MaxBlock {
		t.Errorf("after 110 failures Blocked = %v; want %v", got, l.MaxBlock)
	}
	// An hour without failures, with no block running, forgets them.
	quiet := privacy.RouteCounter{Failures: 4, LastFailure: now}
	if c := l.Fail(quiet, now.Add(61*time.Minute)); c.Failures != 1 {
		t.Errorf("failure after a quiet hour counts %d; want 1", c.Failures)
	}
}
