package stream_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"anxin"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
	"anxin/stream"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The Kafka publisher tests run against kfake, franz-go's in-process fake
// Kafka cluster (no Kafka broker runs on the development machines or CI).

// enqueueOutbox writes n outbox messages in one order: subjects s0..s4 in
// turn, every tenth message without a subject. It returns their ids in
// outbox order with their subjects.
func enqueueOutbox(t *testing.T, db *sqlstore.DB, from, n int) (ids, subjects []string) {
	t.Helper()
	ctx := context.Background()
	err := db.Transact(ctx, func(tx *sqlstore.Tx) error {
		for i := from; i < from+n; i++ {
			subject := fmt.Sprint("s", i%5)
			if i%10 == 9 {
				subject = ""
			}
			typ := anxin.MessageDelistListing
			if i%3 == 0 {
				typ = anxin.MessageRestrictMerchant
			}
			id, err := sqlstore.Enqueue(ctx, tx, typ, subject, fmt.Sprint("k", i), map[string]int{"i": i})
			if err != nil {
				return err
			}
			ids, subjects = append(ids, id), append(subjects, subject)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids, subjects
}

// published is one record read back from the topic.
type published struct {
	id, typ, key string
	partition    int32
	body         anxin.OutboxMessage
}

// readTopic reads the topic from the start until it holds want records or
// the deadline passes, and then for a moment more to see any surplus.
func readTopic(t *testing.T, brokers []string, topic string, want int, within time.Duration) []published {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []published
	deadline := time.Now().Add(within)
	var settle time.Time
	for time.Now().Before(deadline) && (settle.IsZero() || time.Now().Before(settle)) {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			p := published{key: string(r.Key), partition: r.Partition}
			for _, h := range r.Headers {
				switch h.Key {
				case stream.HeaderMessageID:
					p.id = string(h.Value)
				case stream.HeaderMessageType:
					p.typ = string(h.Value)
				}
			}
			if err := json.Unmarshal(r.Value, &p.body); err != nil {
				t.Errorf("record value is not an outbox message: %v", err)
			}
			out = append(out, p)
		})
		cancel()
		if len(out) >= want && settle.IsZero() {
			settle = time.Now().Add(time.Second)
		}
	}
	return out
}

// checkOrder verifies that the records, deduplicated by the message-id
// header (first copy wins), are exactly the outbox messages, with the right
// key, headers and body, and that each partition holds its messages in
// outbox order. It returns the number of duplicates dropped.
func checkOrder(t *testing.T, recs []published, ids, subjects []string) int {
	t.Helper()
	pos := map[string]int{}
	for i, id := range ids {
		pos[id] = i
	}
	seen := map[string]bool{}
	last := map[int32]int{}
	subjectPartition := map[string]int32{}
	dupes := 0
	for _, r := range recs {
		if seen[r.id] {
			dupes++
			continue
		}
		seen[r.id] = true
		i, ok := pos[r.id]
		if !ok {
			t.Fatalf("record with unknown message id %q", r.id)
		}
		if r.key != subjects[i] || r.body.SubjectID != subjects[i] {
			t.Errorf("message %s: key %q, body subject %q; want %q", r.id, r.key, r.body.SubjectID, subjects[i])
		}
		if r.body.ID != r.id || r.typ != r.body.Type || r.typ == "" {
			t.Errorf("message %s: headers (%q, %q) do not match the body (%q, %q)", r.id, r.id, r.typ, r.body.ID, r.body.Type)
		}
		if l, ok := last[r.partition]; ok && i < l {
			t.Errorf("partition %d: message %d after message %d: out of outbox order", r.partition, i, l)
		}
		last[r.partition] = i
		if s := subjects[i]; s != "" {
			if p, ok := subjectPartition[s]; ok && p != r.partition {
				t.Errorf("subject %s on partitions %d and %d", s, p, r.partition)
			}
			subjectPartition[s] = r.partition
		}
	}
	if len(seen) != len(ids) {
		t.Errorf("%d distinct messages on the topic; want %d", len(seen), len(ids))
	}
	return dupes
}

// freeAddr returns a loopback address nothing listens on yet.
func freeAddr(t *testing.T) (string, int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String(), l.Addr().(*net.TCPAddr).Port
}

// TestKafkaPublisher publishes an outbox of several pages to a topic of
// three partitions: every message arrives once, keyed by its subject, with
// its id and type in the headers, in outbox order within each partition.
// The publisher starts before the broker is up and connects by itself, and
// rides out a broker outage without committing what was not acknowledged.
func TestKafkaPublisher(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		const topic, n = "anxin.decisions", 230
		ids, subjects := enqueueOutbox(t, db, 0, n)

		addr, port := freeAddr(t)
		p := &stream.KafkaPublisher{Brokers: []string{addr}, Topic: topic, Batch: 50, Poll: 50 * time.Millisecond,
			Outbox: sqlstore.NewOutboxCursor(db, "kafka:"+topic, "r1"), Logger: quietLogger()}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx) }()
		defer func() { cancel(); <-done }()

		time.Sleep(time.Second) // the broker is not there yet
		fake, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(port), kfake.SeedTopics(3, topic))
		if err != nil {
			t.Fatal(err)
		}
		defer fake.Close()

		recs := readTopic(t, fake.ListenAddrs(), topic, n, 60*time.Second)
		if len(recs) != n {
			t.Errorf("%d records on the topic; want exactly %d", len(recs), n)
		}
		if d := checkOrder(t, recs, ids, subjects); d != 0 {
			t.Errorf("%d duplicates without a crash", d)
		}
		parts := map[int32]bool{}
		for _, r := range recs {
			parts[r.partition] = true
		}
		if len(parts) < 2 {
			t.Errorf("records on %d partition(s); want the subjects spread over several", len(parts))
		}
		waitFor(t, 10*time.Second, "the cursor to reach the outbox head", func() bool {
			cur, head, err := sqlstore.NewOutboxCursor(db, "kafka:"+topic, "x").Position(ctx)
			return err == nil && cur == head && head > 0
		})
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(p)
		waitFor(t, 5*time.Second, "the lag gauge to reach 0", func() bool {
			v, ok := gathered(reg, "anxin_stream_publisher_lag", "")
			return ok && v == 0
		})
		if v, _ := gathered(reg, "anxin_stream_published_total", "published"); v != n {
			t.Errorf("anxin_stream_published_total{outcome=published} = %v; want %d", v, n)
		}

		// A broker outage: every produce request has its connection closed.
		// The cursor stays put while nothing is acknowledged, and the
		// publisher carries on by itself when the broker is back.
		var down atomic.Bool
		var refused atomic.Int32
		down.Store(true)
		fake.ControlKey(kmsg.Produce.Int16(), func(kmsg.Request) (kmsg.Response, error, bool) {
			if down.Load() {
				fake.KeepControl()
				refused.Add(1)
				return nil, errors.New("broker outage"), true
			}
			fake.DropControl()
			return nil, nil, false
		})
		moreIDs, moreSubjects := enqueueOutbox(t, db, n, 70)
		time.Sleep(3 * time.Second)
		if cur, head, _ := sqlstore.NewOutboxCursor(db, "kafka:"+topic, "x").Position(ctx); cur != head-70 {
			t.Errorf("cursor %d during the outage; want %d (nothing acknowledged)", cur, head-70)
		}
		if refused.Load() == 0 {
			t.Error("no produce request reached the broker during the outage")
		}
		down.Store(false)
		recs = readTopic(t, fake.ListenAddrs(), topic, n+70, 60*time.Second)
		checkOrder(t, recs, append(ids, moreIDs...), append(subjects, moreSubjects...))
		waitFor(t, 10*time.Second, "the lag gauge to reach 0 after the outage", func() bool {
			v, ok := gathered(reg, "anxin_stream_publisher_lag", "")
			return ok && v == 0
		})
	})
}

