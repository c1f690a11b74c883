package anxin

import (
	"context"
	"encoding/json"
	"time"
)

// Event types Anxin accepts from the marketplace, on POST /v1/events and on
// the stream consumers. The set is closed: an unknown type is rejected.
const (
	EventOrderCreated       = "order.created"
	EventOrderPaid          = "order.paid"
	EventOrderShipped       = "order.shipped"
	EventOrderDelivered     = "order.delivered"
	EventOrderCancelled     = "order.cancelled"
	EventShipmentScanned    = "shipment.scanned"
	EventAfterSaleRequested = "aftersale.requested"
	EventAfterSaleApproved  = "aftersale.approved"
	EventAfterSaleRejected  = "aftersale.rejected"
	EventAfterSaleReturned  = "aftersale.returned"
	EventAfterSaleRefunded  = "aftersale.refunded"
	EventAfterSaleClosed    = "aftersale.closed"
)

// EventTypes lists every accepted event type.
var EventTypes = []string{
	EventOrderCreated, EventOrderPaid, EventOrderShipped, EventOrderDelivered, EventOrderCancelled,
	EventShipmentScanned,
	EventAfterSaleRequested, EventAfterSaleApproved, EventAfterSaleRejected,
	EventAfterSaleReturned, EventAfterSaleRefunded, EventAfterSaleClosed,
}

// EventSchemaVersion is the event schema this binary reads. Events with
// another schema_version are rejected (they go to the dead letter on streams).
const EventSchemaVersion = 1

// Event is one marketplace lifecycle event. ID is chosen by the marketplace
// and makes ingestion idempotent: the same id posted twice is stored once.
type Event struct {
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	SchemaVersion int             `json:"schema_version,omitempty"`
	OccurredAt    time.Time       `json:"occurred_at"`
	Data          json.RawMessage `json:"data"`

	// Decoded payload, filled by Validate: exactly one is set.
	Order     *Order      `json:"-"` // order.created
	OrderRef  *OrderEvent `json:"-"` // order.paid/shipped/delivered/cancelled
	Scan      *ScanEvent  `json:"-"` // shipment.scanned
	AfterSale *AfterSale  `json:"-"` // aftersale.*
}

// OrderEvent is the payload of order.paid, order.shipped, order.delivered and
// order.cancelled.
type OrderEvent struct {
	OrderID    string `json:"order_id"`
	ShipmentID string `json:"shipment_id,omitempty"` // order.shipped
	Carrier    string `json:"carrier,omitempty"`     // order.shipped
	TrackingNo string `json:"tracking_no,omitempty"` // order.shipped
	Reason     string `json:"reason,omitempty"`      // order.cancelled
}

// ScanEvent is the payload of shipment.scanned.
type ScanEvent struct {
	ShipmentID string `json:"shipment_id"`
	OrderID    string `json:"order_id"`
	Carrier    string `json:"carrier,omitempty"`
	Code       string `json:"code"`
	Location   string `json:"location,omitempty"`
}

// SubjectID returns the order id an event concerns.
func (e *Event) SubjectID() string {
	switch {
	case e.Order != nil:
		return e.Order.ID
	case e.OrderRef != nil:
		return e.OrderRef.OrderID
	case e.Scan != nil:
		return e.Scan.OrderID
	case e.AfterSale != nil:
		return e.AfterSale.OrderID
	}
	return ""
}

