// Package hashbank computes perceptual image hashes and answers "which known
// hashes are within Hamming distance d" without a linear scan.
//
// Three hashes are computed from decoded image bytes: PDQ, the 256-bit hash
// Meta published for sharing hash lists between platforms (see pdq.go; it
// agrees with the reference implementation), and two classic 64-bit hashes,
// a difference hash (DHash) and a DCT hash (PHash). Near-duplicate images
// (re-encoded, resized, lightly cropped or recoloured) land within a small
// Hamming distance of each other; PDQ's usual match threshold is 31 bits.
// Hash lists are exchanged in the formats of ThreatExchange and
// Hasher-Matcher-Actioner (exchange.go).
//
//	h, err := hashbank.HashImage(data) // data: JPEG, PNG or GIF bytes
//	idx := hashbank.NewIndex256()
//	idx.Add(1, known)
//	matches := idx.Search(h.PDQ, 31)
//
// The package does no I/O beyond decoding the bytes it is given.
package hashbank

import (
	"bytes"
	"encoding/hex"
	"image"
	_ "image/gif" // register decoders for HashImage
	_ "image/jpeg"
	_ "image/png"
	"math"
	"math/bits"
	"sort"
	"strings"

	"anxin"
)

// Limits on images accepted by HashImage. Decompression bombs are caught by
// reading the header first: an image whose declared size exceeds MaxPixels
// is refused before any pixel is decoded.
const (
	MaxImageBytes = 10 << 20 // 10 MiB of encoded data
	MaxPixels     = 40 << 20 // 40 megapixels declared
)

// Hash256 is a 256-bit hash, most significant word first.
type Hash256 [4]uint64

// Hashes are the perceptual hashes of one image.
type Hashes struct {
	DHash  uint64  `json:"dhash"`
	PHash  uint64  `json:"phash"`
	PDQ    Hash256 `json:"pdq"`
	Width  int     `json:"width"`
	Height int     `json:"height"`
	// Quality is PDQ's quality metric, 0..100, from the image's gradients.
	// Flat images (a blank square) hash unreliably and score low; callers
	// should not act on matches of images with quality under 50.
	Quality int `json:"quality"`
	// Dihedral holds the PDQ hashes of the image's rotated and mirrored
	// copies, indexed by Original … FlipMinus1; Dihedral[Original] == PDQ.
	Dihedral [8]Hash256 `json:"-"`
}

// Hex renders h as 64 hex digits.
func (h Hash256) Hex() string {
	var b [32]byte
	for i, w := range h {
		for j := 0; j < 8; j++ {
			b[i*8+j] = byte(w >> (56 - 8*j))
		}
	}
	return hex.EncodeToString(b[:])
}

// ParseHash256 parses 64 hex digits. It returns an Invalid error otherwise.
func ParseHash256(s string) (Hash256, error) {
	var h Hash256
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != 32 {
		return h, anxin.Errorf(anxin.Invalid, "A 256-bit hash is 64 hex digits.")
	}
	for i := range h {
		for j := 0; j < 8; j++ {
			h[i] = h[i]<<8 | uint64(b[i*8+j])
		}
	}
	return h, nil
}

// Distance returns the Hamming distance between two 256-bit hashes.
func Distance(a, b Hash256) int {
	return bits.OnesCount64(a[0]^b[0]) + bits.OnesCount64(a[1]^b[1]) + bits.OnesCount64(a[2]^b[2]) + bits.OnesCount64(a[3]^b[3])
}

// Distance64 returns the Hamming distance between two 64-bit hashes.
func Distance64(a, b uint64) int { return bits.OnesCount64(a ^ b) }

// HashImage decodes JPEG, PNG or GIF bytes and returns their hashes. It
// returns Invalid for bytes that are not a supported image and TooLarge for
// images over MaxImageBytes or MaxPixels.
func HashImage(data []byte) (Hashes, error) {
	if len(data) > MaxImageBytes {
		return Hashes{}, anxin.Errorf(anxin.TooLarge, "The image is larger than %d bytes.", MaxImageBytes)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return Hashes{}, anxin.Errorf(anxin.Invalid, "The bytes are not a JPEG, PNG or GIF image.")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return Hashes{}, anxin.Errorf(anxin.TooLarge, "The image declares %d×%d pixels; the limit is %d pixels.", cfg.Width, cfg.Height, MaxPixels)
	}
	img, err := decodeImage(data, format)
	if err != nil {
		return Hashes{}, anxin.Errorf(anxin.Invalid, "The image could not be decoded.")
	}
	return HashDecoded(img), nil
}

