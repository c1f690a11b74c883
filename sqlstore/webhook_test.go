package sqlstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

func operatorCtx() context.Context {
	return anxin.NewContextWithActor(context.Background(), anxin.Actor{KeyID: "k_op", Role: anxin.RoleOperator})
}

func enqueue(t *testing.T, db *sqlstore.DB, typ, key string) string {
	t.Helper()
	var id string
	err := db.Transact(context.Background(), func(tx *sqlstore.Tx) error {
		var err error
		id, err = sqlstore.Enqueue(context.Background(), tx, typ, "s_"+key, key, map[string]string{"key": key})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestWebhookCRUD(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		ctx := operatorCtx()
		s := sqlstore.NewWebhookService(db)

		reviewer := anxin.NewContextWithActor(context.Background(), anxin.Actor{KeyID: "k_r", Role: anxin.RoleReviewer})
		if err := s.CreateWebhook(reviewer, &anxin.Webhook{URL: "https://shop.example/hook"}); anxin.KindOf(err) != anxin.Forbidden {
			t.Fatalf("CreateWebhook(reviewer) = %v; want Forbidden", err)
		}
		if _, err := s.FindWebhooks(context.Background()); anxin.KindOf(err) != anxin.Unauthorized {
			t.Fatalf("FindWebhooks(no actor) = %v; want Unauthorized", err)
		}
		for _, bad := range []anxin.Webhook{
			{URL: ""},
			{URL: "ftp://shop.example/hook"},
			{URL: "https:///nohost"},
			{URL: "/relative"},
			{URL: "https://user:pw@shop.example/"},
			{URL: "https://shop.example/\x00"},
			{URL: "https://shop.example/" + strings.Repeat("a", anxin.MaxWebhookURLLen)},
			{URL: "https://shop.example/", Types: []string{"listing.*x"}},
			{URL: "https://shop.example/", Types: []string{"'; DROP TABLE webhooks; --"}},
		} {
			if err := s.CreateWebhook(ctx, &bad); anxin.KindOf(err) != anxin.Invalid {
				t.Errorf("CreateWebhook(%q, %q) = %v; want Invalid", bad.URL, bad.Types, err)
			}
		}
		w := &anxin.Webhook{URL: "https://shop.example/hook?tenant=1", Types: []string{"listing.*", "buyer.pay"}}
		if err := s.CreateWebhook(ctx, w); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(w.Secret, "whsec_") || len(w.Secret) < 40 || !w.Active || !strings.HasPrefix(w.ID, "wh_") {
			t.Fatalf("CreateWebhook filled %+v; want an id, an active flag and a whsec_ secret", w)
		}
		w2 := &anxin.Webhook{URL: "http://10.0.0.5:8080/anxin"}
		if err := s.CreateWebhook(ctx, w2); err != nil {
			t.Fatal(err)
		}
		if w2.Secret == w.Secret {
			t.Fatal("two webhooks got the same secret")
		}
		list, err := s.FindWebhooks(ctx)
		if err != nil || len(list) != 2 {
			t.Fatalf("FindWebhooks = %d, %v; want 2", len(list), err)
		}
		for _, h := range list {
			if h.Secret != "" {
				t.Errorf("FindWebhooks returned the secret of %s", h.ID)
			}
		}
		got := list[0]
		if got.ID != w.ID {
			got = list[1]
		}
		if got.ID != w.ID || len(got.Types) != 2 || got.URL != w.URL || !got.CreatedAt.Equal(clock.Now()) {
			t.Errorf("FindWebhooks has %+v; want %+v", got, w)
		}

		// A message fans out to both; deleting one webhook removes its delivery.
		enqueue(t, db, anxin.MessageDelistListing, "l_1")
		if n, err := s.FanOut(context.Background(), 0); n != 1 || err != nil {
			t.Fatalf("FanOut = %d, %v; want 1", n, err)
		}
		if err := s.DeleteWebhook(ctx, w2.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteWebhook(ctx, w2.ID); anxin.KindOf(err) != anxin.NotFound {
			t.Fatalf("DeleteWebhook(again) = %v; want NotFound", err)
		}
		ds, _, err := s.FindDeliveries(ctx, "", anxin.Page{})
		if err != nil || len(ds) != 1 || ds[0].WebhookID != w.ID || ds[0].MessageType != anxin.MessageDelistListing || ds[0].State != anxin.DeliveryPending {
			t.Fatalf("FindDeliveries = %+v, %v; want one pending delivery to %s", ds, err, w.ID)
		}
		if _, _, err := s.FindDeliveries(ctx, "lost", anxin.Page{}); anxin.KindOf(err) != anxin.Invalid {
			t.Fatalf("FindDeliveries(state lost) = %v; want Invalid", err)
		}
		for _, c := range []string{"!!", "bm90LWEtY3Vyc29y", strings.Repeat("A", 500)} {
			if _, _, err := s.FindDeliveries(ctx, "", anxin.Page{Cursor: c}); anxin.KindOf(err) != anxin.Invalid {
				t.Errorf("FindDeliveries(cursor %q) = %v; want Invalid", c, err)
			}
		}
		if err := s.Redeliver(ctx, ds[0].ID); anxin.KindOf(err) != anxin.NotFound {
			t.Fatalf("Redeliver(pending) = %v; want NotFound", err)
		}
		if err := s.Redeliver(ctx, "dlv_absent"); anxin.KindOf(err) != anxin.NotFound {
			t.Fatalf("Redeliver(absent) = %v; want NotFound", err)
		}
	})
}

func TestDeliveryLeaseAndPaging(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		ctx := operatorCtx()
		bg := context.Background()
		s := sqlstore.NewWebhookService(db)
		all := &anxin.Webhook{URL: "https://a.example/"}
		listings := &anxin.Webhook{URL: "https://b.example/", Types: []string{"listing.*"}}
		for _, w := range []*anxin.Webhook{all, listings} {
			if err := s.CreateWebhook(ctx, w); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 5 {
			clock.Set(clock.Now().Add(time.Second))
			enqueue(t, db, anxin.MessageDelistListing, "l_"+string(rune('a'+i)))
		}
		enqueue(t, db, anxin.MessagePayBuyer, "p_1")
		if n, err := s.FanOut(bg, 0); n != 6 || err != nil {
			t.Fatalf("FanOut = %d, %v; want 6", n, err)
		}
		if n, err := s.FanOut(bg, 0); n != 0 || err != nil {
			t.Fatalf("second FanOut = %d, %v; want 0", n, err)
		}
		// 5 listing messages × 2 webhooks + 1 payout × 1 webhook.
		var got []string
		page := anxin.Page{Limit: 4}
		for {
			ds, next, err := s.FindDeliveries(ctx, anxin.DeliveryPending, page)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				got = append(got, d.ID)
			}
			if next == "" {
				break
			}
			page.Cursor = next
		}
		if len(got) != 11 {
			t.Fatalf("paged through %d deliveries; want 11", len(got))
		}
		seen := map[string]bool{}
		for _, id := range got {
			if seen[id] {
				t.Fatalf("delivery %s listed twice across pages", id)
			}
			seen[id] = true
		}

		// Claims are leased: a second claim before the lease ends gets
		// none of the first claim's deliveries.
		first, err := s.ClaimDeliveries(bg, 8, time.Minute)
		if err != nil || len(first) != 8 {
			t.Fatalf("ClaimDeliveries = %d, %v; want 8", len(first), err)
		}
		second, err := s.ClaimDeliveries(bg, 8, time.Minute)
		if err != nil || len(second) != 3 {
			t.Fatalf("second ClaimDeliveries = %d, %v; want the other 3", len(second), err)
		}
		a := first[0]
		if a.Try != 1 || a.Attempts != 1 || a.URL == "" || !strings.HasPrefix(a.Secret, "whsec_") || a.Message.ID != a.MessageID || len(a.Message.Payload) == 0 {
			t.Fatalf("claimed attempt = %+v; want try 1 with URL, secret and message", a)
		}
		// After the lease ends the delivery is claimed again (attempt 2),
		// and the first holder can no longer record its result.
		clock.Set(clock.Now().Add(time.Minute + time.Second))
		again, err := s.ClaimDeliveries(bg, 20, time.Minute)
		if err != nil || len(again) != 11 {
			t.Fatalf("ClaimDeliveries after the lease = %d, %v; want 11", len(again), err)
		}
		err = s.RecordAttempt(bg, "w1", a, anxin.DeliveryResult{State: anxin.DeliveryDelivered, Status: 200})
		if anxin.KindOf(err) != anxin.Conflict {
			t.Fatalf("RecordAttempt with a lost lease = %v; want Conflict", err)
		}
		for _, b := range again {
			res := anxin.DeliveryResult{State: anxin.DeliveryDelivered, Status: 204}
			if b.MessageType == anxin.MessagePayBuyer {
				res = anxin.DeliveryResult{State: anxin.DeliveryDead, Status: 500, Error: "HTTP 500\x00\xff" + strings.Repeat("x", 900)}
			}
			if err := s.RecordAttempt(bg, "w2", b, res); err != nil {
				t.Fatalf("RecordAttempt(%s) = %v", b.ID, err)
			}
		}
		dead, _, err := s.FindDeliveries(ctx, anxin.DeliveryDead, anxin.Page{})
		if err != nil || len(dead) != 1 || dead[0].LastStatus != 500 || len(dead[0].LastError) > 500 || !strings.HasPrefix(dead[0].LastError, "HTTP 500?") {
			t.Fatalf("dead deliveries = %+v, %v; want the payout, its error cleaned and bounded", dead, err)
		}
		counts, err := s.DeliveryCounts(bg)
		if err != nil || counts["delivered"] != 10 || counts["dead"] != 1 || counts["pending"] != 0 {
			t.Fatalf("DeliveryCounts = %v, %v; want delivered 10, dead 1", counts, err)
		}
		// Redelivery: pending again, due now, with a fresh try count.
		if err := s.Redeliver(ctx, dead[0].ID); err != nil {
			t.Fatal(err)
		}
		re, err := s.ClaimDeliveries(bg, 5, time.Minute)
		if err != nil || len(re) != 1 || re[0].Try != 1 || re[0].Attempts != 3 {
			t.Fatalf("claim after Redeliver = %+v, %v; want one delivery at try 1, attempt 3", re, err)
		}
		d, log, err := s.FindAttempts(ctx, dead[0].ID)
		if err != nil || d.ID != dead[0].ID || d.State != anxin.DeliveryPending || len(log) != 1 ||
			log[0].Attempt != 2 || log[0].Status != 500 || log[0].Worker != "w2" || !log[0].At.Equal(clock.Now()) {
			t.Fatalf("FindAttempts = %+v, %+v, %v; want the one recorded attempt (2, 500, w2)", d, log, err)
		}
		if _, _, err := s.FindAttempts(ctx, "dlv_absent"); anxin.KindOf(err) != anxin.NotFound {
			t.Fatalf("FindAttempts(absent) = %v; want NotFound", err)
		}
		if _, _, err := s.FindAttempts(context.Background(), dead[0].ID); anxin.KindOf(err) != anxin.Unauthorized {
			t.Fatalf("FindAttempts(no actor) = %v; want Unauthorized", err)
		}
	})
}
