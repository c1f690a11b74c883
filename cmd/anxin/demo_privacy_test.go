package main

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/sim"
	"anxin/sqlstore"
)

// TestPrivacyDemoLeavesNoPlaintext runs the simulator's marketplace through
// a real server (mirror upserts through the API), runs the privacy demo step
// (seal every order's PII, print waybills, plant a bulk decrypt that must
// raise an alert), then scans every file in the data directory and the
// server's logs for every name and phone number the simulator generated for
// those orders: none may appear.
func TestPrivacyDemoLeavesNoPlaintext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	logs := new(bytes.Buffer)
	m := NewMain()
	m.Config.DSN = filepath.Join(dir, "anxin.db")
	m.Config.Addr = "127.0.0.1:0"
	m.Config.Migrate = true
	m.Config.SecureCookies = false
	m.Config.NoJobs = true
	m.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if err := m.Open(ctx); err != nil {
		t.Fatalf("Open: %v", err)
	}
	runCtx, stop := context.WithCancel(ctx)
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- m.Run(runCtx, ready) }()
	addr := <-ready

	api := &demoAPI{Base: "http://" + addr.String(), Keys: map[anxin.Role]string{}}
	ks := sqlstore.NewKeyService(m.DB)
	for _, r := range []anxin.Role{anxin.RolePlatform, anxin.RolePrivacy, anxin.RoleOperator} {
		key, _, err := ks.CreateKey(ctx, string(r), r)
		if err != nil {
			t.Fatal(err)
		}
		api.Keys[r] = key
	}
	w := sim.Generate(sim.Config{Seed: 7, Days: 2})
	// Keep the test quick: the orders of the six busiest merchants (about
	// 550), so one merchant has enough orders for a bulk decrypt.
	count := map[string]int{}
	for _, o := range w.Orders {
		count[o.MerchantID]++
	}
	var ids []string
	for id := range count {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		return count[ids[i]] > count[ids[j]] || count[ids[i]] == count[ids[j]] && ids[i] < ids[j]
	})
	keep := map[string]bool{}
	for _, id := range ids[:6] {
		keep[id] = true
	}
	var orders []*anxin.Order
	for _, o := range w.Orders {
		if keep[o.MerchantID] {
			orders = append(orders, o)
		}
	}
	w.Orders = orders
	post := func(path string, items any) {
		t.Helper()
		code, err := api.call(ctx, anxin.RolePlatform, "POST", path, map[string]any{"items": items}, nil)
		if err != nil || code != 200 {
			t.Fatalf("POST %s = %d, %v", path, code, err)
		}
	}
	post("/v1/merchants", w.Merchants)
	post("/v1/buyers", w.Buyers)
	post("/v1/orders", orders)

	var out bytes.Buffer
	res, err := privacyDemo(ctx, api, w, &out)
	if err != nil {
		t.Fatalf("privacyDemo: %v\n%s", err, out.String())
	}
	if res.Sealed != len(orders) || res.AlertID == "" {
		t.Fatalf("privacyDemo = %+v", res)
	}
	for _, wb := range res.Waybills {
		if wb.PhoneMode != "virtual" || !strings.Contains(wb.RecipientName, "*") {
			t.Errorf("waybill %+v is not masked with a virtual number", wb)
		}
	}
	t.Logf("demo output:\n%s", out.String())

	stop()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	m.Close()

	haystacks := map[string][]byte{"logs": logs.Bytes(), "demo output": out.Bytes()}
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		haystacks[path] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var secrets []string
	for _, o := range orders {
		p := w.PII[o.BuyerID]
		secrets = append(secrets, p.Phone, p.Name, p.Address)
	}
	for name, h := range haystacks {
		for _, s := range secrets {
			if s != "" && bytes.Contains(h, []byte(s)) {
				t.Fatalf("%s contains the plaintext %q", filepath.Base(name), s)
			}
		}
	}
}