// decodeImage decodes the image. JPEGs are decoded as libjpeg decodes them
// (jpeg.go), so that their hashes agree with other platforms'; the few
// kinds of JPEG that decoder leaves out are decoded by image/jpeg.
func decodeImage(data []byte, format string) (image.Image, error) {
	if format == "jpeg" {
		if img, err := decodeJPEG(data); err == nil {
			return img, nil
		}
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	return img, err
}

// HashDecoded hashes an already decoded image. DHash and PHash are taken
// from PDQ's 64×64 luminance buffer, so the image is filtered once.
func HashDecoded(img image.Image) Hashes {
	b := img.Bounds()
	h := Hashes{Width: b.Dx(), Height: b.Dy()}
	st := pdqCompute(img)
	if !st.ok {
		return h
	}
	h.Quality = st.quality
	var t [16][16]float32
	for k := range 8 {
		dihedral(&st.dct, &t, k)
		h.Dihedral[k] = pdqBits(&t)
	}
	h.PDQ = h.Dihedral[Original]
	g64 := make([]float64, 64*64)
	for i := range 64 {
		for j := range 64 {
			g64[i*64+j] = float64(st.buf[i][j])
		}
	}
	h.PHash = phash(resample(g64, 64, 64, 32, 32))
	h.DHash = dhash(resample(g64, 64, 64, 9, 8))
	return h
}

// resample box-averages a sw×sh grid into dw×dh.
func resample(src []float64, sw, sh, dw, dh int) []float64 {
	out := make([]float64, dw*dh)
	for y := 0; y < dh; y++ {
		y0, y1 := y*sh/dh, max((y+1)*sh/dh, y*sh/dh+1)
		for x := 0; x < dw; x++ {
			x0, x1 := x*sw/dw, max((x+1)*sw/dw, x*sw/dw+1)
			var s float64
			for yy := y0; yy < y1; yy++ {
				for xx := x0; xx < x1; xx++ {
					s += src[yy*sw+xx]
				}
			}
			out[y*dw+x] = s / float64((y1-y0)*(x1-x0))
		}
	}
	return out
}

// dhash compares horizontally adjacent cells of a 9×8 grid.
func dhash(g []float64) uint64 {
	var h uint64
	for y := 0; y < 8; y++ {
		for x := 0; x < 8; x++ {
			h <<= 1
			if g[y*9+x] < g[y*9+x+1] {
				h |= 1
			}
		}
	}
	return h
}

// dctMatrix returns the n×k DCT-II basis: m[u*n+x] = cos((2x+1)uπ/2n).
func dctMatrix(n, k int) []float64 {
	m := make([]float64, k*n)
	for u := 0; u < k; u++ {
		for x := 0; x < n; x++ {
			m[u*n+x] = math.Cos(float64(2*x+1) * float64(u) * math.Pi / float64(2*n))
		}
	}
	return m
}

var (
	dct32x8 = dctMatrix(32, 9)
)

// dct2 computes the k×k low-frequency 2-D DCT of an n×n grid.
func dct2(g []float64, n, k int, basis []float64) []float64 {
	tmp := make([]float64, k*n) // rows transformed: tmp[u*n+y]
	for y := 0; y < n; y++ {
		row := g[y*n : y*n+n]
		for u := 0; u < k; u++ {
			var s float64
			b := basis[u*n : u*n+n]
			for x := 0; x < n; x++ {
				s += row[x] * b[x]
			}
			tmp[u*n+y] = s
		}
	}
	out := make([]float64, k*k)
	for u := 0; u < k; u++ {
		col := tmp[u*n : u*n+n]
		for v := 0; v < k; v++ {
			var s float64
			b := basis[v*n : v*n+n]
			for y := 0; y < n; y++ {
				s += col[y] * b[y]
			}
			out[v*k+u] = s
		}
	}
	return out
}

// phash is the classic 64-bit DCT hash: the 8×8 lowest frequencies of a
// 32×32 grid, excluding the DC term, thresholded at their median.
func phash(g []float64) uint64 {
	c := dct2(g, 32, 9, dct32x8)
	vals := make([]float64, 0, 64)
	for v := 1; v <= 8; v++ {
		for u := 1; u <= 8; u++ {
			vals = append(vals, c[v*9+u])
		}
	}
	med := median(append([]float64(nil), vals...))
	var h uint64
	for _, x := range vals {
		h <<= 1
		if x > med {
			h |= 1
		}
	}
	return h
}

// median sorts v in place and returns its median.
func median(v []float64) float64 {
	sort.Float64s(v)
	n := len(v)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}