// TestKafkaPublisherCrashReplay kills a publisher after the brokers
// acknowledged a page but before its cursor commit: the next replica
// publishes the page again, and a consumer deduplicating by the
// Anxin-Message-Id header sees every message once, in order.
func TestKafkaPublisherCrashReplay(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		const topic, n, page = "anxin.decisions", 120, 40
		ids, subjects := enqueueOutbox(t, db, 0, n)
		fake, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topic))
		if err != nil {
			t.Fatal(err)
		}
		defer fake.Close()
		brokers := fake.ListenAddrs()

		// Replica 1 commits its first page, then dies before committing the
		// second.
		c1 := sqlstore.NewOutboxCursor(db, "kafka:"+topic, "r1")
		c1.Lease = 500 * time.Millisecond
		ctx1, kill := context.WithCancel(context.Background())
		crash := &crashOutbox{Outbox: c1, after: 1, kill: kill}
		p1 := &stream.KafkaPublisher{Brokers: brokers, Topic: topic, Batch: page, Poll: 50 * time.Millisecond, Outbox: crash, Logger: quietLogger()}
		p1.Run(ctx1) // returns once killed
		if crash.commits.Load() != 2 {
			t.Fatalf("replica 1 made %d commit calls; want 2 (one committed, one lost in the crash)", crash.commits.Load())
		}
		cur, _, _ := c1.Position(context.Background())
		if cur == 0 {
			t.Fatal("the first page was not committed")
		}
		// The second page was acknowledged by the broker but not committed.
		if recs := readTopic(t, brokers, topic, 2*page, 20*time.Second); len(recs) != 2*page {
			t.Fatalf("%d records after the crash; want %d", len(recs), 2*page)
		}

		// Replica 2 takes over once the lease has lapsed.
		c2 := sqlstore.NewOutboxCursor(db, "kafka:"+topic, "r2")
		p2 := &stream.KafkaPublisher{Brokers: brokers, Topic: topic, Batch: page, Poll: 50 * time.Millisecond, Outbox: c2, Logger: quietLogger()}
		ctx2, cancel2 := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- p2.Run(ctx2) }()
		defer func() { cancel2(); <-done }()

		recs := readTopic(t, brokers, topic, n+page, 60*time.Second)
		if len(recs) != n+page {
			t.Errorf("%d records; want %d (the uncommitted page twice)", len(recs), n+page)
		}
		if d := checkOrder(t, recs, ids, subjects); d != page {
			t.Errorf("%d duplicates dropped by message id; want %d (the replayed page)", d, page)
		}
	})
}

