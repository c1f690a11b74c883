package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"anxin"
	"anxin/sqlstore"
	"anxin/webhook"
)

// TestServeDeliversWebhooks runs the wired program: a webhook created over
// the API receives an outbox message, signed, and Run returns once ctx is
// done.
func TestServeDeliversWebhooks(t *testing.T) {
	m := NewMain()
	m.Config.DSN, m.Config.Addr, m.Config.Migrate = filepath.Join(t.TempDir(), "anxin.db"), "127.0.0.1:0", true
	m.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	m.Sender.Poll = 20 * time.Millisecond

	var secret string
	var mu sync.Mutex
	got := make(chan string, 1)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		err := webhook.Verify(secret, r.Header.Get(webhook.HeaderSignature), body, time.Now(), webhook.DefaultTolerance)
		mu.Unlock()
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		got <- r.Header.Get(webhook.HeaderID)
	}))
	defer recv.Close()

	key, _, err := sqlstore.NewKeyService(m.DB).CreateKey(ctx, "ops", anxin.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, ready) }()
	addr := <-ready

	req, _ := http.NewRequest("POST", "http://"+addr.String()+"/v1/webhooks", strings.NewReader(`{"url":"`+recv.URL+`"}`))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /v1/webhooks = %d %s", resp.StatusCode, b)
	}
	_, s, _ := strings.Cut(string(b), `"secret":"`)
	mu.Lock()
	secret, _, _ = strings.Cut(s, `"`)
	mu.Unlock()

	var id string
	err = m.DB.Transact(ctx, func(tx *sqlstore.Tx) error {
		id, err = sqlstore.Enqueue(ctx, tx, anxin.MessageNotify, "m_1", "e2e", map[string]string{"text": "hello"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case gotID := <-got:
		if gotID != id {
			t.Fatalf("receiver got %s; want %s", gotID, id)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no delivery within 20s")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
