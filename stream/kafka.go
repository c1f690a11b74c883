package stream

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"anxin"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
)

// KafkaConsumer consumes events from a Kafka topic as a member of a consumer
// group shared by every replica: Kafka assigns each partition to one
// replica, and a replica that dies hands its partitions to the others, which
// resume from the last committed offset.
//
// Offsets are committed only after the transaction storing a batch has
// committed, so a crash replays at most the uncommitted batch, which the
// idempotent ingestion absorbs. Poison records go to the dead-letter topic
// with the reason in the Anxin-Dead-Letter-Reason header, as on NATS. A
// batch that fails for a passing reason (the database is down) is retried
// in place until it succeeds: Kafka keeps order per partition, so the
// partition waits rather than skipping ahead. Dead letters may be written
// twice when their batch is retried.
type KafkaConsumer struct {
	Brokers    []string // host:port seeds
	Topic      string
	Group      string // consumer group (default anxin)
	DeadLetter string // dead-letter topic (default Topic + ".dlq")
	Batch      int    // records per poll (default 500)
	Sink       Sink
	Logger     *slog.Logger

	mu     sync.Mutex
	client *kgo.Client
	lags   map[int32]int64
	consumerMetrics
	once sync.Once
}

func (c *KafkaConsumer) init() {
	c.once.Do(func() {
		if c.Group == "" {
			c.Group = "anxin"
		}
		if c.DeadLetter == "" {
			c.DeadLetter = c.Topic + ".dlq"
		}
		if c.Batch <= 0 {
			c.Batch = 500
		}
		if c.Logger == nil {
			c.Logger = slog.Default()
		}
		c.lags = map[int32]int64{}
		c.consumerMetrics = newConsumerMetrics("kafka")
	})
}

// Describe implements prometheus.Collector.
func (c *KafkaConsumer) Describe(ch chan<- *prometheus.Desc) {
	c.init()
	c.describe(ch)
}

// Collect implements prometheus.Collector.
func (c *KafkaConsumer) Collect(ch chan<- prometheus.Metric) {
	c.init()
	c.collect(ch)
}

// Healthy reports whether a broker answers, for /readyz; Unavailable
// otherwise.
func (c *KafkaConsumer) Healthy(ctx context.Context) error {
	c.mu.Lock()
	cl := c.client
	c.mu.Unlock()
	if cl == nil {
		return anxin.Errorf(anxin.Unavailable, "The message broker is not connected.")
	}
	if err := cl.Ping(ctx); err != nil {
		return anxin.Errorf(anxin.Unavailable, "The message broker is not reachable.")
	}
	return nil
}

// Lag returns the records behind the high watermark on this replica's
// partitions, as of the last poll.
func (c *KafkaConsumer) Lag() int {
	c.init()
	c.mu.Lock()
	defer c.mu.Unlock()
	n := int64(0)
	for _, l := range c.lags {
		n += l
	}
	return int(n)
}

// Run consumes until ctx is done, then finishes and commits the batch in
// hand and leaves the group. It returns an error only for an unusable
// configuration.
func (c *KafkaConsumer) Run(ctx context.Context) error {
	c.init()
	if len(c.Brokers) == 0 || c.Topic == "" || c.Sink == nil {
		return errors.New("stream: KafkaConsumer needs Brokers, a Topic and a Sink")
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers...), kgo.ConsumerGroup(c.Group), kgo.ConsumeTopics(c.Topic),
		kgo.DisableAutoCommit(), kgo.BlockRebalanceOnPoll(), kgo.FetchMaxWait(time.Second),
		kgo.OnPartitionsRevoked(func(ctx context.Context, _ *kgo.Client, revoked map[string][]int32) {
			c.mu.Lock()
			for _, p := range revoked[c.Topic] {
				delete(c.lags, p)
			}
			c.mu.Unlock()
		}))
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.client = cl
	c.mu.Unlock()
	defer cl.Close() // leaves the group
	for ctx.Err() == nil {
		fetches := cl.PollRecords(ctx, c.Batch)
		if fetches.IsClientClosed() {
			return nil
		}
		fetches.EachError(func(topic string, p int32, err error) {
			if ctx.Err() == nil && !errors.Is(err, context.Canceled) {
				c.Logger.Warn("stream: kafka fetch", "topic", topic, "partition", p, "err", err)
			}
		})
		var recs []*kgo.Record
		fetches.EachPartition(func(p kgo.FetchTopicPartition) {
			if len(p.Records) > 0 {
				recs = append(recs, p.Records...)
				last := p.Records[len(p.Records)-1].Offset
				c.mu.Lock()
				c.lags[p.Partition] = max(p.HighWatermark-last-1, 0)
				c.mu.Unlock()
			}
		})
		c.lag.Set(float64(c.Lag()))
		if len(recs) > 0 {
			// The batch in hand is finished even when shutdown begins, so a
			// drain commits what it took.
			wctx := context.WithoutCancel(ctx)
			for attempt := 0; ; attempt++ {
				err := c.handle(wctx, cl, recs)
				if err == nil {
					break
				}
				c.processed.WithLabelValues("retry").Add(float64(len(recs)))
				c.Logger.Warn("stream: kafka batch failed; will retry", "records", len(recs), "err", err)
				if ctx.Err() != nil && attempt >= 2 {
					return nil // shutting down: the uncommitted batch is replayed by the next owner
				}
				time.Sleep(time.Duration(min(attempt+1, 5)) * time.Second)
			}
		}
		cl.AllowRebalance()
	}
	return nil
}

// handle stores one polled batch and commits its offsets. An error means
// nothing was committed to Kafka and the batch must be handled again.
func (c *KafkaConsumer) handle(ctx context.Context, cl *kgo.Client, recs []*kgo.Record) error {
	var events []*anxin.Event
	seen := map[string]bool{}
	dupes, dead := 0, 0
	for _, r := range recs {
		e, err := Decode(r.Value)
		if err != nil {
			reason := anxin.MessageOf(err)
			dl := &kgo.Record{Topic: c.DeadLetter, Key: r.Key, Value: deadLetterBody(r.Topic, r.Value, reason),
				Headers: []kgo.RecordHeader{{Key: "Anxin-Dead-Letter-Reason", Value: []byte(reason)},
					{Key: "Anxin-Source", Value: []byte(r.Topic + "/" + strconv.Itoa(int(r.Partition)) + "/" + strconv.FormatInt(r.Offset, 10))}}}
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := cl.ProduceSync(pctx, dl).FirstErr()
			cancel()
			if err != nil {
				return err // the dead letter must be safe before the commit
			}
			dead++
			continue
		}
		if seen[e.ID] {
			dupes++
			continue
		}
		seen[e.ID] = true
		events = append(events, e)
	}
	if len(events) > 0 {
		res, err := c.Sink.IngestEvents(systemContext(ctx, "kafka"), events)
		if err != nil {
			return err
		}
		c.processed.WithLabelValues("stored").Add(float64(res.Stored))
		c.processed.WithLabelValues("duplicate").Add(float64(res.Duplicates + dupes))
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := cl.CommitRecords(cctx, recs...); err != nil {
		// Stored but not committed: the replay is absorbed as duplicates.
		return err
	}
	c.processed.WithLabelValues("dead_letter").Add(float64(dead))
	return nil
}
