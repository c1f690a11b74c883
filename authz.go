package anxin

import (
	"context"
	"sort"
	"strings"
)

// Role is what an API key or console session may do. Merchant and rights-holder
// roles are scoped to one principal: "merchant:m_123", "rightsholder:rh_9".
type Role string

// The fixed roles.
const (
	RolePlatform = Role("platform") // the marketplace integration
	RoleOperator = Role("operator") // trust & safety operators; full console access
	RoleReviewer = Role("reviewer")
	RoleCare     = Role("care")
	RoleFinance  = Role("finance")
	RolePrivacy  = Role("privacy")
	RoleAuditor  = Role("auditor")
	RoleQuality  = Role("quality")
	// RoleAdmin manages API keys and nothing else: it may create and revoke
	// keys of every role, including those that reveal personal data or move
	// money, but reads no personal data and moves no money itself.
	RoleAdmin = Role("admin")
)

// MerchantRole returns the role scoped to merchant id.
func MerchantRole(id string) Role { return Role("merchant:" + id) }

// RightsHolderRole returns the role scoped to rights holder id.
func RightsHolderRole(id string) Role { return Role("rightsholder:" + id) }

// Base returns the role without its scope: "merchant" for "merchant:m_1".
func (r Role) Base() string {
	b, _, _ := strings.Cut(string(r), ":")
	return b
}

// Scope returns the principal a scoped role is bound to, or "".
func (r Role) Scope() string {
	_, s, _ := strings.Cut(string(r), ":")
	return s
}

// Validate reports whether r is a known role with a well-formed scope.
func (r Role) Validate() error {
	switch r {
	case RolePlatform, RoleOperator, RoleReviewer, RoleCare, RoleFinance, RolePrivacy, RoleAuditor, RoleQuality, RoleAdmin:
		return nil
	}
	switch r.Base() {
	case "merchant", "rightsholder":
		if err := ValidateID("scope", r.Scope()); err != nil {
			return err
		}
		return nil
	}
	return Errorf(Invalid, "Unknown role %q: want platform, operator, reviewer, care, finance, privacy, auditor, quality, admin, merchant:<id> or rightsholder:<id>.", clipRole(r))
}

// Actor is the principal behind a request: an API key or a console session.
type Actor struct {
	KeyID string `json:"key_id"`
	Name  string `json:"name,omitempty"`
	Role  Role   `json:"role"`
}

// Action names something an actor may be allowed to do.
type Action string

// Actions of the foundation. Capabilities add their own next to their types.
const (
	ActionReadMarketplace  Action = "marketplace.read"  // view merchants, listings, orders
	ActionWriteMarketplace Action = "marketplace.write" // upsert mirror entities, post events
	ActionManageWebhooks   Action = "webhooks.manage"
	ActionManageKeys       Action = "keys.manage"
	ActionReadReport       Action = "report.read"
	ActionReadDashboard    Action = "dashboard.read"
)

// grants lists, per base role, the actions it may take. A scoped role
// (merchant:<id>) is further restricted to its own records by the service.
var grants = map[string][]Action{
	"platform":     {ActionReadMarketplace, ActionWriteMarketplace, ActionReadReport},
	"operator":     {ActionReadMarketplace, ActionManageWebhooks, ActionManageKeys, ActionReadReport, ActionReadDashboard},
	"reviewer":     {ActionReadMarketplace, ActionReadDashboard},
	"care":         {ActionReadMarketplace, ActionReadDashboard},
	"finance":      {ActionReadMarketplace, ActionReadReport, ActionReadDashboard},
	"privacy":      {ActionReadReport, ActionReadDashboard},
	"auditor":      {ActionReadMarketplace, ActionReadReport, ActionReadDashboard},
	"quality":      {ActionReadMarketplace, ActionReadDashboard},
	"merchant":     {ActionReadMarketplace, ActionReadDashboard},
	"rightsholder": {ActionReadDashboard},
	"admin":        {ActionManageKeys, ActionReadDashboard},
}

// grant adds actions to a base role's permissions. Each capability calls it
// from an init in the root-package file that declares its actions, so the
// whole permission policy stays in package anxin and capabilities do not edit
// one shared table.
func grant(base string, actions ...Action) {
	grants[base] = append(grants[base], actions...)
}

// Can reports whether role may take action, ignoring record scope.
func Can(role Role, action Action) bool {
	for _, a := range grants[role.Base()] {
		if a == action {
			return true
		}
	}
	return false
}

// Authorize returns nil if the actor in ctx may take action, Unauthorized if
// ctx carries no actor, and Forbidden otherwise. Services call it as their
// first step; record scope (a merchant seeing only its own orders) is checked
// by the service itself with ScopeOf.
func Authorize(ctx context.Context, action Action) error {
	a := ActorFromContext(ctx)
	if a.Role == "" {
		return Errorf(Unauthorized, "Authentication required.")
	}
	if !Can(a.Role, action) {
		return Errorf(Forbidden, "Role %s may not %s.", a.Role.Base(), action)
	}
	return nil
}

// MerchantScope returns the merchant id the actor in ctx is restricted to, or
// "" if the actor is not a merchant.
func MerchantScope(ctx context.Context) string {
	r := ActorFromContext(ctx).Role
	if r.Base() == "merchant" {
		return r.Scope()
	}
	return ""
}

// KeyService authenticates API keys and console sessions. Authenticate and
// Session return Unauthorized for anything but a live credential.
type KeyService interface {
	CreateKey(ctx context.Context, name string, role Role) (key string, actor *Actor, err error)
	Authenticate(ctx context.Context, key string) (*Actor, error)
	RevokeKey(ctx context.Context, id string) error
	FindKeys(ctx context.Context) ([]*Actor, error)
	CreateSession(ctx context.Context, keyID string, ttlHours int) (token, csrf string, err error)
	Session(ctx context.Context, token string) (*Actor, string, error)
	EndSession(ctx context.Context, token string) error
}

// BaseRoles returns every base role that holds at least one permission,
// sorted: "auditor", "care", …, "merchant", "rightsholder". Scoped roles
// appear once, without their scope. It is derived from the permission table,
// so a role added there is listed (and shown in the OpenAPI document's
// x-roles) with no further edit.
func BaseRoles() []string {
	out := make([]string, 0, len(grants))
	for b := range grants {
		out = append(out, b)
	}
	sort.Strings(out)
	return out
}
