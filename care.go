package anxin

import (
	"context"
	"time"
)

// Customer care: tickets from buyers, merchants and rights holders, routed by
// intent to one of the skill groups and worked against SLA clocks.

// The default skill groups (客服专项技能组).
const (
	GroupAfterSales      = "after_sales"      // after-sales and refunds
	GroupLogistics       = "logistics"        // delivery, tracking, lost parcels
	GroupQuality         = "quality"          // product quality complaints
	GroupCounterfeit     = "counterfeit"      // suspected fakes
	GroupAllergySafety   = "allergy_safety"   // allergy and product safety
	GroupFreshProduce    = "fresh_produce"    // spoiled or damaged fresh food
	GroupLivestream      = "livestream"       // purchases made in a livestream
	GroupMerchantSupport = "merchant_support" // merchants' own questions
	GroupIP              = "ip"               // rights holders' IP complaints
	GroupPrivacySecurity = "privacy_security" // privacy and account security
	GroupPayment         = "payment"          // payment and charges
	GroupComplaints      = "complaints"       // complaints and escalation
)

// SkillGroups lists the default skill groups in display order.
var SkillGroups = []string{
	GroupAfterSales, GroupLogistics, GroupQuality, GroupCounterfeit, GroupAllergySafety, GroupFreshProduce,
	GroupLivestream, GroupMerchantSupport, GroupIP, GroupPrivacySecurity, GroupPayment, GroupComplaints,
}

// ValidGroup reports whether g is one of the skill groups.
func ValidGroup(g string) bool {
	for _, s := range SkillGroups {
		if s == g {
			return true
		}
	}
	return false
}

// Ticket priorities, lowest first.
const (
	PriorityLow    = "low"
	PriorityNormal = "normal"
	PriorityHigh   = "high"
	PriorityUrgent = "urgent"
)

// Priorities lists the ticket priorities, lowest first.
var Priorities = []string{PriorityLow, PriorityNormal, PriorityHigh, PriorityUrgent}

// Ticket statuses.
const (
	TicketOpen     = "open"     // an agent owes the next step
	TicketWaiting  = "waiting"  // waiting on the customer: clocks paused
	TicketResolved = "resolved" // solved; a customer reply reopens it
	TicketMerged   = "merged"   // a duplicate folded into another ticket
)

// Requester kinds.
const (
	RequesterBuyer       = "buyer"
	RequesterMerchant    = "merchant"
	RequesterRightsOwner = "rightsholder"
)

// SLA clock kinds.
const (
	ClockFirstResponse = "first_response"
	ClockNextResponse  = "next_response"
	ClockResolution    = "resolution"
)

// SLA clock states.
const (
	ClockRunning = "running"
	ClockPaused  = "paused"
	ClockMet     = "met"     // stopped inside its budget
	ClockMissed  = "stopped" // stopped after it breached
)

// Limits on ticket input.
const (
	MaxTicketText  = 16 << 10 // bytes in a ticket body, message or note
	MaxAttachments = 10       // attachments on one ticket or message
	MaxAttachBytes = 20 << 20 // declared size of one attachment
)

