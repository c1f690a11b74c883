package anxin

import (
	"context"
	"time"
)

// States of a statement's submission to the DSA Transparency Database.
// pending and failed are due to be sent (failed after a transient error,
// with backoff); submitted is final and is never sent again; dead waits for
// an operator (a permanent refusal, or too many attempts); skipped is a
// statement the database does not record (it restricts nothing).
const (
	SubmissionPending   = "pending"
	SubmissionFailed    = "failed"
	SubmissionSubmitted = "submitted"
	SubmissionDead      = "dead"
	SubmissionSkipped   = "skipped"
)

// SubmissionStates lists every state, in the order the console shows them.
var SubmissionStates = []string{SubmissionPending, SubmissionFailed, SubmissionSubmitted, SubmissionDead, SubmissionSkipped}

// Actions on submissions: reading their state and dead letters, and sending
// a dead letter again.
const (
	ActionReadSubmissions  Action = "statements.submissions.read"
	ActionRetrySubmissions Action = "statements.submissions.retry"
)

func init() {
	grant("operator", ActionReadSubmissions, ActionRetrySubmissions)
	grant("auditor", ActionReadSubmissions)
	grant("platform", ActionReadSubmissions) // the platform files the statements and watches their delivery
}

// DSASubmission is one statement of reasons' submission state.
type DSASubmission struct {
	StatementID string     `json:"statement_id"`
	PUID        string     `json:"puid"`
	State       string     `json:"state"`
	Attempts    int        `json:"attempts"`              // attempts that failed or succeeded, since the last retry
	LastStatus  int        `json:"last_status,omitempty"` // the database's last HTTP status; 0 for a network error
	LastError   string     `json:"last_error,omitempty"`
	LastTryAt   *time.Time `json:"last_try_at,omitempty"`
	NextAt      time.Time  `json:"next_at"`
	SubmittedAt *time.Time `json:"submitted_at,omitempty"`
	RemoteUUID  string     `json:"remote_uuid,omitempty"` // the database's id for the statement, when it answered one
	CreatedAt   time.Time  `json:"created_at"`            // when the statement was queued
	// StatementCreatedAt is when the statement of reasons was issued.
	StatementCreatedAt time.Time `json:"statement_created_at"`
	// RetriedBy, RetryNote and RetriedAt record the operator who last sent
	// the submission again after it was dead, and why.
	RetriedBy string     `json:"retried_by,omitempty"`
	RetryNote string     `json:"retry_note,omitempty"`
	RetriedAt *time.Time `json:"retried_at,omitempty"`
}

// MaxRetryNote is the longest note a retry takes, in bytes.
const MaxRetryNote = 1000

// DSASubmissionService lists submissions and sends dead letters again.
// Reads need ActionReadSubmissions and retries ActionRetrySubmissions
// (Forbidden otherwise). FindDSASubmissions returns Invalid for an unknown
// state. RetryDSASubmission needs a note saying why (Invalid when it is
// empty or longer than MaxRetryNote), records it with the actor, and
// returns NotFound for a statement that was never queued and Conflict for
// one that is not dead: a submitted statement is never sent twice.
type DSASubmissionService interface {
	FindDSASubmissions(ctx context.Context, state string, page Page) ([]*DSASubmission, string, error)
	RetryDSASubmission(ctx context.Context, statementID, note string) (*DSASubmission, error)
	RetryDeadDSASubmissions(ctx context.Context) (int, error)
}

// SubmissionClaim is a submission leased to one submitter for one attempt,
// with the statement to send. Lease fences the result: it is recorded only
// while the lease is still this claim's.
type SubmissionClaim struct {
	DSASubmission
	Statement  *Statement
	Lease      string
	LeaseUntil time.Time
}

// SubmissionResult is what one attempt did to one claimed submission.
// Counted says whether the attempt counts towards the submission's attempts
// (a statement sent back because another one in its batch was refused is
// not charged for it). RetryIn is the delay before a pending or failed
// submission is due again.
type SubmissionResult struct {
	StatementID string
	Lease       string
	State       string
	Counted     bool
	Status      int
	Error       string
	RetryIn     time.Duration
	RemoteUUID  string
}
