package stream_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"anxin"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
	"anxin/stream"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// natsURL returns the broker of ANXIN_TEST_NATS; the test is skipped when
// it is unset and fails when it is set but unreachable.
func natsURL(t *testing.T) string {
	u := os.Getenv("ANXIN_TEST_NATS")
	if u == "" {
		t.Skip("ANXIN_TEST_NATS is not set")
	}
	nc, err := nats.Connect(u, nats.Timeout(3*time.Second))
	if err != nil {
		t.Fatalf("ANXIN_TEST_NATS is set but NATS cannot be reached: %v", err)
	}
	nc.Close()
	return u
}

func orderEvent(i int) []byte {
	b, _ := json.Marshal(map[string]any{
		"id": fmt.Sprintf("evt_%06d", i), "type": "order.created", "occurred_at": "2026-03-01T10:00:00Z",
		"data": map[string]any{"id": fmt.Sprintf("o_%06d", i), "merchant_id": "m1", "buyer_id": "b1",
			"items": []any{map[string]any{"listing_id": "l1", "quantity": 1, "unit_price_fen": 1999}}},
	})
	return b
}

// flakySink fails its first calls, as a database outage would.
type flakySink struct {
	stream.Sink
	fail atomic.Int32
}

func (f *flakySink) IngestEvents(ctx context.Context, es []*anxin.Event) (anxin.IngestResult, error) {
	if f.fail.Add(-1) >= 0 {
		return anxin.IngestResult{}, anxin.Errorf(anxin.Unavailable, "The database is unavailable.")
	}
	return f.Sink.IngestEvents(ctx, es)
}

func TestNATSConsumer(t *testing.T) {
	url := natsURL(t)
	db := sqltest.OpenSQLite(t, nil)
	suffix := anxin.NewID("")[:8]
	subject := "anxintest." + suffix + ".events"
	streamName := "ANXINTEST_" + suffix

	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	t.Cleanup(func() { js.DeleteStream(context.Background(), streamName) })

	sink := &flakySink{Sink: sqlstore.NewEventService(db)}
	sink.fail.Store(2) // the first two batches fail: they must come back, not be lost
	c := &stream.NATSConsumer{URL: url, Subject: subject, Stream: streamName, Durable: "anxin", Batch: 200, AckWait: 5 * time.Second, Sink: sink}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() { cancel(); <-done }()

	// wait for the stream to exist
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := js.Stream(ctx, streamName); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the consumer did not create its stream")
		}
		time.Sleep(50 * time.Millisecond)
	}
	const n = 1000
	for i := range n {
		if _, err := js.Publish(ctx, subject, orderEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	js.Publish(ctx, subject, orderEvent(7))                                  // a duplicate of an earlier event
	js.Publish(ctx, subject, []byte(`{"id":"bad1","type":"order.created",`)) // malformed
	js.Publish(ctx, subject, []byte(`{"id":"bad2","type":"order.exploded","occurred_at":"2026-03-01T10:00:00Z","data":{}}`))
	js.Publish(ctx, subject, []byte("{\"id\":\"bad3\",\"type\":\"order.paid\",\"occurred_at\":\"2026-03-01T10:00:00Z\",\"data\":{\"order_id\":\"o\xff\"}}"))
	js.Publish(ctx, subject, []byte(`{"id":"bad4","type":"order.paid","schema_version":9,"occurred_at":"2026-03-01T10:00:00Z","data":{"order_id":"o1"}}`))

	deadline = time.Now().Add(60 * time.Second)
	for {
		var stored int
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&stored)
		lag, _ := c.Lag(ctx)
		if stored == n && lag == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s: %d events stored, lag %d; want %d and 0", stored, lag, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var orders int
	db.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders`).Scan(&orders)
	if orders != n {
		t.Errorf("orders = %d; want %d", orders, n)
	}
	// the four poison messages are on the dead letter with their reasons
	dl, err := js.OrderedConsumer(ctx, streamName, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject + ".dlq"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := dl.Fetch(10, jetstream.FetchMaxWait(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for m := range b.Messages() {
		reasons = append(reasons, m.Headers().Get("Anxin-Dead-Letter-Reason"))
	}
	if len(reasons) != 4 {
		t.Fatalf("dead letters = %q; want 4", reasons)
	}
	for _, r := range reasons {
		if r == "" {
			t.Errorf("a dead letter has no reason: %q", reasons)
		}
	}
	if err := c.Healthy(ctx); err != nil {
		t.Errorf("Healthy = %v", err)
	}
}

func TestDecodeRejectsPoison(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want anxin.Kind
	}{
		{"oversized", make([]byte, stream.MaxEventBytes+1), anxin.TooLarge},
		{"invalid utf-8", []byte("{\"id\":\"\xff\"}"), anxin.Invalid},
		{"not json", []byte("hello"), anxin.Invalid},
		{"unknown type", []byte(`{"id":"e1","type":"x","occurred_at":"2026-03-01T10:00:00Z","data":{}}`), anxin.Invalid},
	}
	for _, tt := range tests {
		if _, err := stream.Decode(tt.data); anxin.KindOf(err) != tt.want {
			t.Errorf("Decode(%s) = %v; want %s", tt.name, err, tt.want)
		}
	}
	if e, err := stream.Decode(orderEvent(1)); err != nil || e.Order == nil || e.Order.TotalFen != 1999 {
		t.Errorf("Decode(valid) = %+v, %v", e, err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(orderEvent(1))
	f.Add([]byte(`{"id":"e","type":"shipment.scanned","occurred_at":"2026-03-01T10:00:00Z","data":{"shipment_id":"s","order_id":"o","code":"lost"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := stream.Decode(data)
		if err == nil && (e.ID == "" || e.SubjectID() == "") {
			t.Fatalf("Decode accepted an event without id or subject: %q", data)
		}
	})
}

// slowSink takes longer than the consumer's AckWait for its first batch and
// counts how many times each event id reaches it.
type slowSink struct {
	stream.Sink
	delay atomic.Int64 // nanoseconds, for the next call only
	calls sync.Map     // event id → *atomic.Int32
}

func (s *slowSink) IngestEvents(ctx context.Context, es []*anxin.Event) (anxin.IngestResult, error) {
	for _, e := range es {
		v, _ := s.calls.LoadOrStore(e.ID, new(atomic.Int32))
		v.(*atomic.Int32).Add(1)
	}
	time.Sleep(time.Duration(s.delay.Swap(0)))
	return s.Sink.IngestEvents(ctx, es)
}

// TestNATSConsumerSlowIngestKeepsItsMessages: an ingest that outlasts
// AckWait keeps its messages with in-progress signals, so a second replica
// does not receive them meanwhile.
func TestNATSConsumerSlowIngestKeepsItsMessages(t *testing.T) {
	url := natsURL(t)
	db := sqltest.OpenSQLite(t, nil)
	suffix := anxin.NewID("")[:8]
	subject := "anxintest." + suffix + ".slow"
	streamName := "ANXINTEST_SLOW_" + suffix
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: streamName, Subjects: []string{subject, subject + ".dlq"}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { js.DeleteStream(context.Background(), streamName) })
	const n = 50
	for i := range n {
		if _, err := js.Publish(ctx, subject, orderEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	sink := &slowSink{Sink: sqlstore.NewEventService(db)}
	const ackWait = 3 * time.Second      // above the 1 s fetch wait, during which nothing signals
	sink.delay.Store(int64(2 * ackWait)) // well past AckWait
	run := func(c *stream.NATSConsumer) func() {
		cctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- c.Run(cctx) }()
		return func() { stop(); <-done }
	}
	a := &stream.NATSConsumer{URL: url, Subject: subject, Stream: streamName, Durable: "anxin", Batch: 100, AckWait: ackWait, Sink: sink}
	defer run(a)()
	time.Sleep(300 * time.Millisecond) // a fetches the whole batch first
	b := &stream.NATSConsumer{URL: url, Subject: subject, Stream: streamName, Durable: "anxin", Batch: 100, AckWait: ackWait, Sink: sink}
	defer run(b)()
	for {
		var stored int
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&stored)
		lag, _ := a.Lag(ctx)
		if stored == n && lag == 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("stored %d of %d, lag %d", stored, n, lag)
		}
		time.Sleep(100 * time.Millisecond)
	}
	redelivered := 0
	sink.calls.Range(func(_, v any) bool {
		if v.(*atomic.Int32).Load() > 1 {
			redelivered++
		}
		return true
	})
	if redelivered > 0 {
		t.Errorf("%d of %d events reached the store twice: the slow ingest lost its messages to the other replica", redelivered, n)
	}
}

