package marketplace

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/webhook"
)

var secret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// recorder is a Reporter that keeps what it was told; fail makes the next
// calls fail.
type recorder struct {
	listings  []anxin.Listing
	merchants []anxin.Merchant
	acks      map[string]anxin.PayoutAck
	fail      error
}

func (r *recorder) ReportListings(_ context.Context, ls []*anxin.Listing) error {
	if r.fail != nil {
		return r.fail
	}
	for _, l := range ls {
		r.listings = append(r.listings, *l)
	}
	return nil
}

func (r *recorder) ReportMerchants(_ context.Context, ms []*anxin.Merchant) error {
	if r.fail != nil {
		return r.fail
	}
	for _, m := range ms {
		r.merchants = append(r.merchants, *m)
	}
	return nil
}

func (r *recorder) AckPayout(_ context.Context, id string, ack anxin.PayoutAck) error {
	if r.fail != nil {
		return r.fail
	}
	if r.acks == nil {
		r.acks = map[string]anxin.PayoutAck{}
	}
	r.acks[id] = ack
	return nil
}

var now = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

func newMarket(t *testing.T) (*Marketplace, *recorder) {
	t.Helper()
	rec := &recorder{}
	m := New(secret, rec, func() time.Time { return now })
	m.Seed([]*anxin.Merchant{{ID: "mer_1", Name: "Shop", Status: "active"}},
		[]*anxin.Listing{{ID: "lst_1", MerchantID: "mer_1", Title: "Tea", Status: "live"}, {ID: "lst_2", MerchantID: "mer_1", Title: "Cup", Status: "live"}})
	return m, rec
}

// delivery builds a signed POST of one message as the sender does, signed
// at ts with key.
func delivery(t *testing.T, key, id, typ, subject string, payload any, ts time.Time) *http.Request {
	t.Helper()
	p, _ := json.Marshal(payload)
	body, _ := json.Marshal(webhook.Envelope{ID: id, Type: typ, SubjectID: subject, CreatedAt: now, Payload: p})
	sig, err := webhook.SignStandard(key, id, ts.Unix(), body)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(string(body)))
	r.Header.Set(webhook.HeaderStandardID, id)
	r.Header.Set(webhook.HeaderStandardTimestamp, strconv.FormatInt(ts.Unix(), 10))
	r.Header.Set(webhook.HeaderStandardSignature, sig)
	return r
}

func serve(m *Marketplace, r *http.Request) int {
	w := httptest.NewRecorder()
	m.ServeHTTP(w, r)
	return w.Code
}

func TestDeliveryAppliedOnce(t *testing.T) {
	m, rec := newMarket(t)
	p := map[string]any{"statement_id": "st_1", "action": "delist", "decision_id": "dec_1"}
	if code := serve(m, delivery(t, secret, "msg_1", anxin.MessageDelistListing, "lst_1", p, now)); code != 200 {
		t.Fatalf("delist = %d; want 200", code)
	}
	// Anxin retries (a lost answer): a new attempt, a new timestamp, the same id.
	if code := serve(m, delivery(t, secret, "msg_1", anxin.MessageDelistListing, "lst_1", p, now.Add(time.Minute))); code != 200 {
		t.Fatalf("redelivery = %d; want 200", code)
	}
	if l, _ := m.Listing("lst_1"); l.Status != "delisted" {
		t.Errorf("lst_1 status = %q; want delisted", l.Status)
	}
	if l, _ := m.Listing("lst_2"); l.Status != "live" {
		t.Errorf("lst_2 status = %q; want live (not named)", l.Status)
	}
	if len(rec.listings) != 1 || rec.listings[0].ID != "lst_1" || rec.listings[0].Status != "delisted" || rec.listings[0].Title != "Tea" {
		t.Errorf("reported %+v; want lst_1 delisted once, the whole record", rec.listings)
	}
	c := m.Counts()
	if c.Delist != 1 || c.Repeated != 1 || c.Applied() != 1 || c.Rejected != 0 {
		t.Errorf("counts = %+v; want 1 delist, 1 repeated", c)
	}
	// The restore names the same statement and action: the listing is live again.
	if code := serve(m, delivery(t, secret, "msg_2", anxin.MessageRestoreListing, "lst_1", map[string]any{"statement_id": "st_1", "action": "delist", "enforcement_id": "enf_1"}, now)); code != 200 {
		t.Fatalf("restore = %d", code)
	}
	if l, _ := m.Listing("lst_1"); l.Status != "live" || len(rec.listings) != 2 {
		t.Errorf("after restore lst_1 = %q with %d reports; want live, 2", l.Status, len(rec.listings))
	}
}

