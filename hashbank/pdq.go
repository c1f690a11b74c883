package hashbank

import (
	"image"
	"image/color"
	"math"
	"slices"
)

// This file is PDQ, the 256-bit perceptual image hash Meta published in
// 2017 for hash sharing between platforms, written from its published
// description. The steps, each reproduced to the bit because other
// platforms' hash lists are only useful if our hashes agree with theirs:
//
//  1. Large images are first reduced to 512×512 by nearest-neighbour
//     sampling (both axes, aspect ratio not kept), as the reference hasher
//     does before filtering, so that the box filters stay cheap.
//  2. Luminance Y = 0.299 R + 0.587 G + 0.114 B in single precision; a
//     greyscale image's grey value is used as it is.
//  3. A Jarosz filter: two rounds of a box filter along the rows and then
//     along the columns, with a window of ⌈n/128⌉ samples on an axis of n
//     (half the 1/64 share per round), approximating a tent filter; then
//     decimation to 64×64 by taking the sample at each cell's centre.
//  4. The quality metric: the sum of absolute neighbour differences of the
//     64×64 buffer, each scaled to 0..100 and truncated, divided by 90 and
//     capped at 100.
//  5. The 16×16 lowest non-constant frequencies of the 2-D DCT-II of the
//     64×64 buffer (frequencies 1..16 on each axis), computed as D·A·Dᵀ
//     with a 16×64 DCT matrix.
//  6. Each of the 256 coefficients becomes a bit: 1 when it is greater than
//     their median (the 128th smallest).
//
// The eight dihedral variants (rotations and mirror images) come from the
// same 16×16 coefficients without re-hashing: mirroring an axis of length
// 64 multiplies the coefficient of frequency u by (-1)^u, and a transpose
// swaps the two frequency axes.
//
// Arithmetic is float32 with the reference's order of operations, and
// products are converted explicitly so that the compiler cannot fuse them
// into FMA instructions, which would round differently.

const (
	pdqDownsampleDim = 512 // images larger on either axis are sampled down to 512×512 first
	pdqMinDim        = 5   // smaller images hash to zero with quality 0
	pdqJaroszPasses  = 2
)

// Dihedral transformations of an image, as indexes into a [8]Hash256 from
// PDQDihedral, named as the reference names them. Rotations are
// counter-clockwise (Rotate90 turns the right edge into the top edge).
// FlipX mirrors about the horizontal axis (top and bottom swap), FlipY
// about the vertical axis (left and right swap); FlipPlus1 mirrors across
// the main diagonal (a transpose) and FlipMinus1 across the other one.
const (
	Original = iota
	Rotate90
	Rotate180
	Rotate270
	FlipX
	FlipY
	FlipPlus1
	FlipMinus1
)

// DihedralNames are the names of the eight variants, by index, as the
// reference hasher prints them.
var DihedralNames = [8]string{"orig", "rot90", "rot180", "rot270", "flipx", "flipy", "flipp", "flipm"}

// dctMatrix16x64 is the 16×64 DCT-II matrix, rows for frequencies 1..16,
// scaled by √(2/64): d[u][x] = √(2/64)·cos(π/128·(u+1)·(2x+1)).
var dctMatrix16x64 = func() (d [16][64]float32) {
	scale := float64(float32(math.Sqrt(2.0 / 64)))
	for u := range 16 {
		for x := range 64 {
			d[u][x] = float32(scale * math.Cos(math.Pi/2/64*float64(u+1)*float64(2*x+1)))
		}
	}
	return d
}()

// pdqState is the 64×64 luminance buffer and its 16×16 DCT for one image.
type pdqState struct {
	buf     [64][64]float32
	dct     [16][16]float32
	quality int
	ok      bool // false for images under pdqMinDim on an axis
}

// PDQ returns the PDQ hash of img and its quality (0..100). Images smaller
// than 5 pixels on either axis hash to zero with quality 0. Matches of
// hashes with quality under 50 are unreliable (flat or nearly flat images
// hash alike), which is the threshold hash-sharing programmes use.
func PDQ(img image.Image) (Hash256, int) {
	st := pdqCompute(img)
	if !st.ok {
		return Hash256{}, 0
	}
	return pdqBits(&st.dct), st.quality
}

// PDQDihedral returns the PDQ hashes of img and of its seven rotated and
// mirrored copies (indexed by Original … FlipMinus1), and the quality. It
// costs one hash: the variants come from the same DCT coefficients.
func PDQDihedral(img image.Image) ([8]Hash256, int) {
	var out [8]Hash256
	st := pdqCompute(img)
	if !st.ok {
		return out, 0
	}
	var t [16][16]float32
	for k := range 8 {
		dihedral(&st.dct, &t, k)
		out[k] = pdqBits(&t)
	}
	return out, st.quality
}