// downSink fails every ingest until up is set, counting the attempts, as a
// database outage would.
type downSink struct {
	stream.Sink
	up    atomic.Bool
	tries atomic.Int32
}

func (d *downSink) IngestEvents(ctx context.Context, es []*anxin.Event) (anxin.IngestResult, error) {
	if !d.up.Load() {
		d.tries.Add(1)
		return anxin.IngestResult{}, anxin.Errorf(anxin.Unavailable, "The database is unavailable.")
	}
	return d.Sink.IngestEvents(ctx, es)
}

// While the database is down the consumer backs off between attempts
// instead of fetching and putting back the whole backlog in a loop; once it
// is back every event is stored.
func TestNATSConsumerBacksOffWhileDatabaseDown(t *testing.T) {
	url := natsURL(t)
	db := sqltest.OpenSQLite(t, nil)
	suffix := anxin.NewID("")[:8]
	subject := "anxintest." + suffix + ".events"
	streamName := "ANXINTEST_" + suffix
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: streamName, Subjects: []string{subject, subject + ".dlq"}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { js.DeleteStream(context.Background(), streamName) })
	const n = 5000
	for i := range n {
		if _, err := js.PublishAsync(subject, orderEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(30 * time.Second):
		t.Fatal("publish did not complete")
	}

	sink := &downSink{Sink: sqlstore.NewEventService(db)}
	c := &stream.NATSConsumer{URL: url, Subject: subject, Stream: streamName, Durable: "anxin", Batch: 100, Sink: sink}
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() { cancel(); <-done }()

	const down = 3 * time.Second
	time.Sleep(down)
	tries := sink.tries.Load()
	sink.up.Store(true)
	// Pauses of 0.25, 0.5, 1, 2 s: about five attempts in 3 s, where a
	// consumer without a pause would try the 50 batches of the backlog
	// again and again.
	if tries == 0 || tries > 8 {
		t.Errorf("%d ingest attempts in %v with the database down; want 1 to 8", tries, down)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var stored int
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&stored)
		lag, _ := c.Lag(ctx)
		if stored == n && lag == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("30 s after the database came back: %d events stored, lag %d; want %d and 0", stored, lag, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%d ingest attempts in %v with the database down", tries, down)
}
