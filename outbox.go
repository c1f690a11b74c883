package anxin

import (
	"context"
	"encoding/json"
	"time"
)

// Action types sent to the marketplace as webhooks. Capabilities add their
// own; the payload of each is documented in the OpenAPI document under
// components.schemas.WebhookPayload.
const (
	ActionDelistListing    = "listing.delist"
	ActionBanListing       = "listing.ban"
	ActionRestoreListing   = "listing.restore"
	ActionRestrictMerchant = "merchant.restrict"
	ActionClearOutMerchant = "merchant.clear_out"
	ActionPayBuyer         = "buyer.pay"
	ActionNotify           = "notify"
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
}

// WebhookService manages endpoints and deliveries.
type WebhookService interface {
	CreateWebhook(ctx context.Context, w *Webhook) error
	FindWebhooks(ctx context.Context) ([]*Webhook, error)
	DeleteWebhook(ctx context.Context, id string) error
	FindDeliveries(ctx context.Context, state string, page Page) ([]*Delivery, string, error)
	// Redeliver moves a dead delivery back to pending. NotFound if absent.
	Redeliver(ctx context.Context, id string) error
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
