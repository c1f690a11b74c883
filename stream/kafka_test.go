package stream_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"anxin"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
	"anxin/stream"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestKafkaConsumer runs against kfake, franz-go's in-process fake Kafka
// cluster (no Kafka broker runs on the development machines or CI): events
// on three partitions, with a duplicate and poison records, through a
// database that fails the first batches.
func TestKafkaConsumer(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		const topic = "market.events"
		fake, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topic, topic+".dlq"))
		if err != nil {
			t.Fatal(err)
		}
		defer fake.Close()
		brokers := fake.ListenAddrs()

		prod, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
		if err != nil {
			t.Fatal(err)
		}
		defer prod.Close()
		ctx := context.Background()
		const n = 600
		var recs []*kgo.Record
		for i := range n {
			recs = append(recs, &kgo.Record{Topic: topic, Value: orderEvent(i)})
		}
		recs = append(recs,
			&kgo.Record{Topic: topic, Value: orderEvent(7)}, // a duplicate of an earlier event
			&kgo.Record{Topic: topic, Value: []byte(`{"id":"bad1","type":"order.created",`)},
			&kgo.Record{Topic: topic, Value: []byte(`{"id":"bad2","type":"order.exploded","occurred_at":"2026-03-01T10:00:00Z","data":{}}`)},
			&kgo.Record{Topic: topic, Value: []byte("{\"id\":\"bad3\",\"type\":\"order.paid\",\"occurred_at\":\"2026-03-01T10:00:00Z\",\"data\":{\"order_id\":\"o\xff\"}}")},
			&kgo.Record{Topic: topic, Value: []byte(`{"id":"bad4","type":"order.paid","schema_version":9,"occurred_at":"2026-03-01T10:00:00Z","data":{"order_id":"o1"}}`)},
			&kgo.Record{Topic: topic, Value: []byte(strings.Repeat("x", stream.MaxEventBytes+1))},
		)
		if err := prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}

		sink := &flakySink{Sink: sqlstore.NewEventService(db)}
		sink.fail.Store(2) // the first two batches fail: they must be retried, not skipped
		c := &stream.KafkaConsumer{Brokers: brokers, Topic: topic, Batch: 200, Sink: sink}
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- c.Run(rctx) }()
		defer func() { cancel(); <-done }()

		deadline := time.Now().Add(60 * time.Second)
		for {
			var got int
			db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&got)
			if got == n && c.Lag() == 0 {
				break
			}
			if got > n {
				t.Fatalf("events = %d; want %d", got, n)
			}
			if time.Now().After(deadline) {
				t.Fatalf("events = %d of %d, lag %d after 60 s", got, n, c.Lag())
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err := c.Healthy(ctx); err != nil {
			t.Errorf("Healthy: %v", err)
		}

		// The poison records are in the dead-letter topic with their reasons.
		dlq, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic+".dlq"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		if err != nil {
			t.Fatal(err)
		}
		defer dlq.Close()
		reasons := map[string]bool{}
		for len(reasons) < 5 && time.Now().Before(deadline) {
			pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
			dlq.PollFetches(pctx).EachRecord(func(r *kgo.Record) {
				for _, h := range r.Headers {
					if h.Key == "Anxin-Dead-Letter-Reason" && len(h.Value) > 0 {
						reasons[string(r.Value[:min(len(r.Value), 64)])+"|"+string(h.Value)] = true
					}
				}
			})
			pcancel()
		}
		if len(reasons) != 5 {
			t.Errorf("dead letters = %d; want 5: %v", len(reasons), reasons)
		}

		// Offsets were committed: a new member of the group receives nothing.
		cancel()
		<-done
		done <- nil
		counter := &countingSink{}
		c2 := &stream.KafkaConsumer{Brokers: brokers, Topic: topic, Batch: 200, Sink: counter}
		ctx2, cancel2 := context.WithTimeout(ctx, 4*time.Second)
		defer cancel2()
		c2.Run(ctx2)
		if counter.n.Load() != 0 {
			t.Errorf("a restarted consumer received %d committed events again", counter.n.Load())
		}
		// ...while a consumer in another group reads every valid record
		// (the duplicate within one batch is dropped before the sink).
		other := &countingSink{}
		c3 := &stream.KafkaConsumer{Brokers: brokers, Topic: topic, Group: "other", Batch: 1000, Sink: other}
		ctx3, cancel3 := context.WithTimeout(ctx, 4*time.Second)
		defer cancel3()
		c3.Run(ctx3)
		if got := other.n.Load(); got < n {
			t.Errorf("another group received %d events; want at least %d", got, n)
		}
	})
}

// TestKafkaConsumerConfig rejects an unusable configuration.
func TestKafkaConsumerConfig(t *testing.T) {
	c := &stream.KafkaConsumer{Topic: "t"}
	if err := c.Run(context.Background()); err == nil {
		t.Error("Run without brokers or sink succeeded")
	}
}

// countingSink counts the events it is given and stores nothing.
type countingSink struct{ n atomic.Int64 }

func (s *countingSink) IngestEvents(ctx context.Context, es []*anxin.Event) (anxin.IngestResult, error) {
	s.n.Add(int64(len(es)))
	return anxin.IngestResult{Received: len(es), Stored: len(es)}, nil
}