// Attachment describes a file the marketplace stores; Anxin keeps only its
// name, type, size and SHA-256, never the bytes.
type Attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// Ticket is a service request.
type Ticket struct {
	ID            string       `json:"id"`
	RequesterKind string       `json:"requester_kind"` // buyer, merchant, rightsholder
	RequesterID   string       `json:"requester_id"`
	MerchantID    string       `json:"merchant_id,omitempty"` // the merchant concerned
	OrderID       string       `json:"order_id,omitempty"`
	ClaimID       string       `json:"claim_id,omitempty"`
	ListingID     string       `json:"listing_id,omitempty"`
	Subject       string       `json:"subject"`
	Body          string       `json:"body"`
	Attachments   []Attachment `json:"attachments,omitempty"`
	Group         string       `json:"group"`
	Priority      string       `json:"priority"`
	Status        string       `json:"status"`
	AssigneeID    string       `json:"assignee_id,omitempty"`
	MergedInto    string       `json:"merged_into,omitempty"`
	// RoutedBy says how the group was chosen: "request", "classifier" or
	// "agent" (after a transfer); Confidence is the classifier's probability.
	RoutedBy        string     `json:"routed_by"`
	Confidence      float64    `json:"confidence,omitempty"`
	Escalated       bool       `json:"escalated"`
	CreatedAt       time.Time  `json:"created_at"`
	FirstResponseAt *time.Time `json:"first_response_at,omitempty"`
	ResolvedAt      *time.Time `json:"resolved_at,omitempty"`
	UpdatedAt       time.Time  `json:"updated_at"`
	Clocks          []SLAClock `json:"clocks,omitempty"`
	Messages        []Message  `json:"messages,omitempty"`
}

// Message is a public reply on a ticket or, when Internal, a note that only
// agents see.
type Message struct {
	ID          string       `json:"id"`
	TicketID    string       `json:"ticket_id"`
	AuthorKind  string       `json:"author_kind"` // customer, agent, system
	AuthorID    string       `json:"author_id"`
	Body        string       `json:"body"`
	Internal    bool         `json:"internal"`
	Attachments []Attachment `json:"attachments,omitempty"`
	CreatedAt   time.Time    `json:"created_at"`
}

// SLAClock is one running or stopped SLA target of a ticket. Budget and
// Consumed count business seconds in the group's calendar; DueAt is when the
// remaining budget runs out if the clock keeps running, WarnAt when the
// escalation threshold is crossed.
type SLAClock struct {
	Kind      string `json:"kind"`
	State     string `json:"state"`
	BudgetS   int64  `json:"budget_s"`
	ConsumedS int64  `json:"consumed_s"`
	// RunningSince is when the clock last started or resumed (nil unless
	// running).
	RunningSince *time.Time `json:"running_since,omitempty"`
	DueAt        *time.Time `json:"due_at,omitempty"`
	WarnAt       *time.Time `json:"warn_at,omitempty"`
	Escalated    bool       `json:"escalated"`
	BreachedAt   *time.Time `json:"breached_at,omitempty"`
	StoppedAt    *time.Time `json:"stopped_at,omitempty"`
}

// Calendar is a business-hours calendar in a time zone. AlwaysOpen means
// 24/7. Hours maps a weekday (0 = Sunday) to its open intervals in minutes
// after local midnight, e.g. [[540, 720], [780, 1080]] for 09:00–12:00 and
// 13:00–18:00 (split shifts). Holidays are local dates YYYY-MM-DD when the
// calendar is closed.
type Calendar struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	TimeZone   string      `json:"time_zone"`
	AlwaysOpen bool        `json:"always_open"`
	Hours      [7][][2]int `json:"hours"`
	Holidays   []string    `json:"holidays,omitempty"`
}

// SLATarget is the budget of each clock for one priority, in minutes; zero
// means the clock does not run.
type SLATarget struct {
	FirstResponseMin int64 `json:"first_response_min"`
	NextResponseMin  int64 `json:"next_response_min"`
	ResolutionMin    int64 `json:"resolution_min"`
}

// SkillGroup is a queue of agents with its calendar and SLA policy per
// priority. WarnAtBP is the escalation threshold in basis points of the
// budget (8000 = escalate at 80 %).
type SkillGroup struct {
	ID         string               `json:"id"`
	Name       string               `json:"name"`
	CalendarID string               `json:"calendar_id"`
	Targets    map[string]SLATarget `json:"targets"`
	WarnAtBP   int64                `json:"warn_at_bp"`
	Agents     []string             `json:"agents,omitempty"`
}

