package hashbank

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"anxin"
)

// scene draws a deterministic synthetic "product photo": a gradient
// background with a few shapes, at any resolution.
func scene(seed uint64, w, h int) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 1))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	type blob struct {
		cx, cy, rad float64
		c           color.RGBA
	}
	var blobs []blob
	for range 5 {
		blobs = append(blobs, blob{r.Float64(), r.Float64(), 0.08 + 0.2*r.Float64(),
			color.RGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255}})
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			c := color.RGBA{uint8(255 * fx), uint8(255 * fy), 128, 255}
			for _, b := range blobs {
				if (fx-b.cx)*(fx-b.cx)+(fy-b.cy)*(fy-b.cy) < b.rad*b.rad {
					c = b.c
				}
			}
			img.Set(x, y, c)
		}
	}
	return img
}

func encodePNG(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image, q int) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestHashesSurviveResizeAndReencode(t *testing.T) {
	orig, err := HashImage(encodePNG(t, scene(7, 400, 300)))
	if err != nil {
		t.Fatal(err)
	}
	copyHash, err := HashImage(encodeJPEG(t, scene(7, 200, 150), 60))
	if err != nil {
		t.Fatal(err)
	}
	other, err := HashImage(encodePNG(t, scene(8, 400, 300)))
	if err != nil {
		t.Fatal(err)
	}
	if d := Distance(orig.PDQ, copyHash.PDQ); d > 31 {
		t.Errorf("PDQ distance resized JPEG copy = %d; want ≤ 31", d)
	}
	if d := Distance(orig.PDQ, other.PDQ); d <= 60 {
		t.Errorf("PDQ distance to a different image = %d; want > 60", d)
	}
	if d := Distance64(orig.PHash, copyHash.PHash); d > 10 {
		t.Errorf("PHash distance resized copy = %d; want ≤ 10", d)
	}
	if d := Distance64(orig.DHash, copyHash.DHash); d > 10 {
		t.Errorf("DHash distance resized copy = %d; want ≤ 10", d)
	}
	if d := Distance64(orig.PHash, other.PHash); d < 16 {
		t.Errorf("PHash distance to a different image = %d; want ≥ 16", d)
	}
	if orig.Width != 400 || orig.Height != 300 {
		t.Errorf("size = %dx%d; want 400x300", orig.Width, orig.Height)
	}
}

func TestHashImageBadInput(t *testing.T) {
	// A PNG header declaring 100000×100000 pixels: refused before decoding.
	var hdr bytes.Buffer
	png.Encode(&hdr, image.NewGray(image.Rect(0, 0, 1, 1)))
	bomb := hdr.Bytes()
	// IHDR width/height live at bytes 16..24; patch them (CRC mismatch is
	// not checked by DecodeConfig's header read).
	bomb = slices.Clone(bomb)
	copy(bomb[16:24], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0})
	tests := []struct {
		name string
		data []byte
		want anxin.Kind
	}{
		{"empty", nil, anxin.Invalid},
		{"text", []byte("this is not an image"), anxin.Invalid},
		{"truncated png", encodePNG(t, scene(1, 50, 50))[:60], anxin.Invalid},
		{"oversized bytes", make([]byte, MaxImageBytes+1), anxin.TooLarge},
	}
	for _, tt := range tests {
		if _, err := HashImage(tt.data); anxin.KindOf(err) != tt.want {
			t.Errorf("HashImage(%s) = %v; want kind %s", tt.name, err, tt.want)
		}
	}
	if _, err := HashImage(bomb); err == nil {
		t.Errorf("HashImage(decompression bomb) = nil error; want a refusal")
	}
}

func TestParseHash256RoundTrip(t *testing.T) {
	h := Hash256{0x0123456789abcdef, 0xfedcba9876543210, 1, 1 << 63}
	got, err := ParseHash256(h.Hex())
	if err != nil || got != h {
		t.Fatalf("ParseHash256(Hex()) = %v, %v; want %v", got, err, h)
	}
	for _, bad := range []string{"", "zz", h.Hex()[:62], h.Hex() + "00"} {
		if _, err := ParseHash256(bad); anxin.KindOf(err) != anxin.Invalid {
			t.Errorf("ParseHash256(%q) = %v; want Invalid", bad, err)
		}
	}
}

func randHash(r *rand.Rand) Hash256 {
	return Hash256{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()}
}

// flip returns h with n distinct random bits flipped.
func flip(r *rand.Rand, h Hash256, n int) Hash256 {
	for _, b := range r.Perm(256)[:n] {
		h[b/64] ^= 1 << uint(b%64)
	}
	return h
}