func TestTwoHoldsNeedTwoRestores(t *testing.T) {
	m, _ := newMarket(t)
	serve(m, delivery(t, secret, "msg_a", anxin.MessageDelistListing, "lst_1", map[string]any{"statement_id": "st_1", "action": "delist"}, now))
	serve(m, delivery(t, secret, "msg_b", anxin.MessageBanListing, "lst_1", map[string]any{"notice_id": "ntc_1"}, now))
	if l, _ := m.Listing("lst_1"); l.Status != "banned" {
		t.Fatalf("status = %q; want banned", l.Status)
	}
	serve(m, delivery(t, secret, "msg_c", anxin.MessageRestoreListing, "lst_1", map[string]any{"notice_id": "ntc_1"}, now))
	if l, _ := m.Listing("lst_1"); l.Status != "delisted" {
		t.Errorf("after the notice's reinstatement status = %q; want delisted (the governance delist stands)", l.Status)
	}
}

func TestMerchantRestrictAndReinstate(t *testing.T) {
	m, rec := newMarket(t)
	serve(m, delivery(t, secret, "msg_r", anxin.MessageRestrictMerchant, "mer_1", map[string]any{"sanction_id": "snc_1", "action": "restrict_listing"}, now))
	if x, _ := m.Merchant("mer_1"); x.Status != "restricted" {
		t.Fatalf("status = %q; want restricted", x.Status)
	}
	serve(m, delivery(t, secret, "msg_e", anxin.MessageReinstateMerchant, "mer_1", map[string]any{"sanction_id": "snc_1"}, now))
	if x, _ := m.Merchant("mer_1"); x.Status != "active" || len(rec.merchants) != 2 {
		t.Errorf("after reinstate status = %q with %d reports; want active, 2", x.Status, len(rec.merchants))
	}
	if c := m.Counts(); c.Restrict != 1 || c.Lift != 1 {
		t.Errorf("counts = %+v", c)
	}
}

func TestPay(t *testing.T) {
	m, rec := newMarket(t)
	p := map[string]any{"payout_id": "pay_1", "posting_id": "pst_1", "amount_fen": 1250}
	serve(m, delivery(t, secret, "msg_p", anxin.MessagePayBuyer, "ord_1", p, now))
	serve(m, delivery(t, secret, "msg_p", anxin.MessagePayBuyer, "ord_1", p, now))
	want := anxin.PayoutAck{Status: anxin.PayoutPaid, PostingID: "pst_1", AmountFen: 1250}
	if len(rec.acks) != 1 || rec.acks["pay_1"] != want {
		t.Errorf("acks = %+v; want pay_1 %+v", rec.acks, want)
	}
	if got := m.Paid(); len(got) != 1 || got[0] != "pay_1" {
		t.Errorf("paid = %v", got)
	}
	if c := m.Counts(); c.Pay != 1 || c.Repeated != 1 {
		t.Errorf("counts = %+v; want 1 pay, 1 repeated", c)
	}
}

// With a payment rail that takes time, a refund is accepted at once and
// confirmed to Anxin only when it is due; a failed confirmation stays
// queued; all settles what is left.
func TestPayAfter(t *testing.T) {
	clock := now
	rec := &recorder{}
	m := New(secret, rec, func() time.Time { return clock })
	m.PayAfter = func(id string) time.Duration {
		if id == "pay_slow" {
			return 2 * time.Hour
		}
		return 10 * time.Minute
	}
	for _, id := range []string{"pay_fast", "pay_slow"} {
		p := map[string]any{"payout_id": id, "posting_id": "pst_" + id, "amount_fen": 500}
		if code := serve(m, delivery(t, secret, "msg_"+id, anxin.MessagePayBuyer, "ord_1", p, clock)); code != 200 {
			t.Fatalf("deliver %s = %d", id, code)
		}
	}
	if len(rec.acks) != 0 || m.Counts().Pay != 2 {
		t.Fatalf("on receipt: acks %v, counts %+v; want none confirmed, two accepted", rec.acks, m.Counts())
	}
	clock = now.Add(11 * time.Minute)
	rec.fail = errors.New("down")
	if n, err := m.Settle(context.Background(), false); n != 0 || err == nil {
		t.Fatalf("Settle with Anxin down = %d, %v; want 0 and the error", n, err)
	}
	rec.fail = nil
	if n, err := m.Settle(context.Background(), false); n != 1 || err != nil || rec.acks["pay_fast"].AmountFen != 500 || len(rec.acks) != 1 {
		t.Fatalf("Settle after 11 min = %d, %v, acks %v; want pay_fast only", n, err, rec.acks)
	}
	if n, err := m.Settle(context.Background(), true); n != 1 || err != nil || len(m.Paid()) != 2 {
		t.Fatalf("Settle(all) = %d, %v, paid %v; want the slow one too", n, err, m.Paid())
	}
}