// Macro is a canned reply an agent can insert.
type Macro struct {
	ID    string `json:"id"`
	Group string `json:"group,omitempty"`
	Title string `json:"title"`
	Body  string `json:"body"`
}

// NewTicket is the body of a ticket creation.
type NewTicket struct {
	RequesterKind string       `json:"requester_kind"`
	RequesterID   string       `json:"requester_id"`
	MerchantID    string       `json:"merchant_id,omitempty"`
	OrderID       string       `json:"order_id,omitempty"`
	ClaimID       string       `json:"claim_id,omitempty"`
	ListingID     string       `json:"listing_id,omitempty"`
	Subject       string       `json:"subject"`
	Body          string       `json:"body"`
	Attachments   []Attachment `json:"attachments,omitempty"`
	Group         string       `json:"group,omitempty"` // empty: the classifier routes
	Priority      string       `json:"priority,omitempty"`
	// IdempotencyKey, from the Idempotency-Key header, makes creation
	// idempotent per caller role: a retry returns the first ticket.
	IdempotencyKey string `json:"-"`
}

// Validate checks a new ticket; it is Invalid or TooLarge with a message
// naming the field.
func (n *NewTicket) Validate() error {
	switch n.RequesterKind {
	case RequesterBuyer, RequesterMerchant, RequesterRightsOwner:
	default:
		return Errorf(Invalid, "requester_kind must be buyer, merchant or rightsholder.")
	}
	if err := ValidateID("requester_id", n.RequesterID); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"merchant_id", n.MerchantID}, {"order_id", n.OrderID}, {"claim_id", n.ClaimID}, {"listing_id", n.ListingID}} {
		if err := ValidateOptionalID(f.name, f.v); err != nil {
			return err
		}
	}
	if n.RequesterKind == RequesterMerchant && n.MerchantID == "" {
		n.MerchantID = n.RequesterID
	}
	if err := ValidateText("subject", n.Subject, MaxNameLen); err != nil {
		return err
	}
	if err := validateTicketText("body", n.Body); err != nil {
		return err
	}
	if n.Subject == "" && n.Body == "" {
		return Errorf(Invalid, "subject or body is required.")
	}
	if err := ValidateAttachments(n.Attachments); err != nil {
		return err
	}
	if n.Group != "" && !ValidGroup(n.Group) {
		return Errorf(Invalid, "group %q is not a skill group.", n.Group)
	}
	if n.Priority == "" {
		n.Priority = PriorityNormal
	}
	if !validPriority(n.Priority) {
		return Errorf(Invalid, "priority must be low, normal, high or urgent.")
	}
	return nil
}

func validateTicketText(field, s string) error {
	if len(s) > MaxTicketText {
		return &Error{Kind: TooLarge, Message: field + " is longer than 16384 bytes."}
	}
	return ValidateText(field, s, MaxTicketText)
}

func validPriority(p string) bool {
	for _, q := range Priorities {
		if q == p {
			return true
		}
	}
	return false
}

// ValidateAttachments checks attachment metadata: at most MaxAttachments,
// a plain file name (no path separators), an allowed content type, a size
// within MaxAttachBytes and a hex SHA-256. Threat: a hostile name such as
// "../../etc/passwd" or an executable type smuggled into an agent's browser.
func ValidateAttachments(as []Attachment) error {
	if len(as) > MaxAttachments {
		return &Error{Kind: TooLarge, Message: "A ticket or message may carry at most 10 attachments."}
	}
	for _, a := range as {
		if a.Name == "" || len(a.Name) > 200 {
			return Errorf(Invalid, "attachments.name must be 1 to 200 bytes.")
		}
		if err := ValidateText("attachments.name", a.Name, 200); err != nil {
			return err
		}
		for _, bad := range []string{"/", "\\", ".."} {
			if containsStr(a.Name, bad) {
				return Errorf(Invalid, "attachments.name must be a plain file name.")
			}
		}
		switch a.ContentType {
		case "image/jpeg", "image/png", "image/webp", "application/pdf", "video/mp4", "text/plain":
		default:
			return Errorf(Invalid, "attachments.content_type must be image/jpeg, image/png, image/webp, application/pdf, video/mp4 or text/plain.")
		}
		if a.Size <= 0 {
			return Errorf(Invalid, "attachments.size must be positive.")
		}
		if a.Size > MaxAttachBytes {
			return &Error{Kind: TooLarge, Message: "An attachment is larger than 20 MiB."}
		}
		if len(a.SHA256) != 64 {
			return Errorf(Invalid, "attachments.sha256 must be 64 hex digits.")
		}
		for i := 0; i < len(a.SHA256); i++ {
			c := a.SHA256[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return Errorf(Invalid, "attachments.sha256 must be 64 lower-case hex digits.")
			}
		}
	}
	return nil
}

