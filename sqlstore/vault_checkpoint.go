package sqlstore

import (
	"context"
	"encoding/json"
	"time"

	"anxin"
)

// JobAuditCheckpoint is the periodic job that sends a signed checkpoint of
// the audit chain's head to the marketplace as an audit.checkpoint webhook,
// so a copy of the head lives outside the database without anyone running
// "anxin audit anchor". The receiver keeps the payloads; any of them is an
// anchor for "anxin audit verify --anchor".
const JobAuditCheckpoint = "audit.checkpoint"

// MessageAuditCheckpoint is the outbox message type of those webhooks; its
// payload is an anxin.AuditCheckpoint.
const MessageAuditCheckpoint = "audit.checkpoint"

// DefaultCheckpointEvery is how often the checkpoint job runs by default.
const DefaultCheckpointEvery = time.Hour

// ScheduleCheckpoints schedules the next checkpoint at the next multiple of
// every (at least a minute). Every replica may call it at start: the job's
// key is the slot's time, so the slot is scheduled once.
func (s *VaultService) ScheduleCheckpoints(ctx context.Context, every time.Duration) error {
	every = max(every, time.Minute)
	return s.db.Transact(ctx, func(tx *Tx) error {
		return scheduleCheckpoint(ctx, tx, every)
	})
}

func scheduleCheckpoint(ctx context.Context, tx *Tx, every time.Duration) error {
	next := tx.Now.Truncate(every).Add(every).UTC()
	return Schedule(ctx, tx, JobAuditCheckpoint, next.Format(time.RFC3339), next, map[string]int64{"every_ms": every.Milliseconds()})
}

// HandleCheckpointJob is the JobHandler for JobAuditCheckpoint: it signs the
// head (refusing a head whose MAC does not verify, so a rewritten head is
// never vouched for; the job retries and eventually dies, which shows on the
// jobs page), enqueues the webhook and schedules the next slot, all in the
// job's transaction.
func (s *VaultService) HandleCheckpointJob(ctx context.Context, tx *Tx, job *anxin.Job) error {
	var p struct {
		EveryMS int64 `json:"every_ms"`
	}
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return err
	}
	every := max(time.Duration(p.EveryMS)*time.Millisecond, time.Minute)
	c, err := s.checkpointTx(ctx, tx)
	if err != nil {
		return err
	}
	if _, err := Enqueue(ctx, tx, MessageAuditCheckpoint, "", job.Key, c); err != nil {
		return err
	}
	return scheduleCheckpoint(ctx, tx, every)
}
