// Package stream connects Anxin to a marketplace's message broker: it
// consumes lifecycle events from NATS JetStream (a durable pull consumer)
// or Kafka (a consumer group) into the same idempotent ingestion as
// POST /v1/events, and publishes the outbox (decisions and actions) to a
// NATS subject or a Kafka topic so the marketplace can consume them like any
// other stream.
//
// A message is acknowledged only after the transaction that stores its event
// has committed. A message that can never be stored — malformed JSON,
// invalid UTF-8, an unknown type, a wrong schema version, an oversized
// payload — goes to the dead-letter subject with its reason in the
// Anxin-Dead-Letter-Reason header and is then acknowledged, so it never
// blocks the stream. A message that fails for a passing reason (the database
// is down) is not acknowledged and comes back later.
//
//	c := &stream.NATSConsumer{URL: "nats://127.0.0.1:4222", Subject: "market.events", Sink: events}
//	go c.Run(ctx)
package stream

import (
	"context"
	"encoding/json"
	"unicode/utf8"

	"anxin"

	"github.com/prometheus/client_golang/prometheus"
)

// MaxEventBytes is the largest event message accepted; larger ones go to
// the dead letter.
const MaxEventBytes = 256 << 10

// Sink stores events: anxin.EventService.
type Sink interface {
	IngestEvents(ctx context.Context, events []*anxin.Event) (anxin.IngestResult, error)
}

// Decode parses and validates one event message. Its error is Invalid with
// a reason fit for the dead-letter header.
func Decode(data []byte) (*anxin.Event, error) {
	if len(data) > MaxEventBytes {
		return nil, anxin.Errorf(anxin.TooLarge, "The event is larger than %d bytes.", MaxEventBytes)
	}
	if !utf8.Valid(data) {
		return nil, anxin.Errorf(anxin.Invalid, "The event is not valid UTF-8.")
	}
	e := new(anxin.Event)
	if err := anxin.DecodeJSON(data, e); err != nil {
		return nil, err
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return e, nil
}

// systemActor is the principal stream ingestion acts as.
func systemContext(ctx context.Context, source string) context.Context {
	return anxin.NewContextWithActor(ctx, anxin.Actor{KeyID: "stream:" + source, Name: "stream consumer", Role: anxin.RolePlatform})
}

// deadLetter is the body published to the dead-letter subject: the reason
// and the original message, base64-free when it is valid UTF-8.
type deadLetter struct {
	Reason  string          `json:"reason"`
	Subject string          `json:"subject"`
	Data    json.RawMessage `json:"data,omitempty"`
	Raw     []byte          `json:"raw,omitempty"` // when the original is not valid JSON
}

func deadLetterBody(subject string, data []byte, reason string) []byte {
	dl := deadLetter{Reason: reason, Subject: subject}
	if json.Valid(data) && len(data) <= MaxEventBytes {
		dl.Data = data
	} else {
		n := min(len(data), 4096) // keep a sample of oversized or broken payloads
		dl.Raw = data[:n]
	}
	b, _ := json.Marshal(dl)
	return b
}

// consumerMetrics are the metrics every consumer exports, labelled with its
// source (nats, kafka).
type consumerMetrics struct {
	lag       prometheus.Gauge
	processed *prometheus.CounterVec
}

func newConsumerMetrics(source string) consumerMetrics {
	return consumerMetrics{
		lag:       prometheus.NewGauge(prometheus.GaugeOpts{Name: "anxin_stream_consumer_lag", Help: "Messages in the events stream not yet acknowledged by Anxin.", ConstLabels: prometheus.Labels{"source": source}}),
		processed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "anxin_stream_messages_total", Help: "Stream messages by outcome: stored, duplicate, dead_letter, retry.", ConstLabels: prometheus.Labels{"source": source}}, []string{"outcome"}),
	}
}

func (m *consumerMetrics) describe(ch chan<- *prometheus.Desc) {
	m.lag.Describe(ch)
	m.processed.Describe(ch)
}

func (m *consumerMetrics) collect(ch chan<- prometheus.Metric) {
	m.lag.Collect(ch)
	m.processed.Collect(ch)
}
