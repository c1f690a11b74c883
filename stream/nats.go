package stream

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"anxin"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

// DefaultAckWait is how long JetStream waits for a replica's acknowledgement
// before it hands the message to another: how long a dead replica's fetched
// batch stays stuck. A live replica whose ingest takes longer keeps its
// messages with in-progress signals, so it is not redelivered under it.
const DefaultAckWait = 10 * time.Second

// NATSConsumer consumes events from a JetStream stream with a durable pull
// consumer shared by every replica: JetStream hands each message to one
// replica, and a replica that dies leaves its unacknowledged messages to be
// redelivered after AckWait.
type NATSConsumer struct {
	URL        string // nats://host:port
	Subject    string // the events subject
	Stream     string // stream name (default ANXIN_EVENTS); created if missing
	Durable    string // durable consumer name (default anxin)
	DeadLetter string // dead-letter subject (default Subject + ".dlq")
	Batch      int    // messages per fetch (default 500)
	AckWait    time.Duration
	Sink       Sink
	Logger     *slog.Logger

	mu       sync.Mutex
	nc       *nats.Conn
	consumer jetstream.Consumer
	consumerMetrics
	once sync.Once
}

func (c *NATSConsumer) init() {
	c.once.Do(func() {
		if c.Stream == "" {
			c.Stream = "ANXIN_EVENTS"
		}
		if c.Durable == "" {
			c.Durable = "anxin"
		}
		if c.DeadLetter == "" {
			c.DeadLetter = c.Subject + ".dlq"
		}
		if c.Batch <= 0 {
			c.Batch = 500
		}
		if c.AckWait <= 0 {
			c.AckWait = DefaultAckWait
		}
		if c.Logger == nil {
			c.Logger = slog.Default()
		}
		c.consumerMetrics = newConsumerMetrics("nats")
	})
}

// Describe implements prometheus.Collector.
func (c *NATSConsumer) Describe(ch chan<- *prometheus.Desc) {
	c.init()
	c.describe(ch)
}

// Collect implements prometheus.Collector.
func (c *NATSConsumer) Collect(ch chan<- prometheus.Metric) {
	c.init()
	c.collect(ch)
}

// Healthy reports whether the broker connection is up, for /readyz.
func (c *NATSConsumer) Healthy(ctx context.Context) error {
	c.mu.Lock()
	nc := c.nc
	c.mu.Unlock()
	if nc == nil || !nc.IsConnected() {
		return anxin.Errorf(anxin.Unavailable, "The message broker is not connected.")
	}
	return nil
}

// Lag returns the messages not yet acknowledged (pending plus in flight).
func (c *NATSConsumer) Lag(ctx context.Context) (int, error) {
	c.mu.Lock()
	cons := c.consumer
	c.mu.Unlock()
	if cons == nil {
		return 0, anxin.Errorf(anxin.Unavailable, "The consumer is not running.")
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return 0, err
	}
	n := int(info.NumPending) + info.NumAckPending
	c.lag.Set(float64(n))
	return n, nil
}

// Run consumes until ctx is done. It reconnects by itself when the broker
// goes away and comes back; it returns only when ctx ends (nil) or the
// configuration is unusable.
func (c *NATSConsumer) Run(ctx context.Context) error {
	c.init()
	if c.Subject == "" || c.Sink == nil {
		return errors.New("stream: NATSConsumer needs a Subject and a Sink")
	}
	nc, err := nats.Connect(c.URL, nats.Name("anxin"), nats.MaxReconnects(-1), nats.ReconnectWait(500*time.Millisecond),
		nats.RetryOnFailedConnect(true))
	if err != nil {
		return err
	}
	defer drainAndWait(nc, 5*time.Second)
	c.mu.Lock()
	c.nc = nc
	c.mu.Unlock()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	for ctx.Err() == nil {
		if err := c.setup(ctx, js); err != nil {
			c.Logger.Warn("stream: waiting for JetStream", "err", err)
			sleep(ctx, time.Second)
			continue
		}
		if err := c.loop(ctx, js); err != nil && ctx.Err() == nil {
			c.Logger.Warn("stream: consumer interrupted", "err", err)
			sleep(ctx, 500*time.Millisecond)
		}
	}
	return nil
}

func (c *NATSConsumer) setup(ctx context.Context, js jetstream.JetStream) error {
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := js.Stream(sctx, c.Stream); errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = js.CreateStream(sctx, jetstream.StreamConfig{Name: c.Stream, Subjects: []string{c.Subject, c.DeadLetter},
			Storage: jetstream.FileStorage, Duplicates: 2 * time.Minute})
		if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return err
		}
	} else if err != nil {
		return err
	}
	cons, err := js.CreateOrUpdateConsumer(sctx, c.Stream, jetstream.ConsumerConfig{
		Durable: c.Durable, FilterSubject: c.Subject, AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: c.AckWait, MaxAckPending: 20 * c.Batch, MaxDeliver: -1,
	})
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.consumer = cons
	c.mu.Unlock()
	return nil
}

