package vault_test

import (
	"context"
	"strconv"
	"testing"

	"anxin/vault"
)

// BenchmarkSeal compares sealing with a cached data key (the vault's way:
// one key per record, unwrapped once) against a fresh data key per field
// (a new random key wrapped by the KEK every time), in the same run.
func BenchmarkSeal(b *testing.B) {
	ctx := context.Background()
	v := vault.New(testKEK(b))
	b.Run("cached_key", func(b *testing.B) {
		dk, _ := v.NewDataKey(ctx, "dk")
		for b.Loop() {
			if _, err := dk.Seal("pii_0123456789", "phone", "13812345678"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fresh_key_per_field", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			dk, err := v.NewDataKey(ctx, "dk_"+strconv.Itoa(i&1023))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := dk.Seal("pii_0123456789", "phone", "13812345678"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkOpen compares opening through the vault's unwrapped-key cache
// against unwrapping the data key for every field.
func BenchmarkOpen(b *testing.B) {
	ctx := context.Background()
	kek := testKEK(b)
	v := vault.New(kek)
	dk, _ := v.NewDataKey(ctx, "dk")
	blob, _ := dk.Seal("pii_0123456789", "phone", "13812345678")
	b.Run("cached_key", func(b *testing.B) {
		for b.Loop() {
			if _, err := v.Open(ctx, dk.Wrapped, "pii_0123456789", "phone", blob); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unwrap_per_field", func(b *testing.B) {
		for b.Loop() {
			if _, err := vault.New(kek).Open(ctx, dk.Wrapped, "pii_0123456789", "phone", blob); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkMask measures masking against normalising alone (the floor of
// any phone handling), same run.
func BenchmarkMask(b *testing.B) {
	b.Run("mask_phone", func(b *testing.B) {
		for b.Loop() {
			vault.MaskPhone("13812345678")
		}
	})
	b.Run("mask_name", func(b *testing.B) {
		for b.Loop() {
			vault.MaskName("张小三")
		}
	})
	b.Run("normalize_phone", func(b *testing.B) {
		for b.Loop() {
			vault.NormalizePhone("13812345678")
		}
	})
}