// crashOutbox lets the first `after` commits through, then "kills" the
// publisher on the next: its context is cancelled and the commit is lost.
type crashOutbox struct {
	stream.Outbox
	after   int32
	kill    func()
	commits atomic.Int32
}

func (c *crashOutbox) Commit(ctx context.Context, seq int64) error {
	if c.commits.Add(1) > c.after {
		c.kill()
		return context.Canceled
	}
	return c.Outbox.Commit(ctx, seq)
}

// TestKafkaPublisherLease runs two publishers, one per replica, on one
// database: only the lease holder publishes, each message once; when it
// stops, the other takes over after the lease lapses.
func TestKafkaPublisherLease(t *testing.T) {
	sqltest.RunReplicas(t, nil, 2, func(t *testing.T, dbs []*sqlstore.DB) {
		const topic, n, more = "anxin.decisions", 150, 60
		ids, subjects := enqueueOutbox(t, dbs[0], 0, n)
		fake, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topic))
		if err != nil {
			t.Fatal(err)
		}
		defer fake.Close()
		brokers := fake.ListenAddrs()

		counters := make([]*countingOutbox, 2)
		cancels := make([]context.CancelFunc, 2)
		dones := make([]chan error, 2)
		for i, db := range dbs {
			c := sqlstore.NewOutboxCursor(db, "kafka:"+topic, "r"+strconv.Itoa(i))
			c.Lease = time.Second
			counters[i] = &countingOutbox{Outbox: c}
			p := &stream.KafkaPublisher{Brokers: brokers, Topic: topic, Batch: 50, Poll: 50 * time.Millisecond, Outbox: counters[i], Logger: quietLogger()}
			var ctx context.Context
			ctx, cancels[i] = context.WithCancel(context.Background())
			dones[i] = make(chan error, 1)
			go func() { dones[i] <- p.Run(ctx) }()
		}
		defer func() {
			for i := range cancels {
				cancels[i]()
				<-dones[i]
			}
		}()

		recs := readTopic(t, brokers, topic, n, 60*time.Second)
		if len(recs) != n {
			t.Errorf("%d records; want exactly %d", len(recs), n)
		}
		checkOrder(t, recs, ids, subjects)
		a, b := counters[0].n.Load(), counters[1].n.Load()
		if !(a == n && b == 0 || a == 0 && b == n) {
			t.Fatalf("replicas read %d and %d messages to publish; want all %d by the lease holder alone", a, b, n)
		}
		holder := 0
		if b == n {
			holder = 1
		}
		other := 1 - holder

		// The holder stops; the other replica publishes what comes next.
		waitFor(t, 10*time.Second, "the cursor to reach the outbox head", func() bool {
			cur, head, err := sqlstore.NewOutboxCursor(dbs[0], "kafka:"+topic, "x").Position(context.Background())
			return err == nil && cur == head
		})
		cancels[holder]()
		<-dones[holder]
		dones[holder] <- nil
		moreIDs, moreSubjects := enqueueOutbox(t, dbs[holder], n, more)
		recs = readTopic(t, brokers, topic, n+more, 60*time.Second)
		if len(recs) != n+more {
			t.Errorf("%d records after the takeover; want exactly %d", len(recs), n+more)
		}
		checkOrder(t, recs, append(ids, moreIDs...), append(subjects, moreSubjects...))
		if got := counters[other].n.Load(); got != more {
			t.Errorf("the other replica published %d messages; want %d", got, more)
		}
	})
}