func TestBadSignatureRefused(t *testing.T) {
	other := "whsec_" + base64.StdEncoding.EncodeToString([]byte("another-secret-of-32-bytes-long!"))
	p := map[string]any{"statement_id": "st_1", "action": "delist"}
	cases := []struct {
		name string
		req  func(t *testing.T) *http.Request
		want int
	}{
		{"wrong secret", func(t *testing.T) *http.Request {
			return delivery(t, other, "msg_1", anxin.MessageDelistListing, "lst_1", p, now)
		}, 401},
		{"stale", func(t *testing.T) *http.Request {
			return delivery(t, secret, "msg_1", anxin.MessageDelistListing, "lst_1", p, now.Add(-time.Hour))
		}, 401},
		{"tampered body", func(t *testing.T) *http.Request {
			r := delivery(t, secret, "msg_1", anxin.MessageDelistListing, "lst_2", p, now)
			good := delivery(t, secret, "msg_1", anxin.MessageDelistListing, "lst_1", p, now)
			r.Header = good.Header // lst_1's signature on a body naming lst_2
			return r
		}, 401},
		{"another id", func(t *testing.T) *http.Request {
			r := delivery(t, secret, "msg_1", anxin.MessageDelistListing, "lst_1", p, now)
			r.Header.Set(webhook.HeaderStandardID, "msg_2")
			return r
		}, 401},
		{"no signature", func(t *testing.T) *http.Request {
			r := delivery(t, secret, "msg_1", anxin.MessageDelistListing, "lst_1", p, now)
			r.Header.Del(webhook.HeaderStandardSignature)
			return r
		}, 400},
		{"garbage signature", func(t *testing.T) *http.Request {
			r := delivery(t, secret, "msg_1", anxin.MessageDelistListing, "lst_1", p, now)
			r.Header.Set(webhook.HeaderStandardSignature, "v1,!!!")
			return r
		}, 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, rec := newMarket(t)
			if code := serve(m, c.req(t)); code != c.want {
				t.Errorf("ServeHTTP = %d; want %d", code, c.want)
			}
			if l, _ := m.Listing("lst_1"); l.Status != "live" {
				t.Errorf("lst_1 status = %q; want live (nothing applied)", l.Status)
			}
			if len(rec.listings) != 0 {
				t.Errorf("reported %v; want nothing", rec.listings)
			}
			if cn := m.Counts(); cn.Rejected != 1 || cn.Applied() != 0 {
				t.Errorf("counts = %+v; want 1 rejected, 0 applied", cn)
			}
			// A refused delivery does not burn its id: the genuine one still applies.
			if code := serve(m, delivery(t, secret, "msg_1", anxin.MessageDelistListing, "lst_1", p, now)); code != 200 {
				t.Errorf("the genuine delivery = %d; want 200", code)
			}
			if l, _ := m.Listing("lst_1"); l.Status != "delisted" {
				t.Errorf("after the genuine delivery lst_1 = %q; want delisted", l.Status)
			}
		})
	}
}

