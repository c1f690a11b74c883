package anxin_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"anxin"
)

func as(role anxin.Role) context.Context {
	return anxin.NewContextWithActor(context.Background(), anxin.Actor{KeyID: "k_" + string(role), Role: role})
}

func TestCheckKeyChange(t *testing.T) {
	tests := []struct {
		name   string
		ctx    context.Context
		target anxin.Role
		want   anxin.Kind
	}{
		{"local creates privacy", context.Background(), anxin.RolePrivacy, ""},
		{"local creates a merchant key", context.Background(), anxin.MerchantRole("m1"), ""},
		{"admin creates privacy", as(anxin.RoleAdmin), anxin.RolePrivacy, ""},
		{"admin creates platform", as(anxin.RoleAdmin), anxin.RolePlatform, ""},
		{"admin creates admin", as(anxin.RoleAdmin), anxin.RoleAdmin, ""},
		{"admin creates a rights holder", as(anxin.RoleAdmin), anxin.RightsHolderRole("rh_1"), ""},
		{"operator creates operator", as(anxin.RoleOperator), anxin.RoleOperator, ""},
		{"operator creates privacy", as(anxin.RoleOperator), anxin.RolePrivacy, anxin.Forbidden},
		{"operator creates platform", as(anxin.RoleOperator), anxin.RolePlatform, anxin.Forbidden},
		{"operator creates finance", as(anxin.RoleOperator), anxin.RoleFinance, anxin.Forbidden},
		{"operator creates admin", as(anxin.RoleOperator), anxin.RoleAdmin, anxin.Forbidden},
		{"operator creates auditor", as(anxin.RoleOperator), anxin.RoleAuditor, anxin.Forbidden},
		{"operator creates care (decrypts)", as(anxin.RoleOperator), anxin.RoleCare, anxin.Forbidden},
		{"operator impersonates a shop", as(anxin.RoleOperator), anxin.MerchantRole("m1"), anxin.Forbidden},
		{"operator impersonates a rights holder", as(anxin.RoleOperator), anxin.RightsHolderRole("rh_1"), anxin.Forbidden},
		{"privacy creates privacy", as(anxin.RolePrivacy), anxin.RolePrivacy, anxin.Forbidden},
		{"merchant creates merchant", as(anxin.MerchantRole("m1")), anxin.MerchantRole("m1"), anxin.Forbidden},
		{"unknown role", as(anxin.RoleAdmin), "root", anxin.Invalid},
		{"hostile scope", as(anxin.RoleAdmin), anxin.Role("merchant:" + strings.Repeat("x", 5000)), anxin.Invalid},
		{"empty scope", as(anxin.RoleAdmin), "merchant:", anxin.Invalid},
		{"role without a key", anxin.NewContextWithActor(context.Background(), anxin.Actor{Role: anxin.RoleOperator}), anxin.RoleReviewer, ""},
	}
	for _, tt := range tests {
		err := anxin.CheckKeyChange(tt.ctx, tt.target)
		if got := anxin.KindOf(err); got != tt.want {
			t.Errorf("%s: CheckKeyChange(%.40q) = %v; want %q", tt.name, tt.target, err, tt.want)
		}
		if err != nil && len(anxin.MessageOf(err)) > 300 {
			t.Errorf("%s: message is %d bytes; want at most 300", tt.name, len(anxin.MessageOf(err)))
		}
	}
}

// TestNoKeyEscalates checks the subset rule over every pair of fixed roles:
// whenever a non-admin key may create a role, that role's permissions are
// contained in the creator's.
func TestNoKeyEscalates(t *testing.T) {
	roles := []anxin.Role{anxin.RolePlatform, anxin.RoleOperator, anxin.RoleReviewer, anxin.RoleCare, anxin.RoleFinance, anxin.RolePrivacy,
		anxin.RoleAuditor, anxin.RoleQuality, anxin.RoleAdmin, anxin.MerchantRole("m1"), anxin.RightsHolderRole("rh1")}
	for _, creator := range roles {
		if creator == anxin.RoleAdmin {
			continue
		}
		for _, target := range roles {
			if anxin.CheckKeyChange(as(creator), target) != nil {
				continue
			}
			mine := anxin.Permissions(creator)
			for _, a := range anxin.Permissions(target) {
				if !slices.Contains(mine, a) {
					t.Errorf("%s may create %s keys, which may %s", creator, target, a)
				}
			}
			if anxin.PrivilegedRole(target) {
				t.Errorf("%s may create privileged %s keys", creator, target)
			}
		}
	}
	if roles, scoped := anxin.CreatableRoles(as(anxin.RoleOperator)); slices.Contains(roles, anxin.RolePrivacy) || scoped || !slices.Contains(roles, anxin.RoleOperator) {
		t.Errorf("CreatableRoles(operator) = %v, %v", roles, scoped)
	}
	if roles, scoped := anxin.CreatableRoles(as(anxin.RoleAdmin)); len(roles) != 9 || !scoped {
		t.Errorf("CreatableRoles(admin) = %v, %v; want all nine and scoped", roles, scoped)
	}
}