func TestIndex256MatchesLinearScan(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x := NewIndex256()
	var queries []Hash256
	for i := range 20000 {
		h := randHash(r)
		x.Add(int64(i), h)
		if i%1000 == 0 {
			// plant neighbours at several distances around this hash
			for _, d := range []int{0, 5, 15, 31, 32, 40, 47} {
				x.Add(int64(1_000_000+i*100+d), flip(r, h, d))
			}
			queries = append(queries, h)
		}
	}
	for _, d := range []int{0, 8, 16, 31, 40, 47} {
		for _, q := range queries {
			got, want := x.Search(q, d), x.Scan(q, d)
			if !slices.Equal(got, want) {
				t.Fatalf("Search(d=%d) = %v; want %v (linear scan)", d, got, want)
			}
		}
	}
}

func TestIndex64MatchesLinearScan(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x := NewIndex64()
	var all []uint64
	for i := range 20000 {
		h := r.Uint64()
		if i%500 == 1 {
			h = all[i-1] ^ (1<<uint(r.IntN(64)) | 1<<uint(r.IntN(64)) | 1<<uint(r.IntN(64)))
		}
		all = append(all, h)
		x.Add(int64(i), h)
	}
	for _, d := range []int{0, 3, 7, 11} {
		for qi := 0; qi < len(all); qi += 499 {
			q := all[qi]
			var want []Match
			for i, h := range all {
				if dd := Distance64(q, h); dd <= d {
					want = append(want, Match{ID: int64(i), Distance: dd})
				}
			}
			sortMatches(want)
			if got := x.Search(q, d); !slices.Equal(got, want) {
				t.Fatalf("Index64.Search(d=%d) = %v; want %v", d, got, want)
			}
		}
	}
}

// BenchmarkSearch256 compares the multi-index search with the linear scan
// over the same 1,000,000 hashes at distance 31, PDQ's usual threshold.
//
// random: uniformly random hashes, queries 20 bits from a stored one.
// pdq: 2,000 PDQ hashes of drawn scenes among the random ones, queried with
// the PDQ of a JPEG re-encoding at another size (real hashes are not
// uniform, and near copies are what the bank is for).
// dihedral: the pdq queries in all eight orientations, as a search for
// rotated and mirrored copies does (8 searches per query).
func BenchmarkSearch256(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	x := NewIndex256()
	var qs []Hash256
	for i := range 1_000_000 {
		h := randHash(r)
		x.Add(int64(i), h)
		if i%10_000 == 0 {
			qs = append(qs, flip(r, h, 20))
		}
	}
	var pdqQs [][8]Hash256
	for i := range 2000 {
		h, _ := PDQ(scene(uint64(1000+i), 96, 72))
		x.Add(int64(2_000_000+i), h)
		if i%20 == 0 {
			img, _, err := image.Decode(bytes.NewReader(encodeJPEG(b, scene(uint64(1000+i), 80, 60), 70)))
			if err != nil {
				b.Fatal(err)
			}
			d, _ := PDQDihedral(img)
			pdqQs = append(pdqQs, d)
		}
	}
	// Finish collecting the setup's garbage now: marking an index of 16
	// million small position lists takes long enough on a busy machine to
	// overlap, and slow, the first sub-benchmarks.
	runtime.GC()
	run := func(name string, search func(Hash256, int) []Match) {
		b.Run(name+"/random", func(b *testing.B) {
			i := 0
			for b.Loop() {
				if len(search(qs[i%len(qs)], 31)) == 0 {
					b.Fatal("planted neighbour not found")
				}
				i++
			}
		})
		b.Run(name+"/pdq", func(b *testing.B) {
			i, found := 0, 0
			for b.Loop() {
				if len(search(pdqQs[i%len(pdqQs)][Original], 31)) > 0 {
					found++
				}
				i++
			}
			b.ReportMetric(float64(found)/float64(i), "found/op")
		})
		b.Run(name+"/dihedral", func(b *testing.B) {
			i := 0
			for b.Loop() {
				for _, q := range pdqQs[i%len(pdqQs)] {
					search(q, 31)
				}
				i++
			}
		})
	}
	run("mih", x.Search)
	run("linear", x.Scan)
}

// BenchmarkHashImage hashes an 800×800 JPEG as HashImage does (decoded as
// libjpeg decodes it) and, for comparison, decoded by image/jpeg as
// HashImage did before.
func BenchmarkHashImage(b *testing.B) {
	data := encodeJPEG(b, scene(9, 800, 800), 85)
	b.Run("decoder=libjpeg-compatible", func(b *testing.B) {
		for b.Loop() {
			if _, err := HashImage(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decoder=image-jpeg", func(b *testing.B) {
		for b.Loop() {
			img, err := jpeg.Decode(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			HashDecoded(img)
		}
	})
}