// dihedral writes into b the DCT coefficients of the image transformed by
// variant k, from a, the coefficients of the original. Row index i is the
// vertical frequency i+1, column index j the horizontal frequency j+1, so
// mirroring negates the even indexes (odd frequencies) of that axis.
func dihedral(a, b *[16][16]float32, k int) {
	for i := range 16 {
		for j := range 16 {
			v := a[i][j]
			negRow, negCol := i%2 == 0, j%2 == 0 // odd frequency: sign flips when mirrored
			switch k {
			case Original:
				b[i][j] = v
			case Rotate90: // transpose, then mirror top-bottom
				b[j][i] = sign(v, negCol)
			case Rotate180:
				b[i][j] = sign(v, negRow != negCol)
			case Rotate270: // transpose, then mirror left-right
				b[j][i] = sign(v, negRow)
			case FlipX:
				b[i][j] = sign(v, negRow)
			case FlipY:
				b[i][j] = sign(v, negCol)
			case FlipPlus1:
				b[j][i] = v
			case FlipMinus1:
				b[j][i] = sign(v, negRow != negCol)
			}
		}
	}
}

func sign(v float32, neg bool) float32 {
	if neg {
		return -v
	}
	return v
}

// pdqBits thresholds the 256 coefficients at their median. Bit k = 16i+j
// has weight 2^k in the hash read as a 256-bit number, the layout of the
// reference's 64-hex-digit form.
func pdqBits(c *[16][16]float32) Hash256 {
	vals := make([]float32, 0, 256)
	for i := range 16 {
		vals = append(vals, c[i][:]...)
	}
	slices.Sort(vals)
	med := vals[127] // (n+1)/2-th smallest of n = 256
	var h Hash256
	for i := range 16 {
		for j := range 16 {
			if c[i][j] > med {
				k := i*16 + j
				h[3-k/64] |= 1 << uint(k%64)
			}
		}
	}
	return h
}

// pdqCompute runs steps 1–5 on img.
func pdqCompute(img image.Image) *pdqState {
	st := &pdqState{}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < pdqMinDim || h < pdqMinDim {
		return st
	}
	// Step 1: the source column and row of each sample.
	sw, sh := w, h
	if w > pdqDownsampleDim || h > pdqDownsampleDim {
		sw, sh = pdqDownsampleDim, pdqDownsampleDim
	}
	xs, ys := make([]int, sw), make([]int, sh)
	for x := range xs {
		xs[x] = b.Min.X + x*w/sw
	}
	for y := range ys {
		ys[y] = b.Min.Y + y*h/sh
	}
	luma := lumaSamples(img, xs, ys)
	tmp := make([]float32, len(luma))
	wRows, wCols := jaroszWindow(sw), jaroszWindow(sh)
	for range pdqJaroszPasses {
		for y := range sh {
			box1D(luma[y*sw:], tmp[y*sw:], sw, 1, wRows)
		}
		boxColumns(tmp, luma, sw, sh, wCols)
	}
	if sw == 64 && sh == 64 {
		// The reference takes a 64×64 image as it is, unfiltered.
		lumaSamplesInto(img, xs, ys, luma)
	}
	for i := range 64 {
		si := int((float64(i) + 0.5) * float64(sh) / 64)
		for j := range 64 {
			sj := int((float64(j) + 0.5) * float64(sw) / 64)
			st.buf[i][j] = luma[si*sw+sj]
		}
	}
	st.quality = pdqQuality(&st.buf)
	dct64To16(&st.buf, &st.dct)
	st.ok = true
	return st
}

// jaroszWindow is the box-filter window for an axis of n samples reduced
// to 64: ⌈n/128⌉.
func jaroszWindow(n int) int { return (n + 2*64 - 1) / (2 * 64) }

// box1D writes into out the moving average of the n samples of in, stride
// apart, over a window of full samples: out[o] averages in[o-back … o+ahead]
// clipped to the vector, where ahead = ⌊full/2⌋ and back = full-1-ahead. The
// sum runs forward, adding the sample entering the window before taking out
// the one leaving it, so that the rounding matches the reference's.
func box1D(in, out []float32, n, stride, full int) {
	ahead := full / 2 // (full+2)/2 - 1
	var sum float32
	var count int
	for i := 0; i < ahead && i < n; i++ {
		sum += in[i*stride]
		count++
	}
	for o := range n {
		if r := o + ahead; r < n {
			sum += in[r*stride]
			if l := r - full; l >= 0 {
				sum -= in[l*stride]
			} else {
				count++
			}
		} else {
			sum -= in[(r-full)*stride]
			count--
		}
		out[o*stride] = sum / float32(count)
	}
}

