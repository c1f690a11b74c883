package anxin

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"time"
)

// Message types: the type of each outbox message, sent to the marketplace
// as a webhook (what the marketplace should do or know). They are named
// Message…, not Action…, because Action… names the authorization actions
// of authz.go. Capabilities add their own; the payload of each is
// documented in the OpenAPI document under components.schemas.WebhookPayload.
const (
	MessageDelistListing    = "listing.delist"
	MessageBanListing       = "listing.ban"
	MessageRestoreListing   = "listing.restore"
	MessageRestrictMerchant = "merchant.restrict"
	MessageClearOutMerchant = "merchant.clear_out"
	MessagePayBuyer         = "buyer.pay"
	MessageNotify           = "notify"
)

// OutboxMessage is an action or notification for the marketplace, written in
// the same transaction as the decision that caused it and delivered after
// commit. ID is the idempotency key the receiver sees in every delivery
// attempt: the same action is never sent under two ids.
type OutboxMessage struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	SubjectID string          `json:"subject_id,omitempty"`
	Payload   json.RawMessage `json:"payload"`
	CreatedAt time.Time       `json:"created_at"`
}

// Webhook is a configured endpoint that receives outbox messages. Types
// filters by message type ("*" or empty for all). The secret signs every
// delivery and is shown once, when the webhook is created.
type Webhook struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Types     []string  `json:"types,omitempty"`
	Secret    string    `json:"secret,omitempty"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
}

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryDead      = "dead"
)

// Delivery is one message to one webhook and its attempts so far.
type Delivery struct {
	ID          string     `json:"id"`
	WebhookID   string     `json:"webhook_id"`
	MessageID   string     `json:"message_id"`
	MessageType string     `json:"message_type"`
	State       string     `json:"state"`
	Attempts    int        `json:"attempts"`
	NextAt      time.Time  `json:"next_at"`
	LastError   string     `json:"last_error,omitempty"`
	LastStatus  int        `json:"last_status,omitempty"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
}

// WebhookService manages endpoints and deliveries.
type WebhookService interface {
	CreateWebhook(ctx context.Context, w *Webhook) error
	FindWebhooks(ctx context.Context) ([]*Webhook, error)
	DeleteWebhook(ctx context.Context, id string) error
	FindDeliveries(ctx context.Context, state string, page Page) ([]*Delivery, string, error)
	// Redeliver moves a dead delivery back to pending. NotFound if absent.
	Redeliver(ctx context.Context, id string) error
	// FindAttempts returns a delivery and its recorded attempts, oldest
	// first. NotFound if the delivery is absent.
	FindAttempts(ctx context.Context, deliveryID string) (*Delivery, []*AttemptRecord, error)
}

// AttemptRecord is one recorded delivery attempt. Error never holds the
// URL, the secret or the response body.
type AttemptRecord struct {
	Attempt    int       `json:"attempt"`
	At         time.Time `json:"at"`
	Status     int       `json:"status"`
	Error      string    `json:"error,omitempty"`
	DurationMS int64     `json:"duration_ms"`
	Worker     string    `json:"worker"`
}

// Job is a durable timer: Kind names the handler, Key makes scheduling
// idempotent (scheduling the same kind and key twice keeps one job), RunAt is
// when it becomes due.
type Job struct {
	ID        string          `json:"id"`
	Kind      string          `json:"kind"`
	Key       string          `json:"key"`
	RunAt     time.Time       `json:"run_at"`
	Payload   json.RawMessage `json:"payload,omitempty"`
	Attempts  int             `json:"attempts"`
	State     string          `json:"state"` // pending, done, dead
	LastError string          `json:"last_error,omitempty"`
}

// MaxWebhookURLLen bounds a webhook URL; MaxWebhookTypes bounds its type
// filter.
const (
	MaxWebhookURLLen = 2048
	MaxWebhookTypes  = 64
)

// ActionReadJobs lets a role list durable jobs (timers) and their failures.
const ActionReadJobs Action = "jobs.read"

func init() { grant("operator", ActionReadJobs) }

