package anxin

import (
	"context"
	"slices"
	"unicode/utf8"
)

// Key policy: who may create and revoke which API keys. A key never mints a
// key more powerful than itself, and the roles that reveal personal data or
// move money are minted only by an admin key or by someone holding the
// database credentials (anxin keys create). Threat: an operator key minting
// a privacy key, granting itself a wildcard decrypt and reading every
// buyer's address; or minting platform, finance or merchant:<id> keys to
// file claims that pay out, move funds or impersonate a shop.

// LocalActor is the actor recorded for work done by a process that holds the
// database credentials and no API key: the anxin CLI (anxin keys create) and
// in-process callers. A context with no actor is treated as local by
// CheckKeyChange; HTTP requests always carry the actor of their key.
var LocalActor = Actor{KeyID: "local", Name: "local", Role: "local"}

// PrivilegedRole reports whether keys of role r reveal personal data, move
// money, manage keys, or act as one merchant or rights holder: platform,
// finance, privacy, admin, merchant:<id> and rightsholder:<id>. Only an admin
// key or a local process may create or revoke them.
func PrivilegedRole(r Role) bool {
	switch r.Base() {
	case "platform", "finance", "privacy", "admin", "merchant", "rightsholder":
		return true
	}
	return false
}

// Permissions returns the actions role r may take, sorted. Scoped roles have
// the actions of their base; the scope narrows records, not actions.
func Permissions(r Role) []Action {
	out := slices.Clone(grants[r.Base()])
	slices.Sort(out)
	return slices.Compact(out)
}

// CheckKeyChange decides whether the actor in ctx may create (or revoke) a
// key of role target. It is a pure function of the actor and the policy:
//
//   - a local process (no actor in ctx) may create any valid role;
//   - an admin key may create any valid role;
//   - any other key needs keys.manage, may never create a privileged role
//     (PrivilegedRole), and the target's permissions must be a subset of its
//     own.
//
// Invalid for an unknown or malformed role, Unauthorized for a zero actor
// with a role but no key, Forbidden otherwise.
func CheckKeyChange(ctx context.Context, target Role) error {
	if err := target.Validate(); err != nil {
		return err
	}
	a := ActorFromContext(ctx)
	if a == (Actor{}) || a.Role == LocalActor.Role && a.KeyID == LocalActor.KeyID {
		return nil
	}
	if a.Role == "" {
		return Errorf(Unauthorized, "Authentication required.")
	}
	if !Can(a.Role, ActionManageKeys) {
		return Errorf(Forbidden, "Role %s may not %s.", a.Role.Base(), ActionManageKeys)
	}
	if a.Role == RoleAdmin {
		return nil
	}
	if PrivilegedRole(target) {
		return Errorf(Forbidden, "Only an admin key or \"anxin keys create\" may create or revoke %s keys.", target.Base())
	}
	mine := Permissions(a.Role)
	for _, act := range Permissions(target) {
		if !slices.Contains(mine, act) {
			return Errorf(Forbidden, "A %s key may not create or revoke %s keys: they may %s, which %s keys may not.", a.Role.Base(), target.Base(), act, a.Role.Base())
		}
	}
	return nil
}

// CreatableRoles returns the fixed roles the actor in ctx may create keys
// for, in a stable order, and whether it may create scoped merchant and
// rights-holder keys; the console offers only these.
func CreatableRoles(ctx context.Context) (roles []Role, scoped bool) {
	for _, r := range []Role{RoleOperator, RoleReviewer, RoleCare, RoleQuality, RoleAuditor, RoleFinance, RolePrivacy, RolePlatform, RoleAdmin} {
		if CheckKeyChange(ctx, r) == nil {
			roles = append(roles, r)
		}
	}
	return roles, CheckKeyChange(ctx, MerchantRole("m")) == nil
}

// clipRole returns r for an error message, cut to 64 bytes on a rune
// boundary so a hostile role cannot flood logs or responses.
func clipRole(r Role) string {
	s := string(r)
	if len(s) <= 64 {
		return s
	}
	s = s[:64]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