// boxColumns is box1D down every column of the w×h buffer in, into out,
// with the columns' running sums kept side by side so that memory is read
// row by row. Each column's sums see the same operations in the same order
// as box1D's, so the results are identical.
func boxColumns(in, out []float32, w, h, full int) {
	ahead := full / 2
	sums := make([]float32, w)
	add := func(row int) {
		for x, v := range in[row*w : row*w+w] {
			sums[x] += v
		}
	}
	sub := func(row int) {
		for x, v := range in[row*w : row*w+w] {
			sums[x] -= v
		}
	}
	count := 0
	for i := 0; i < ahead && i < h; i++ {
		add(i)
		count++
	}
	for o := range h {
		if r := o + ahead; r < h {
			add(r)
			if l := r - full; l >= 0 {
				sub(l)
			} else {
				count++
			}
		} else {
			sub(r - full)
			count--
		}
		c := float32(count)
		dst := out[o*w : o*w+w]
		for x := range dst {
			dst[x] = sums[x] / c
		}
	}
}

// pdqQuality is step 4.
func pdqQuality(buf *[64][64]float32) int {
	sum := 0
	for i := range 63 {
		for j := range 64 {
			sum += absInt(int(float32((buf[i][j]-buf[i+1][j])*100) / 255))
		}
	}
	for i := range 64 {
		for j := range 63 {
			sum += absInt(int(float32((buf[i][j]-buf[i][j+1])*100) / 255))
		}
	}
	return min(sum/90, 100)
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// dct64To16 is step 5: out = D·A·Dᵀ, accumulated in index order.
func dct64To16(a *[64][64]float32, out *[16][16]float32) {
	d := &dctMatrix16x64
	var t [16][64]float32
	for i := range 16 {
		for j := range 64 {
			var s float32
			for k := range 64 {
				s += float32(d[i][k] * a[k][j])
			}
			t[i][j] = s
		}
	}
	for i := range 16 {
		for j := range 16 {
			var s float32
			for k := range 64 {
				s += float32(t[i][k] * d[j][k])
			}
			out[i][j] = s
		}
	}
}

// lumaSamples returns the luminance of img at columns xs and rows ys, row
// by row (step 2).
func lumaSamples(img image.Image, xs, ys []int) []float32 {
	out := make([]float32, len(xs)*len(ys))
	lumaSamplesInto(img, xs, ys, out)
	return out
}

const (
	lumaR float32 = 0.299
	lumaG float32 = 0.587
	lumaB float32 = 0.114
)

func rgbLuma(r, g, b uint8) float32 {
	return float32(float32(lumaR*float32(r))+float32(lumaG*float32(g))) + float32(lumaB*float32(b))
}

func lumaSamplesInto(img image.Image, xs, ys []int, out []float32) {
	k := 0
	switch m := img.(type) {
	case *image.Gray:
		for _, y := range ys {
			for _, x := range xs {
				out[k] = float32(m.Pix[m.PixOffset(x, y)])
				k++
			}
		}
	case *image.Gray16:
		for _, y := range ys {
			for _, x := range xs {
				out[k] = float32(m.Pix[m.PixOffset(x, y)]) // high byte
				k++
			}
		}
	case *image.YCbCr:
		s := newYCbCrSampler(m)
		for _, y := range ys {
			for _, x := range xs {
				out[k] = rgbLuma(s.rgb(x, y))
				k++
			}
		}
	case *image.RGBA:
		for _, y := range ys {
			for _, x := range xs {
				p := m.Pix[m.PixOffset(x, y):]
				out[k] = rgbLuma(p[0], p[1], p[2])
				k++
			}
		}
	case *image.NRGBA:
		// Colour without alpha: a transparent area counts as its colour,
		// as image libraries do when they drop the alpha channel.
		for _, y := range ys {
			for _, x := range xs {
				p := m.Pix[m.PixOffset(x, y):]
				out[k] = rgbLuma(p[0], p[1], p[2])
				k++
			}
		}
	default:
		for _, y := range ys {
			for _, x := range xs {
				c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
				out[k] = rgbLuma(c.R, c.G, c.B)
				k++
			}
		}
	}
}
