package rules

import (
	"reflect"
	"testing"
)

// TestMerchantEqualReadsEveryField changes each field of a merchant in
// turn: Equal must see every change, so a field added to Merchant that
// Equal does not compare fails here.
func TestMerchantEqualReadsEveryField(t *testing.T) {
	base := Merchant{ID: "m1", Known: true, Sanctions: []string{"restrict_listing"}, General: 2, Serious: 1, Counterfeit: 1, Violations: 3}
	if !base.Equal(base) {
		t.Fatal("a merchant is not Equal to itself")
	}
	same := base
	same.Sanctions = []string{"restrict_listing"} // another slice, same contents
	if !base.Equal(same) {
		t.Error("Equal compares the sanctions slice's identity, not its contents")
	}
	typ := reflect.TypeOf(base)
	for i := range typ.NumField() {
		o := base
		f := reflect.ValueOf(&o).Elem().Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(f.String() + "x")
		case reflect.Bool:
			f.SetBool(!f.Bool())
		case reflect.Int:
			f.SetInt(f.Int() + 1)
		case reflect.Slice:
			f.Set(reflect.Append(f, reflect.ValueOf("suspend_shop")))
		default:
			t.Fatalf("field %s has a kind this test does not change; extend it", typ.Field(i).Name)
		}
		if base.Equal(o) {
			t.Errorf("Equal does not see a change of %s", typ.Field(i).Name)
		}
	}
}
