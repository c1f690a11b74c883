package hashbank

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// referenceHash is one line of testdata/pdq/reference.tsv: the reference
// implementation's quality and eight dihedral hashes of one image.
type referenceHash struct {
	file     string
	quality  int
	dihedral [8]Hash256
}

func readReference(t testing.TB) []referenceHash {
	t.Helper()
	f, err := os.Open(filepath.Join(pdqImageDir, "reference.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []referenceHash
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 10 {
			t.Fatalf("reference.tsv: %d columns in %q; want 10", len(cols), line)
		}
		r := referenceHash{file: cols[0]}
		if r.quality, err = strconv.Atoi(cols[1]); err != nil {
			t.Fatal(err)
		}
		for k := range 8 {
			if r.dihedral[k], err = ParseHash256(cols[2+k]); err != nil {
				t.Fatalf("reference.tsv %s: %v", r.file, err)
			}
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 40 {
		t.Fatalf("reference.tsv has %d images; want every image in testdata/pdq", len(out))
	}
	return out
}

// TestPDQMatchesReference hashes every test image and compares the hash,
// the quality and the eight dihedral variants with the reference
// implementation's. Every image must match exactly, JPEGs included: they
// are decoded as libjpeg decodes them under the reference (jpeg.go).
func TestPDQMatchesReference(t *testing.T) {
	exact := 0
	refs := readReference(t)
	for _, ref := range refs {
		data, err := os.ReadFile(filepath.Join(pdqImageDir, ref.file))
		if err != nil {
			t.Fatal(err)
		}
		h, err := HashImage(data)
		if err != nil {
			t.Fatalf("HashImage(%s) = %v", ref.file, err)
		}
		const limit = 0
		if h.Quality != ref.quality {
			t.Errorf("HashImage(%s).Quality = %d; want %d", ref.file, h.Quality, ref.quality)
		}
		worst := 0
		for k := range 8 {
			d := Distance(h.Dihedral[k], ref.dihedral[k])
			worst = max(worst, d)
			if d > limit {
				t.Errorf("HashImage(%s).Dihedral[%s] = %s; want %s (reference), %d bits apart (limit %d)", ref.file, DihedralNames[k], h.Dihedral[k].Hex(), ref.dihedral[k].Hex(), d, limit)
			}
		}
		if h.PDQ != h.Dihedral[Original] {
			t.Errorf("HashImage(%s).PDQ != Dihedral[orig]", ref.file)
		}
		if worst == 0 {
			exact++
		}
		t.Logf("%-40s quality %3d (reference %3d)  bits from reference: %d", ref.file, h.Quality, ref.quality, worst)
	}
	t.Logf("%d of %d images match the reference exactly in all eight variants", exact, len(refs))
}

// TestPDQDihedralMatchesTransformedImages checks that each variant
// computed from the original's coefficients finds the reference's hash of
// the image actually rotated or mirrored: it is the nearest of the eight
// and within 48 bits, while unrelated variants are about 128 bits away.
// Mirroring is not exact in PDQ itself (the decimation picks each cell's
// centre-right sample, which moves when the image is mirrored, and even
// box windows are lopsided), so the reference's own variants are as far.
func TestPDQDihedralMatchesTransformedImages(t *testing.T) {
	refs := map[string]referenceHash{}
	for _, r := range readReference(t) {
		refs[r.file] = r
	}
	for _, base := range []string{"circles-320x200", "scene-256x256"} {
		data, err := os.ReadFile(filepath.Join(pdqImageDir, "dih-"+base+"-orig.png"))
		if err != nil {
			t.Fatal(err)
		}
		h, err := HashImage(data)
		if err != nil {
			t.Fatal(err)
		}
		for k := range 8 {
			ref, ok := refs["dih-"+base+"-"+DihedralNames[k]+".png"]
			if !ok {
				t.Fatalf("no reference hash for %s %s", base, DihedralNames[k])
			}
			target := ref.dihedral[Original]
			d := Distance(h.Dihedral[k], target)
			for j := range 8 {
				if j != k && Distance(h.Dihedral[j], target) <= d {
					t.Errorf("%s %s: variant %s (%d bits) is nearer the transformed image than variant %s (%d bits)", base, DihedralNames[k], DihedralNames[j], Distance(h.Dihedral[j], target), DihedralNames[k], d)
				}
			}
			if d > 48 {
				t.Errorf("%s: Dihedral[%s] is %d bits from the reference hash of the %s image; want ≤ 48", base, DihedralNames[k], d, DihedralNames[k])
			}
			t.Logf("%s %-6s: variant vs reference hash of the transformed image: %d bits", base, DihedralNames[k], d)
		}
	}
}

func TestPDQSmallAndFlatImages(t *testing.T) {
	for _, tt := range []struct {
		name      string
		w, h      int
		wantZero  bool
		wantQualZ bool
	}{
		{"4x4", 4, 4, true, true},
		{"4x100", 4, 100, true, true},
		{"100x4", 100, 4, true, true},
		{"5x5", 5, 5, false, false},
	} {
		h, q := PDQ(gradient(tt.w, tt.h))
		if (h == Hash256{}) != tt.wantZero {
			t.Errorf("PDQ(%s) = %s; want zero hash %v", tt.name, h.Hex(), tt.wantZero)
		}
		if (q == 0) != tt.wantQualZ {
			t.Errorf("PDQ(%s) quality = %d; want zero %v", tt.name, q, tt.wantQualZ)
		}
	}
	if _, q := PDQ(flat(300, 300, 200)); q != 0 {
		t.Errorf("PDQ(flat image) quality = %d; want 0", q)
	}
}

// FuzzHashImage: arbitrary bytes are hashed or refused, never a panic, and
// a hashed image's PDQ is its Dihedral[Original].
func FuzzHashImage(f *testing.F) {
	for _, name := range []string{"tiny-5x5.png", "tiny-12x7-gray.png", "palette-210x140.png", "gradient-300x200.jpg",
		"circles-400x300-restart.jpg", "radial-gray-333x222-progressive.jpg", "scene-301x199-411.jpg", "gradient-300x200-440.jpg"} {
		data, err := os.ReadFile(filepath.Join(pdqImageDir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := HashImage(data)
		if err != nil {
			return
		}
		if h.PDQ != h.Dihedral[Original] || h.Quality < 0 || h.Quality > 100 {
			t.Fatalf("HashImage = %+v; want PDQ == Dihedral[orig] and quality 0..100", h)
		}
	})
}
