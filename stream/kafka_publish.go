package stream

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"anxin"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Headers on every published outbox record. The message id is the key to
// deduplicate on: publishing is at-least-once.
const (
	HeaderMessageID   = "Anxin-Message-Id"
	HeaderMessageType = "Anxin-Message-Type"
)

// KafkaPublisher publishes every outbox message — decisions and actions — to
// one Kafka topic, in outbox order, as JSON (the webhook body). The record
// key is the message's subject id (the listing, merchant, order… it is
// about), so the messages about one subject land on one partition and keep
// their order; the headers carry the message id (Anxin-Message-Id) and type
// (Anxin-Message-Type).
//
// Like NATSPublisher it reads the outbox under a lease (one replica at a
// time publishes) and advances the cursor only after the brokers
// acknowledged every record of a page (acks=all, idempotent producer).
// Delivery is at-least-once: a replica that dies after the acknowledgement
// but before the cursor commit leaves the page to be published again by the
// next lease holder, so consumers deduplicate by the Anxin-Message-Id
// header. Kafka has no broker-side deduplication across producers.
type KafkaPublisher struct {
	Brokers []string // host:port seeds
	Topic   string
	Outbox  Outbox
	Logger  *slog.Logger
	Poll    time.Duration // idle wait between empty pages (default 500 ms)
	Batch   int           // outbox messages per page (default 500)

	publisherMetrics
	once sync.Once
}

func (p *KafkaPublisher) init() {
	p.once.Do(func() {
		if p.Poll <= 0 {
			p.Poll = 500 * time.Millisecond
		}
		if p.Batch <= 0 {
			p.Batch = 500
		}
		if p.Logger == nil {
			p.Logger = slog.Default()
		}
		p.publisherMetrics = newPublisherMetrics("kafka")
	})
}

// Describe implements prometheus.Collector.
func (p *KafkaPublisher) Describe(ch chan<- *prometheus.Desc) {
	p.init()
	p.describe(ch)
}

// Collect implements prometheus.Collector.
func (p *KafkaPublisher) Collect(ch chan<- prometheus.Metric) {
	p.init()
	p.collect(ch)
}

// Run publishes until ctx is done. The client reconnects by itself; a page
// that fails is published again. It returns an error only for an unusable
// configuration.
func (p *KafkaPublisher) Run(ctx context.Context) error {
	p.init()
	if len(p.Brokers) == 0 || p.Topic == "" || p.Outbox == nil {
		return errors.New("stream: KafkaPublisher needs Brokers, a Topic and an Outbox")
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(p.Brokers...), kgo.DefaultProduceTopic(p.Topic),
		kgo.RequiredAcks(kgo.AllISRAcks()), // idempotent writes are franz-go's default and need acks=all
		kgo.ClientID("anxin-publisher"))
	if err != nil {
		return err
	}
	defer cl.Close()
	p.run(ctx, p.Outbox, p.Logger, p.Poll, "kafka:"+p.Topic, func(ctx context.Context) (int, error) { return p.publishOnce(ctx, cl) })
	return nil
}

// publishOnce produces one page of the outbox, waits for the brokers to
// acknowledge all of it and commits the cursor. On an error nothing is
// committed; n is then the size of the page to be published again.
func (p *KafkaPublisher) publishOnce(ctx context.Context, cl *kgo.Client) (int, error) {
	msgs, last, err := p.Outbox.Next(ctx, p.Batch)
	if err != nil || len(msgs) == 0 {
		return 0, err
	}
	recs := make([]*kgo.Record, 0, len(msgs))
	for _, m := range msgs {
		body, err := json.Marshal(m)
		if err != nil {
			return len(msgs), err
		}
		r := &kgo.Record{Value: body, Headers: []kgo.RecordHeader{
			{Key: HeaderMessageID, Value: []byte(m.ID)},
			{Key: HeaderMessageType, Value: []byte(m.Type)},
		}}
		if m.SubjectID != "" {
			r.Key = []byte(m.SubjectID)
		}
		recs = append(recs, r)
	}
	// The page in hand is finished even when shutdown begins, so a drain
	// does not leave it to be published twice; a broker that stays away is
	// given up on after the timeout.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := cl.ProduceSync(wctx, recs...).FirstErr(); err != nil {
		return len(msgs), err // not committed: the page is produced again
	}
	if err := p.Outbox.Commit(wctx, last); err != nil {
		// Acknowledged but not committed: the next lease holder publishes
		// the page again and consumers drop it by message id.
		return len(msgs), err
	}
	p.published.WithLabelValues("published").Add(float64(len(msgs)))
	return len(msgs), nil
}

// publisherMetrics are the metrics every outbox publisher exports, labelled
// with its sink (nats, kafka).
type publisherMetrics struct {
	lag       prometheus.Gauge
	published *prometheus.CounterVec
}

func newPublisherMetrics(sink string) publisherMetrics {
	return publisherMetrics{
		lag: prometheus.NewGauge(prometheus.GaugeOpts{Name: "anxin_stream_publisher_lag",
			Help: "Outbox messages (decisions and actions) not yet published to the broker: the outbox head minus the publisher's cursor.", ConstLabels: prometheus.Labels{"sink": sink}}),
		published: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "anxin_stream_published_total",
			Help: "Outbox messages by outcome: published (acknowledged and committed), retry (to be published again).", ConstLabels: prometheus.Labels{"sink": sink}}, []string{"outcome"}),
	}
}

func (m *publisherMetrics) describe(ch chan<- *prometheus.Desc) {
	m.lag.Describe(ch)
	m.published.Describe(ch)
}

func (m *publisherMetrics) collect(ch chan<- prometheus.Metric) {
	m.lag.Collect(ch)
	m.published.Collect(ch)
}

// run publishes pages until ctx is done: after an empty page it waits poll,
// after a failed one a second (the page is published again); losing the
// lease to another replica is not a failure. The lag gauge is refreshed at
// most once a second, not after every page.
func (m *publisherMetrics) run(ctx context.Context, o Outbox, log *slog.Logger, poll time.Duration, dest string, publish func(context.Context) (int, error)) {
	var lagAt time.Time
	for ctx.Err() == nil {
		n, err := publish(ctx)
		if time.Since(lagAt) >= time.Second {
			m.updateLag(ctx, o)
			lagAt = time.Now()
		}
		if err != nil && ctx.Err() == nil {
			if anxin.KindOf(err) == anxin.Conflict {
				log.Info("stream: another replica took over publishing decisions", "to", dest)
				continue
			}
			log.Warn("stream: publishing decisions", "to", dest, "err", err)
			m.published.WithLabelValues("retry").Add(float64(n))
			sleep(ctx, time.Second)
			continue
		}
		if n == 0 {
			sleep(ctx, poll)
		}
	}
}

// positioner is an Outbox that can tell its lag (sqlstore.OutboxCursor).
type positioner interface {
	Position(ctx context.Context) (cursor, head int64, err error)
}

// updateLag sets the lag gauge from the cursor and the outbox head; every
// replica reports the same value, whether or not it holds the lease.
func (m *publisherMetrics) updateLag(ctx context.Context, o Outbox) {
	pos, ok := o.(positioner)
	if !ok || ctx.Err() != nil {
		return
	}
	if cursor, head, err := pos.Position(ctx); err == nil {
		m.lag.Set(float64(max(head-cursor, 0)))
	}
}