func (c *NATSConsumer) loop(ctx context.Context, js jetstream.JetStream) error {
	c.mu.Lock()
	cons := c.consumer
	c.mu.Unlock()
	lastLag := time.Time{}
	pause := retryPause
	for ctx.Err() == nil {
		batch, err := cons.Fetch(c.Batch, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			return err
		}
		var msgs []jetstream.Msg
		for m := range batch.Messages() {
			msgs = append(msgs, m)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && len(msgs) == 0 {
			return err
		}
		if len(msgs) > 0 {
			if c.handle(ctx, js, msgs) {
				pause = retryPause
			} else {
				// The database is away: wait before fetching again, longer
				// each time up to the redelivery delay, rather than fetch
				// and put back the whole backlog in a tight loop.
				sleep(ctx, pause)
				pause = min(2*pause, retryDelay)
			}
		}
		if time.Since(lastLag) > time.Second {
			c.Lag(ctx)
			lastLag = time.Now()
		}
	}
	return nil
}

// retryPause is the first wait after an ingest failed; it doubles with each
// failure in a row up to retryDelay, the delay before a message put back is
// delivered again.
const (
	retryPause = 250 * time.Millisecond
	retryDelay = 2 * time.Second
)

// handle stores a fetched batch: poison messages to the dead letter, the
// rest in one ingestion; acknowledgements only after the commit. It returns
// false when the ingestion failed and the batch was put back.
func (c *NATSConsumer) handle(ctx context.Context, js jetstream.JetStream, msgs []jetstream.Msg) bool {
	var events []*anxin.Event
	var eventMsgs []jetstream.Msg
	seen := map[string]int{}
	var dupes []jetstream.Msg
	for _, m := range msgs {
		e, err := Decode(m.Data())
		if err != nil {
			if err := c.deadLetter(ctx, js, m, anxin.MessageOf(err)); err != nil {
				m.NakWithDelay(time.Second) // the dead letter must be safe before the ack
				continue
			}
			m.Ack()
			c.processed.WithLabelValues("dead_letter").Inc()
			continue
		}
		if _, ok := seen[e.ID]; ok {
			dupes = append(dupes, m) // the same id twice in one fetch: stored once below
			continue
		}
		seen[e.ID] = len(events)
		events = append(events, e)
		eventMsgs = append(eventMsgs, m)
	}
	if len(events) > 0 {
		// A fetched batch is finished even when shutdown begins: the ingest
		// and its acknowledgements run to the end, so a drain commits what
		// it took (bounded by the database's own timeouts).
		stop := c.keepAlive(append(eventMsgs, dupes...))
		res, err := c.Sink.IngestEvents(systemContext(context.WithoutCancel(ctx), "nats"), events)
		stop()
		if err != nil {
			// A passing failure (database down): nothing was committed, so
			// nothing is acknowledged; the messages come back.
			c.Logger.Warn("stream: ingest failed; will retry", "events", len(events), "err", err)
			for _, m := range append(eventMsgs, dupes...) {
				m.NakWithDelay(retryDelay)
			}
			c.processed.WithLabelValues("retry").Add(float64(len(eventMsgs) + len(dupes)))
			return false
		}
		c.processed.WithLabelValues("stored").Add(float64(res.Stored))
		c.processed.WithLabelValues("duplicate").Add(float64(res.Duplicates + len(dupes)))
	}
	for _, m := range append(eventMsgs, dupes...) {
		m.Ack()
	}
	return true
}

// keepAlive tells JetStream every third of AckWait that msgs are still being
// worked on, until stop is called, so a slow ingest (a database under load
// or retrying) is not redelivered to another replica meanwhile.
func (c *NATSConsumer) keepAlive(msgs []jetstream.Msg) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(c.AckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				for _, m := range msgs {
					if err := m.InProgress(); err != nil {
						c.Logger.Warn("stream: in-progress signal failed", "err", err)
					}
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

func (c *NATSConsumer) deadLetter(ctx context.Context, js jetstream.JetStream, m jetstream.Msg, reason string) error {
	msg := nats.NewMsg(c.DeadLetter)
	msg.Data = deadLetterBody(m.Subject(), m.Data(), reason)
	msg.Header.Set("Anxin-Dead-Letter-Reason", reason)
	if md, err := m.Metadata(); err == nil {
		// The stream sequence makes the dead letter idempotent under redelivery.
		msg.Header.Set(nats.MsgIdHdr, "dlq-"+itoa(md.Sequence.Stream))
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := js.PublishMsg(pctx, msg)
	return err
}

func itoa(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// drainAndWait flushes what the connection still holds (acknowledgements
// are fire-and-forget publishes) and drains it, waiting up to d for the
// connection to close, so a process that exits right after a shutdown does
// not leave fetched messages unacknowledged at the server.
func drainAndWait(nc *nats.Conn, d time.Duration) {
	_ = nc.FlushTimeout(d)
	if err := nc.Drain(); err != nil {
		nc.Close()
		return
	}
	deadline := time.Now().Add(d)
	for !nc.IsClosed() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}