func TestUnknownTypeIgnored(t *testing.T) {
	m, rec := newMarket(t)
	if code := serve(m, delivery(t, secret, "msg_n", "case.opened", "case_1", map[string]any{"case_id": "case_1"}, now)); code != 200 {
		t.Fatalf("unknown type = %d; want 200", code)
	}
	serve(m, delivery(t, secret, "msg_m", anxin.MessageNotify, "lst_1", map[string]any{}, now))
	c := m.Counts()
	if c.Ignored["case.opened"] != 1 || c.Ignored[anxin.MessageNotify] != 1 || c.Applied() != 0 {
		t.Errorf("counts = %+v; want case.opened and notify ignored once each", c)
	}
	if len(rec.listings)+len(rec.merchants)+len(rec.acks) != 0 {
		t.Error("an ignored message was reported")
	}
}

func TestReportFailureAppliesNothing(t *testing.T) {
	m, rec := newMarket(t)
	rec.fail = errors.New("anxin is down")
	p := map[string]any{"statement_id": "st_1", "action": "delist"}
	if code := serve(m, delivery(t, secret, "msg_1", anxin.MessageDelistListing, "lst_1", p, now)); code != http.StatusBadGateway {
		t.Fatalf("with Anxin down = %d; want 502 so Anxin retries", code)
	}
	if l, _ := m.Listing("lst_1"); l.Status != "live" || m.Counts().Applied() != 0 {
		t.Fatalf("after a failed report lst_1 = %q, counts %+v; want live, nothing applied", l.Status, m.Counts())
	}
	rec.fail = nil
	if code := serve(m, delivery(t, secret, "msg_1", anxin.MessageDelistListing, "lst_1", p, now)); code != 200 {
		t.Fatalf("retry = %d", code)
	}
	if l, _ := m.Listing("lst_1"); l.Status != "delisted" || len(rec.listings) != 1 {
		t.Errorf("after the retry lst_1 = %q with %d reports; want delisted, 1", l.Status, len(rec.listings))
	}
}

func TestHostileRequests(t *testing.T) {
	m, _ := newMarket(t)
	if code := serve(m, httptest.NewRequest(http.MethodGet, "/hook", nil)); code != http.StatusMethodNotAllowed {
		t.Errorf("GET = %d; want 405", code)
	}
	big := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(strings.Repeat("x", MaxBody+1)))
	if code := serve(m, big); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized = %d; want 413", code)
	}
	// Signed but not an envelope.
	body := []byte(`[1,2,3]`)
	sig, _ := webhook.SignStandard(secret, "msg_x", now.Unix(), body)
	r := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(string(body)))
	r.Header.Set(webhook.HeaderStandardID, "msg_x")
	r.Header.Set(webhook.HeaderStandardTimestamp, strconv.FormatInt(now.Unix(), 10))
	r.Header.Set(webhook.HeaderStandardSignature, sig)
	if code := serve(m, r); code != 400 {
		t.Errorf("signed non-envelope = %d; want 400", code)
	}
	if c := m.Counts(); c.Rejected != 2 || c.Applied() != 0 {
		t.Errorf("counts = %+v; want 2 rejected (the GET is not a delivery)", c)
	}
}

func TestRefusePublish(t *testing.T) {
	m, rec := newMarket(t)
	if err := m.RefusePublish(context.Background(), "lst_1", "dec_9", "st_9"); err != nil {
		t.Fatal(err)
	}
	if l, _ := m.Listing("lst_1"); l.Status != "held" || len(rec.listings) != 1 || rec.listings[0].Status != "held" {
		t.Fatalf("after a refused publish lst_1 = %q, reported %v; want held, reported", l.Status, rec.listings)
	}
	// A review that releases the decision puts it on sale.
	serve(m, delivery(t, secret, "msg_rel", anxin.MessageRestoreListing, "lst_1", map[string]any{"decision_id": "dec_9", "case_id": "case_1"}, now))
	if l, _ := m.Listing("lst_1"); l.Status != "live" {
		t.Errorf("after the release lst_1 = %q; want live", l.Status)
	}
	if c := m.Counts(); c.Refused != 1 || c.Lift != 1 {
		t.Errorf("counts = %+v; want 1 refused, 1 lift", c)
	}
	rec.fail = errors.New("down")
	if err := m.RefusePublish(context.Background(), "lst_2", "dec_8", ""); err == nil {
		t.Error("RefusePublish with Anxin down = nil; want the report's error")
	}
	if l, _ := m.Listing("lst_2"); l.Status != "live" || m.Counts().Refused != 1 {
		t.Errorf("after a failed refusal lst_2 = %q; want live, nothing counted", l.Status)
	}
}