// countingOutbox counts the messages handed to its publisher.
type countingOutbox struct {
	stream.Outbox
	n atomic.Int64
}

func (c *countingOutbox) Next(ctx context.Context, limit int) ([]*anxin.OutboxMessage, int64, error) {
	msgs, last, err := c.Outbox.Next(ctx, limit)
	c.n.Add(int64(len(msgs)))
	return msgs, last, err
}

// TestKafkaPublisherConfig rejects an unusable configuration.
func TestKafkaPublisherConfig(t *testing.T) {
	for _, p := range []*stream.KafkaPublisher{
		{Topic: "t", Outbox: &countingOutbox{}},
		{Brokers: []string{"127.0.0.1:9"}, Outbox: &countingOutbox{}},
		{Brokers: []string{"127.0.0.1:9"}, Topic: "t"},
	} {
		if err := p.Run(context.Background()); err == nil {
			t.Errorf("Run with %+v succeeded", p)
		}
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// waitFor polls cond until it holds, failing the test after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// gathered returns the value of a gauge or counter series, the one with the
// given outcome label when outcome is not empty.
func gathered(reg *prometheus.Registry, name, outcome string) (float64, bool) {
	mfs, err := reg.Gather()
	if err != nil {
		return 0, false
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			match := outcome == ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == outcome {
					match = true
				}
			}
			if !match {
				continue
			}
			if g := m.GetGauge(); g != nil {
				return g.GetValue(), true
			}
			return m.GetCounter().GetValue(), true
		}
	}
	return 0, false
}