// Validate checks an event's envelope and decodes and validates its payload.
// It never touches storage, so a whole batch can be checked before anything
// is written.
func (e *Event) Validate() error {
	if err := ValidateID("id", e.ID); err != nil {
		return err
	}
	if e.SchemaVersion != 0 && e.SchemaVersion != EventSchemaVersion {
		return Errorf(Invalid, "schema_version %d is not supported; this server reads %d.", e.SchemaVersion, EventSchemaVersion)
	}
	if e.OccurredAt.IsZero() {
		return Errorf(Invalid, "occurred_at is required.")
	}
	if y := e.OccurredAt.Year(); y < 2000 || y > 2200 {
		return Errorf(Invalid, "occurred_at is out of range.")
	}
	e.OccurredAt = e.OccurredAt.UTC()
	if len(e.Data) == 0 || string(e.Data) == "null" {
		return Errorf(Invalid, "data is required.")
	}
	strict := func(v any) error {
		if err := decodeStrict(e.Data, v); err != nil {
			return Errorf(Invalid, "data: %s", err.Error())
		}
		return nil
	}
	switch e.Type {
	case EventOrderCreated:
		o := new(Order)
		if err := strict(o); err != nil {
			return err
		}
		if o.CreatedAt.IsZero() {
			o.CreatedAt = e.OccurredAt
		}
		o.Status = OrderCreated
		if err := o.Validate(); err != nil {
			return err
		}
		e.Order = o
	case EventOrderPaid, EventOrderShipped, EventOrderDelivered, EventOrderCancelled:
		r := new(OrderEvent)
		if err := strict(r); err != nil {
			return err
		}
		if err := ValidateID("data.order_id", r.OrderID); err != nil {
			return err
		}
		if err := ValidateOptionalID("data.shipment_id", r.ShipmentID); err != nil {
			return err
		}
		if err := ValidateText("data.carrier", r.Carrier, MaxNameLen); err != nil {
			return err
		}
		if err := ValidateText("data.tracking_no", r.TrackingNo, MaxNameLen); err != nil {
			return err
		}
		if err := ValidateText("data.reason", r.Reason, MaxNameLen); err != nil {
			return err
		}
		e.OrderRef = r
	case EventShipmentScanned:
		s := new(ScanEvent)
		if err := strict(s); err != nil {
			return err
		}
		if err := ValidateID("data.shipment_id", s.ShipmentID); err != nil {
			return err
		}
		if err := ValidateID("data.order_id", s.OrderID); err != nil {
			return err
		}
		if !ValidCarrierCode(s.Code) {
			return Errorf(Invalid, "data.code must be pickup, in_transit, out_for_delivery, delivered, exception, lost or returned.")
		}
		if err := ValidateText("data.carrier", s.Carrier, MaxNameLen); err != nil {
			return err
		}
		if err := ValidateText("data.location", s.Location, MaxNameLen); err != nil {
			return err
		}
		e.Scan = s
	case EventAfterSaleRequested, EventAfterSaleApproved, EventAfterSaleRejected,
		EventAfterSaleReturned, EventAfterSaleRefunded, EventAfterSaleClosed:
		a := new(AfterSale)
		if err := strict(a); err != nil {
			return err
		}
		a.Status = map[string]string{
			EventAfterSaleRequested: "requested", EventAfterSaleApproved: "approved",
			EventAfterSaleRejected: "rejected", EventAfterSaleReturned: "returned",
			EventAfterSaleRefunded: "refunded", EventAfterSaleClosed: "closed",
		}[e.Type]
		if a.CreatedAt.IsZero() {
			a.CreatedAt = e.OccurredAt
		}
		if err := a.Validate(); err != nil {
			return err
		}
		e.AfterSale = a
	case "":
		return Errorf(Invalid, "type is required.")
	default:
		return Errorf(Invalid, "type %q is not a known event type.", e.Type)
	}
	return nil
}

// ValidateEvents validates a whole batch. It returns nil, or an Invalid
// *Error whose Details hold one ItemError per bad event, including ids that
// repeat within the batch.
func ValidateEvents(events []*Event) error {
	if len(events) == 0 {
		return Errorf(Invalid, "The batch is empty.")
	}
	if len(events) > MaxBatch {
		return &Error{Kind: TooLarge, Message: "The batch has more than 5000 events."}
	}
	var details []ItemError
	seen := make(map[string]int, len(events))
	for i, e := range events {
		if e == nil {
			details = append(details, ItemError{Index: i, Message: "event is null."})
			continue
		}
		if err := e.Validate(); err != nil {
			details = append(details, ItemError{Index: i, ID: e.ID, Message: MessageOf(err)})
			continue
		}
		if j, dup := seen[e.ID]; dup {
			details = append(details, ItemError{Index: i, ID: e.ID, Message: "id repeats the event at index " + itoa(j) + "."})
			continue
		}
		seen[e.ID] = i
	}
	if details != nil {
		return &Error{Kind: Invalid, Message: "The batch was rejected: " + itoa(len(details)) + " invalid event(s); nothing was stored.", Details: details}
	}
	return nil
}

// EventBatch is the body of POST /v1/events. Decode it with DecodeJSON
// (strict: unknown fields, trailing data and invalid UTF-8 are Invalid),
// then check it with ValidateEvents.
type EventBatch struct {
	Events []*Event `json:"events"`
}

// IngestResult counts what an ingest stored.
type IngestResult struct {
	Received   int `json:"received"`
	Stored     int `json:"stored"`
	Duplicates int `json:"duplicates"`

	// StoredByType counts the new events per type, for metrics.
	StoredByType map[string]int `json:"-"`
}

// EventService ingests marketplace events. IngestEvents validates the whole
// batch (Invalid with per-item details, nothing stored), then stores each new
// event exactly once and applies it to the mirror in one transaction; an event
// whose id is already stored counts as a duplicate and changes nothing.
type EventService interface {
	IngestEvents(ctx context.Context, events []*Event) (IngestResult, error)
}

// Capabilities react to newly stored events through hooks registered on the
// store (sqlstore.EventHook, added with DB.AddEventHook): they run inside the
// transaction that stores the events, with only the events that were new.

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
