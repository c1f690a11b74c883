package sqlstore

import "testing"

func TestRebind(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"a = ? AND b = ?", "a = $1 AND b = $2"},
		{"x = '?' AND y = ?", "x = '?' AND y = $1"},
		{`"we?ird" = ?`, `"we?ird" = $1`},
		{"x = 'it''s ?' AND y = ?", "x = 'it''s ?' AND y = $1"},
		{"-- why?\nSELECT ?", "-- why?\nSELECT $1"},
		{"x = 'unterminated ?", "x = 'unterminated ?"},
	}
	for _, tt := range tests {
		if got := rebind(tt.in); got != tt.want {
			t.Errorf("rebind(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzRebind(f *testing.F) {
	f.Add("a = ? AND b = '?' -- ?\n AND c = ?")
	f.Fuzz(func(t *testing.T, q string) {
		r := rebind(q)
		if rebind(q) != r {
			t.Fatal("not deterministic")
		}
		if len(r) < len(q) {
			t.Fatalf("rebind shortened %q to %q", q, r)
		}
	})
}
