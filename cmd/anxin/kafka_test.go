package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/sqlstore"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestServeKafka runs serve with --events kafka:// and --decisions-topic
// against kfake, franz-go's in-process fake Kafka cluster (no Kafka broker
// runs here): events on the topic are stored, outbox messages are published
// to the decisions topic, /readyz includes the broker, and unusable stream
// flags are refused at start.
func TestServeKafka(t *testing.T) {
	fake, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "market.events", "market.events.dlq", "market.anxin"))
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	brokers := fake.ListenAddrs()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	for _, bad := range []Config{
		{EventsURL: "kafka://" + brokers[0]},                                            // no topic
		{EventsURL: "kafka://", EventsTopic: "t"},                                       // no brokers
		{EventsURL: "kafka://" + brokers[0], EventsTopic: "t", DecisionsSubject: "out"}, // a subject is for NATS
		{EventsURL: "amqp://host", EventsTopic: "t"},                                    // unknown scheme
		{EventsURL: "nats://127.0.0.1:4222"},                                            // no subject
		{EventsURL: "nats://127.0.0.1:4222", EventsSubject: "e", DecisionsTopic: "out"}, // a topic is for Kafka
		{DecisionsTopic: "out"},                                                         // no broker to publish to
		{DecisionsSubject: "out"},                                                       // no broker to publish to
		{EventsURL: "kafka://" + brokers[0], EventsTopic: "t", DecisionsTopic: "t"},     // decisions into the events topic
		{EventsURL: "kafka://" + brokers[0], EventsTopic: "t", DecisionsTopic: "t.dlq"}, // ...or its dead letters
		{EventsURL: "kafka://" + brokers[0], EventsTopic: "t", DecisionsTopic: "a b"},   // not a topic name
	} {
		m := NewMain()
		m.Logger = quiet
		m.Config.DSN = filepath.Join(t.TempDir(), "anxin.db")
		m.Config.Migrate = true
		m.Config.EventsURL, m.Config.EventsTopic, m.Config.EventsSubject, m.Config.DecisionsSubject = bad.EventsURL, bad.EventsTopic, bad.EventsSubject, bad.DecisionsSubject
		m.Config.DecisionsTopic = bad.DecisionsTopic
		if err := m.Open(context.Background()); anxin.KindOf(err) != anxin.Invalid {
			t.Errorf("Open with %+v: %v; want Invalid", bad, err)
		}
		if _, err := os.Stat(m.Config.DSN); err == nil {
			t.Errorf("Open with %+v created the database before refusing", bad)
		}
		m.Close()
	}

	m := NewMain()
	m.Logger = quiet
	m.Config.DSN, m.Config.Addr, m.Config.Migrate = filepath.Join(t.TempDir(), "anxin.db"), "127.0.0.1:0", true
	m.Config.EventsURL, m.Config.EventsTopic, m.Config.DecisionsTopic = "kafka://"+brokers[0], "market.events", "market.anxin"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, ready) }()
	addr := <-ready
	defer func() { cancel(); <-done }()

	prod, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	const n = 50
	for i := range n {
		b, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("k_%03d", i), "type": "order.created", "occurred_at": "2026-03-01T10:00:00Z",
			"data": map[string]any{"id": fmt.Sprintf("ko_%03d", i), "merchant_id": "m1", "buyer_id": "b1",
				"items": []any{map[string]any{"listing_id": "l1", "quantity": 1, "unit_price_fen": 1999}}}})
		if err := prod.ProduceSync(ctx, &kgo.Record{Topic: "market.events", Value: b}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got int
		m.DB.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&got)
		if got == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("events = %d of %d after 30 s", got, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := http.Get("http://" + addr.String() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz = %d; want 200", resp.StatusCode)
	}

	// An action in the outbox reaches the decisions topic, keyed by its
	// subject, with its id and type in the headers.
	var id string
	err = m.DB.Transact(ctx, func(tx *sqlstore.Tx) error {
		id, err = sqlstore.Enqueue(ctx, tx, anxin.MessageDelistListing, "l42", "kafka-serve", map[string]string{"listing_id": "l42"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	cons, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics("market.anxin"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	var got *kgo.Record
	for deadline := time.Now().Add(30 * time.Second); got == nil && time.Now().Before(deadline); {
		pctx, pcancel := context.WithTimeout(ctx, time.Second)
		cons.PollFetches(pctx).EachRecord(func(r *kgo.Record) { got = r })
		pcancel()
	}
	if got == nil {
		t.Fatal("nothing on the decisions topic after 30 s")
	}
	headers := map[string]string{}
	for _, h := range got.Headers {
		headers[h.Key] = string(h.Value)
	}
	if string(got.Key) != "l42" || headers["Anxin-Message-Id"] != id || headers["Anxin-Message-Type"] != anxin.MessageDelistListing {
		t.Errorf("record key %q, headers %v; want key l42, id %s, type %s", got.Key, headers, id, anxin.MessageDelistListing)
	}
	resp, err = http.Get("http://" + addr.String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `anxin_stream_publisher_lag{sink="kafka"}`) {
		t.Error(`/metrics has no anxin_stream_publisher_lag{sink="kafka"}`)
	}
}
