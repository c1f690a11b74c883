package hashbank

// idctIslow is the accurate integer inverse DCT that libjpeg runs by
// default (its "islow" method), reproduced from the algorithm so that the
// samples match libjpeg's exactly. It is the Loeffler–Ligtenberg–Moschytz
// factorisation of the 8-point IDCT (12 multiplications, 32 additions),
// applied to the columns and then to the rows, with the multipliers in
// fixed point with 13 fraction bits. The column pass keeps 2 extra bits of
// precision; the row pass removes them together with the fraction bits
// and the factor of 8 of the 2-D transform, rounding half up. The result
// is shifted by +128 and clamped to 0..255 in the way libjpeg's range
// table does it: the value is first reduced to 10 bits (two's complement),
// so absurd values from corrupt data wrap as they do there.
//
// All products and sums are exact integers, so any grouping of the same
// constants gives the same result; only the descaling points matter.

const (
	idctConstBits = 13
	idctPass1Bits = 2

	fix0298631336 = 2446  // 0.298631336 · 2^13, rounded
	fix0390180644 = 3196  // 0.390180644
	fix0541196100 = 4433  // 0.541196100
	fix0765366865 = 6270  // 0.765366865
	fix0899976223 = 7373  // 0.899976223
	fix1175875602 = 9633  // 1.175875602
	fix1501321110 = 12299 // 1.501321110
	fix1847759065 = 15137 // 1.847759065
	fix1961570560 = 16069 // 1.961570560
	fix2053119869 = 16819 // 2.053119869
	fix2562915447 = 20995 // 2.562915447
	fix3072711026 = 25172 // 3.072711026
)

// idct8 is the 1-D 8-point LL&M inverse DCT on x[0], x[s], … x[7s],
// returning the eight outputs scaled by 2^13 (before descaling).
func idct8(x0, x1, x2, x3, x4, x5, x6, x7 int32) (o [8]int32) {
	// Even part: the rotation of x2, x6 by the constants of π/8.
	z1 := (x2 + x6) * fix0541196100
	t2 := z1 - x6*fix1847759065
	t3 := z1 + x2*fix0765366865
	t0 := (x0 + x4) << idctConstBits
	t1 := (x0 - x4) << idctConstBits
	e0, e3 := t0+t3, t0-t3
	e1, e2 := t1+t2, t1-t2

	// Odd part.
	a0, a1, a2, a3 := x7, x5, x3, x1
	y1, y2, y3, y4 := a0+a3, a1+a2, a0+a2, a1+a3
	y5 := (y3 + y4) * fix1175875602
	a0 *= fix0298631336
	a1 *= fix2053119869
	a2 *= fix3072711026
	a3 *= fix1501321110
	y1 *= -fix0899976223
	y2 *= -fix2562915447
	y3 = y3*-fix1961570560 + y5
	y4 = y4*-fix0390180644 + y5
	a0 += y1 + y3
	a1 += y2 + y4
	a2 += y2 + y3
	a3 += y1 + y4

	return [8]int32{e0 + a3, e1 + a2, e2 + a1, e3 + a0, e3 - a0, e2 - a1, e1 - a2, e0 - a3}
}

func descale(x int32, n uint) int32 { return (x + 1<<(n-1)) >> n }

// idctIslow dequantises the block (coefficients and table in natural
// order) and writes its 8×8 samples, row by row, into out.
func idctIslow(coef *[64]int16, quant *[64]uint16, out *[64]uint8) {
	var ws [64]int32
	for c := range 8 {
		if coef[8+c] == 0 && coef[16+c] == 0 && coef[24+c] == 0 && coef[32+c] == 0 &&
			coef[40+c] == 0 && coef[48+c] == 0 && coef[56+c] == 0 {
			// Only the DC term: the column is flat (what the full
			// computation gives too, without the work).
			dc := int32(coef[c]) * int32(quant[c]) << idctPass1Bits
			for r := range 8 {
				ws[8*r+c] = dc
			}
			continue
		}
		var in [8]int32
		for r := range 8 {
			in[r] = int32(coef[8*r+c]) * int32(quant[8*r+c])
		}
		o := idct8(in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7])
		for r := range 8 {
			ws[8*r+c] = descale(o[r], idctConstBits-idctPass1Bits)
		}
	}
	for r := range 8 {
		w := ws[8*r : 8*r+8]
		o := idct8(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7])
		for c := range 8 {
			out[8*r+c] = idctRange(descale(o[c], idctConstBits+idctPass1Bits+3))
		}
	}
}

// idctRange adds the level shift of 128 and clamps to a sample, after
// reducing the value to 10 bits as libjpeg's range-limit table does.
func idctRange(v int32) uint8 {
	v &= 1023
	if v >= 512 {
		v -= 1024
	}
	return clamp8(v + 128)
}