// Validate checks a webhook before it is stored. The URL must be absolute
// http or https with a host and no user information (credentials in a URL
// end up in logs and on screens; put them in the receiver's check of the
// signature instead). Types entries are "*", an exact message type such as
// "listing.delist", or a prefix pattern such as "listing.*". Errors are
// Invalid.
//
// Threat (SSRF): whoever may create a webhook can make Anxin send POST
// requests to any address it can reach, including internal services. Only
// operators may manage webhooks, the sender never follows redirects, and
// delivery errors recorded for operators carry no response bodies; deployments
// that must not reach internal networks should also restrict egress.
func (w *Webhook) Validate() error {
	if w.URL == "" {
		return Errorf(Invalid, "url is required.")
	}
	if err := ValidateText("url", w.URL, MaxWebhookURLLen); err != nil {
		return err
	}
	u, err := url.Parse(w.URL)
	if err != nil {
		return Errorf(Invalid, "url is not a valid URL.")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return Errorf(Invalid, "url must use http or https.")
	}
	if u.Host == "" || u.Hostname() == "" {
		return Errorf(Invalid, "url must name a host.")
	}
	if u.User != nil {
		return Errorf(Invalid, "url must not carry a user name or password.")
	}
	if u.Fragment != "" {
		return Errorf(Invalid, "url must not have a fragment.")
	}
	if strings.ContainsAny(w.URL, " \t\r\n") {
		return Errorf(Invalid, "url must not contain white space.")
	}
	if len(w.Types) > MaxWebhookTypes {
		return Errorf(Invalid, "types has more than %d entries.", MaxWebhookTypes)
	}
	for _, t := range w.Types {
		if t == "*" {
			continue
		}
		if err := ValidateID("types entry", strings.TrimSuffix(t, ".*")); err != nil {
			return err
		}
		if strings.Contains(strings.TrimSuffix(t, ".*"), "*") {
			return Errorf(Invalid, "types entries may use * only as \"*\" or a trailing \".*\".")
		}
	}
	return nil
}

// Wants reports whether the webhook receives messages of type typ: its
// Types is empty or holds "*", typ itself, or a prefix pattern "p.*" with
// typ starting with "p.".
func (w *Webhook) Wants(typ string) bool {
	if len(w.Types) == 0 {
		return true
	}
	for _, t := range w.Types {
		if t == "*" || t == typ {
			return true
		}
		if p, ok := strings.CutSuffix(t, "*"); ok && strings.HasSuffix(p, ".") && strings.HasPrefix(typ, p) {
			return true
		}
	}
	return false
}

// ValidDeliveryState reports whether s is a delivery state or "" (all).
func ValidDeliveryState(s string) error {
	switch s {
	case "", DeliveryPending, DeliveryDelivered, DeliveryDead:
		return nil
	}
	return Errorf(Invalid, "state must be pending, delivered or dead.")
}

// DeliveryAttempt is one delivery claimed by a webhook sender for one
// attempt: the delivery (its Attempts already counts this attempt), where to
// send it, the signing secret and the message. The claim is a lease that
// ends at LeaseUntil; until then no other sender claims the delivery.
type DeliveryAttempt struct {
	Delivery
	// Try numbers this attempt from 1 since the delivery was created or
	// last redelivered; it is what backoff and the attempt limit count.
	Try        int
	URL        string
	Secret     string
	Message    OutboxMessage
	LeaseUntil time.Time
}

// DeliveryResult is the outcome of one attempt, as recorded by the sender's
// store. State is DeliveryDelivered, DeliveryPending (retry after RetryIn)
// or DeliveryDead. Status is the HTTP status (0 for a transport error) and
// Error a short description that never holds the secret, the URL or the
// response body.
type DeliveryResult struct {
	State    string
	Status   int
	Error    string
	RetryIn  time.Duration
	Duration time.Duration
}

// JobService lists durable jobs for operators. FindJobs returns Invalid for
// an unknown state and Forbidden without ActionReadJobs.
type JobService interface {
	FindJobs(ctx context.Context, state string, page Page) ([]*Job, string, error)
}

// StreamCursor is how far the outbox has been published to one broker sink
// (e.g. "nats:market.anxin", "kafka:anxin.decisions"), and which replica
// holds the lease to publish it.
type StreamCursor struct {
	Name       string    `json:"name"`
	Seq        int64     `json:"seq"`         // last outbox message published
	Lag        int64     `json:"lag"`         // outbox messages after it (head minus seq)
	Owner      string    `json:"owner"`       // the replica holding the lease
	LeaseUntil time.Time `json:"lease_until"` // a lease past this time is free to take
}

// EventStream is a replica's event consumer: the broker it reads, whether
// it is connected and how many messages wait for it.
type EventStream struct {
	Source    string `json:"source"` // nats or kafka
	Name      string `json:"name"`   // the subject or topic
	Connected bool   `json:"connected"`
	Lag       int    `json:"lag"`
}
