package anxin

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClip(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		wantLen  int // bytes before the ellipsis
		cut      bool
	}{
		{"short", "abc", 3, false},
		{"exact", strings.Repeat("a", 200), 200, false},
		{"long ascii", strings.Repeat("a", 5000), 200, true},
		{"long cjk", strings.Repeat("安", 500), 198, true}, // 3-byte runes: 66 fit
	} {
		got := Clip(tt.in)
		body, cut := strings.CutSuffix(got, "…")
		if tt.cut != cut || len(body) != tt.wantLen || !utf8.ValidString(got) {
			t.Errorf("Clip(%s) = %d bytes, cut %v, valid %v; want %d bytes, cut %v, valid", tt.name, len(body), cut, utf8.ValidString(got), tt.wantLen, tt.cut)
		}
	}
	e := Errorf(Invalid, "Unknown role %q.", Role(strings.Repeat("r", 9000)))
	if len(e.Message) > 220 {
		t.Errorf("Errorf quoted %d bytes of a 9000-byte Role; want at most 200", len(e.Message))
	}
	args := []any{strings.Repeat("z", 300)}
	Errorf(Invalid, "%s", args...)
	if len(args[0].(string)) != 300 {
		t.Errorf("Errorf changed its caller's argument slice")
	}
}