func containsStr(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// Reply is an agent's or customer's message on a ticket.
type Reply struct {
	Body        string       `json:"body"`
	Attachments []Attachment `json:"attachments,omitempty"`
	// Waiting marks an agent reply that asks the customer for something: the
	// ticket waits on the customer and its clocks pause.
	Waiting bool `json:"waiting,omitempty"`
}

// Validate checks a reply.
func (r *Reply) Validate() error {
	if r.Body == "" {
		return Errorf(Invalid, "body is required.")
	}
	if err := validateTicketText("body", r.Body); err != nil {
		return err
	}
	return ValidateAttachments(r.Attachments)
}

// TicketFilter selects tickets for a queue or list.
type TicketFilter struct {
	Group      string
	Status     string // "" for all
	AssigneeID string
	MerchantID string // forced for merchant actors
	Page
}

// CSATStat is satisfaction over one slice (a group, an agent or all).
type CSATStat struct {
	Key       string  `json:"key"`
	Answers   int64   `json:"answers"`
	Satisfied int64   `json:"satisfied"` // scores 4–5
	CSAT      float64 `json:"csat"`      // satisfied ÷ answers
	Resolved  int64   `json:"resolved"`  // tickets resolved in the period
	Response  float64 `json:"response_rate"`
}

// CSATReport is CSAT for a period, overall and by group and agent.
type CSATReport struct {
	Period  Period     `json:"period"`
	Overall CSATStat   `json:"overall"`
	Groups  []CSATStat `json:"groups"`
	Agents  []CSATStat `json:"agents"`
}

// ClassifierStats describes the current intent model.
type ClassifierStats struct {
	TrainedAt time.Time `json:"trained_at"`
	Train     int       `json:"train"`    // labelled examples used for training
	Test      int       `json:"test"`     // held-out examples
	Accuracy  float64   `json:"accuracy"` // on the held-out split
	Source    string    `json:"source"`   // "seed" or "tickets"
}

// SLAEvent is an escalation or breach of a clock.
type SLAEvent struct {
	TicketID string    `json:"ticket_id"`
	Group    string    `json:"group"`
	Kind     string    `json:"kind"`  // clock kind
	Event    string    `json:"event"` // escalated, breached
	At       time.Time `json:"at"`
}

// Care actions.
const (
	ActionCareCreate  Action = "care.create"  // open tickets
	ActionCareRead    Action = "care.read"    // see tickets (merchants: their own)
	ActionCareWork    Action = "care.work"    // reply, note, assign, transfer, merge, resolve
	ActionCareManage  Action = "care.manage"  // calendars, groups, macros, classifier training
	ActionCareSurvey  Action = "care.survey"  // record a satisfaction answer
	ActionCareRespond Action = "care.respond" // reply as the customer (merchant on its own tickets)
)

func init() {
	grant("care", ActionCareCreate, ActionCareRead, ActionCareWork, ActionCareManage, ActionReadReport)
	grant("platform", ActionCareCreate, ActionCareSurvey, ActionCareRespond, ActionCareRead)
	grant("merchant", ActionCareCreate, ActionCareRead, ActionCareRespond)
	grant("operator", ActionCareRead)
	grant("auditor", ActionCareRead)
}

// CareService runs customer-care tickets. Every method authorizes first.
// Merchant actors see only tickets whose merchant_id is theirs; any other
// ticket is NotFound to them. Lookups return NotFound for absent ids;
// state changes on a resolved or merged ticket that do not apply return
// Conflict.
//
// Every state change on a merged ticket is Conflict naming the ticket it
// was merged into. The SLA rules each change applies (which clock stops,
// pauses or resumes) are those of package care.
type CareService interface {
	// CreateTicket validates n, routes it (the classifier picks the group
	// when n.Group is empty) and starts its clocks. A merchant actor opens
	// tickets as itself. Invalid or TooLarge for bad input and for a
	// referenced order, claim or listing that does not exist or belongs to
	// another merchant; nothing is stored then. With an idempotency key,
	// a replay returns the first ticket; the same key with other fields is
	// Conflict.
	CreateTicket(ctx context.Context, n *NewTicket) (*Ticket, error)
	// FindTicket returns a ticket with its clocks and messages; internal
	// notes only for care agents. NotFound if absent or hidden.
	FindTicket(ctx context.Context, id string) (*Ticket, error)
	// FindTickets pages tickets; Invalid for a bad filter or cursor.
	FindTickets(ctx context.Context, f TicketFilter) ([]*Ticket, string, error)
	// Reply adds a public message: an agent's (care role) or the
	// customer's (platform relaying the buyer, or the merchant). Invalid
	// for an empty or oversized body; Conflict for an agent's reply on a
	// resolved ticket (the customer's reply reopens it).
	Reply(ctx context.Context, id string, r Reply) (*Message, error)
	// AddNote adds an internal note; Forbidden for anyone but care agents.
	AddNote(ctx context.Context, id, body string) (*Message, error)
	// Assign gives the ticket to agent, or picks one by strategy
	// ("round_robin" or "least_loaded") among the group's agents. Invalid
	// for an unknown strategy or a group without agents.
	Assign(ctx context.Context, id, agent, strategy string) (*Ticket, error)
	// Transfer moves the ticket to another skill group. Invalid for an
	// unknown group, Conflict when it is already there.
	Transfer(ctx context.Context, id, group, reason string) (*Ticket, error)
	// Merge folds duplicate id into ticket into. Invalid into itself or
	// across requesters; Conflict when into was merged itself.
	Merge(ctx context.Context, id, into string) (*Ticket, error)
	// SetWaiting pauses or resumes the ticket's clocks; Conflict on a
	// resolved ticket.
	SetWaiting(ctx context.Context, id string, waiting bool) (*Ticket, error)
	// Resolve closes the ticket and asks the requester for a survey;
	// Conflict if already resolved.
	Resolve(ctx context.Context, id, resolution string) (*Ticket, error)
	// AnswerSurvey records a 1–5 score once. Invalid for a score outside
	// 1..5; Conflict for a ticket not resolved or already rated.
	AnswerSurvey(ctx context.Context, id string, score int, comment string) error
	CSAT(ctx context.Context, p Period) (*CSATReport, error)
	SLAEvents(ctx context.Context, p Period, limit int) ([]SLAEvent, error)

	PutCalendar(ctx context.Context, c *Calendar) error
	FindCalendars(ctx context.Context) ([]*Calendar, error)
	PutGroup(ctx context.Context, g *SkillGroup) error
	FindGroups(ctx context.Context) ([]*SkillGroup, error)
	PutMacro(ctx context.Context, m *Macro) error
	FindMacros(ctx context.Context, group string) ([]*Macro, error)

	TrainClassifier(ctx context.Context) (*ClassifierStats, error)
	ClassifierStats(ctx context.Context) (*ClassifierStats, error)
}
