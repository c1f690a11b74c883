package stream_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"anxin"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
	"anxin/stream"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func TestNATSPublisherExactlyOncePerMessage(t *testing.T) {
	url := natsURL(t)
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		const n = 300
		err := db.Transact(ctx, func(tx *sqlstore.Tx) error {
			for i := range n {
				if _, err := sqlstore.Enqueue(ctx, tx, anxin.MessageDelistListing, fmt.Sprint("l", i), fmt.Sprint("k", i), map[string]int{"i": i}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		suffix := anxin.NewID("")[:8]
		subject, streamName := "anxintest."+suffix+".decisions", "ANXINTESTD_"+suffix
		nc, _ := nats.Connect(url)
		defer nc.Close()
		js, _ := jetstream.New(nc)
		t.Cleanup(func() { js.DeleteStream(context.Background(), streamName) })
		// two replicas publish the same outbox; the lease and the broker's
		// deduplication keep one copy of each message
		for _, owner := range []string{"r1", "r2"} {
			p := &stream.NATSPublisher{URL: url, Subject: subject, Stream: streamName, Poll: 50 * time.Millisecond,
				Outbox: sqlstore.NewOutboxCursor(db, "nats:"+subject, owner)}
			go p.Run(ctx)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			s, err := js.Stream(ctx, streamName)
			if err == nil {
				info, _ := s.Info(ctx)
				if info != nil && info.State.Msgs >= n {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatal("the outbox was not published within 30 s")
			}
			time.Sleep(100 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond)
		s, _ := js.Stream(ctx, streamName)
		info, _ := s.Info(ctx)
		if info.State.Msgs != n {
			t.Fatalf("stream holds %d messages; want exactly %d", info.State.Msgs, n)
		}
		cur, head, err := sqlstore.NewOutboxCursor(db, "nats:"+subject, "x").Position(ctx)
		if err != nil || cur != head {
			t.Errorf("cursor %d, head %d (%v); want the cursor at the head", cur, head, err)
		}
	})
}
