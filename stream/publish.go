package stream

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"anxin"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

// Outbox reads the outbox in order under a lease (sqlstore.OutboxCursor).
type Outbox interface {
	Next(ctx context.Context, limit int) ([]*anxin.OutboxMessage, int64, error)
	Commit(ctx context.Context, seq int64) error
}

// NATSPublisher publishes every outbox message — decisions and actions — to
// Subject + "." + type (e.g. decisions.listing.delist), with the message id
// as the JetStream Nats-Msg-Id, so a replay after a crash is deduplicated by
// the broker and receivers see each action once.
type NATSPublisher struct {
	URL     string
	Subject string // prefix, e.g. "anxin.decisions"
	Stream  string // stream to create for it (default ANXIN_DECISIONS)
	Outbox  Outbox
	Logger  *slog.Logger
	Poll    time.Duration

	publisherMetrics
	once sync.Once
}

func (p *NATSPublisher) init() {
	p.once.Do(func() {
		if p.Stream == "" {
			p.Stream = "ANXIN_DECISIONS"
		}
		if p.Poll <= 0 {
			p.Poll = 500 * time.Millisecond
		}
		if p.Logger == nil {
			p.Logger = slog.Default()
		}
		p.publisherMetrics = newPublisherMetrics("nats")
	})
}

// Describe implements prometheus.Collector.
func (p *NATSPublisher) Describe(ch chan<- *prometheus.Desc) {
	p.init()
	p.describe(ch)
}

// Collect implements prometheus.Collector.
func (p *NATSPublisher) Collect(ch chan<- prometheus.Metric) {
	p.init()
	p.collect(ch)
}

// Run publishes until ctx is done, reconnecting by itself.
func (p *NATSPublisher) Run(ctx context.Context) error {
	p.init()
	nc, err := nats.Connect(p.URL, nats.Name("anxin-publisher"), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true))
	if err != nil {
		return err
	}
	defer nc.Drain()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	for ctx.Err() == nil {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := js.CreateOrUpdateStream(sctx, jetstream.StreamConfig{Name: p.Stream, Subjects: []string{p.Subject + ".>"}, Duplicates: 10 * time.Minute})
		cancel()
		if err == nil {
			break
		}
		p.Logger.Warn("stream: waiting for JetStream to publish decisions", "err", err)
		sleep(ctx, time.Second)
	}
	p.run(ctx, p.Outbox, p.Logger, p.Poll, "nats:"+p.Subject, func(ctx context.Context) (int, error) { return p.publishOnce(ctx, js) })
	return nil
}

// publishOnce publishes one page of the outbox and commits the cursor.
func (p *NATSPublisher) publishOnce(ctx context.Context, js jetstream.JetStream) (int, error) {
	msgs, last, err := p.Outbox.Next(ctx, 500)
	if err != nil || len(msgs) == 0 {
		return 0, err
	}
	for _, m := range msgs {
		body, err := json.Marshal(m)
		if err != nil {
			return len(msgs), err
		}
		msg := nats.NewMsg(p.Subject + "." + m.Type)
		msg.Data = body
		msg.Header.Set(nats.MsgIdHdr, m.ID)
		msg.Header.Set(HeaderMessageType, m.Type)
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err = js.PublishMsg(pctx, msg)
		cancel()
		if err != nil {
			return len(msgs), err // not committed: the page is published again, deduplicated by id
		}
	}
	if err := p.Outbox.Commit(ctx, last); err != nil {
		return len(msgs), err
	}
	p.published.WithLabelValues("published").Add(float64(len(msgs)))
	return len(msgs), nil
}
