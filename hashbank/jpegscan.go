package hashbank

// Entropy decoding of JPEG scans: Huffman tables, the bit reader and the
// sequential and progressive coefficient coding, as ITU-T T.81 (Annexes
// F and G) describes them.

const huffLookBits = 9

// huffTable is one Huffman table: a direct lookup for codes of up to
// huffLookBits bits and the canonical-code bounds per length for longer
// ones.
type huffTable struct {
	lut     [1 << huffLookBits]uint16 // length<<8 | symbol; 0 for none
	maxcode [17]int32                 // largest code of each length, -1 if none
	valptr  [17]int32                 // index in vals of the first code of each length
	mincode [17]int32
	vals    []byte
	defined bool
}

func (t *huffTable) build(counts [16]int, vals []byte) error {
	*t = huffTable{vals: append([]byte(nil), vals...), defined: true}
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(counts[l-1])
		t.maxcode[l] = -1
		if code+n > 1<<l || int(k+n) > len(vals) {
			return errJPEGFormat // more codes than the length allows, or too few symbols
		}
		if n > 0 {
			t.valptr[l], t.mincode[l] = k, code
			for i := range n {
				c := code + i
				if l <= huffLookBits {
					shift := huffLookBits - l
					for j := range int32(1) << shift {
						t.lut[c<<shift|j] = uint16(l)<<8 | uint16(vals[k+i])
					}
				}
			}
			code += n
			k += n
			t.maxcode[l] = code - 1
		}
		code <<= 1
	}
	return nil
}

// jpegBits reads the entropy-coded data bit by bit, most significant
// first, unstuffing 0xFF00. At a marker or the end of the data it supplies
// zero bits, as libjpeg does for a truncated scan.
type jpegBits struct {
	acc   uint32 // the next n bits, left-aligned
	n     int
	stuck bool // a marker or the end was reached
}

func (d *jpegDecoder) fill() {
	b := &d.bits
	for b.n <= 24 {
		var v byte
		if !b.stuck && d.pos < len(d.data) {
			v = d.data[d.pos]
			if v == 0xFF {
				if d.pos+1 < len(d.data) && d.data[d.pos+1] == 0x00 {
					d.pos += 2
				} else {
					b.stuck, v = true, 0
				}
			} else {
				d.pos++
			}
		} else {
			b.stuck = true
		}
		b.acc |= uint32(v) << (24 - b.n)
		b.n += 8
	}
}

func (d *jpegDecoder) getBits(n int) int32 {
	if n == 0 {
		return 0
	}
	d.fill()
	v := int32(d.bits.acc >> (32 - n))
	d.bits.acc <<= n
	d.bits.n -= n
	return v
}

func (d *jpegDecoder) getBit() bool { return d.getBits(1) != 0 }

// receiveExtend reads an s-bit magnitude and extends its sign (T.81 F.2.2.1).
func (d *jpegDecoder) receiveExtend(s int) int32 {
	v := d.getBits(s)
	if s > 0 && v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v
}

func (d *jpegDecoder) decodeHuff(t *huffTable) (byte, error) {
	d.fill()
	b := &d.bits
	if e := t.lut[b.acc>>(32-huffLookBits)]; e != 0 {
		l := int(e >> 8)
		b.acc <<= l
		b.n -= l
		return byte(e), nil
	}
	for l := huffLookBits + 1; l <= 16; l++ {
		code := int32(b.acc >> (32 - l))
		if code <= t.maxcode[l] {
			b.acc <<= l
			b.n -= l
			return t.vals[t.valptr[l]+code-t.mincode[l]], nil
		}
	}
	return 0, errJPEGFormat
}

// scan decodes one scan: its header in seg, then the entropy-coded data
// from d.pos.
func (d *jpegDecoder) scan(seg []byte) error {
	if len(seg) < 1 {
		return errJPEGFormat
	}
	ns := int(seg[0])
	if ns < 1 || ns > len(d.comps) || len(seg) < 4+2*ns {
		return errJPEGFormat
	}
	comps := make([]*jpegComponent, ns)
	for i := range ns {
		id, tables := seg[1+2*i], seg[2+2*i]
		for j := range d.comps {
			if d.comps[j].id == id {
				comps[i] = &d.comps[j]
			}
		}
		if comps[i] == nil {
			return errJPEGFormat
		}
		comps[i].td, comps[i].ta = int(tables>>4), int(tables&15)
		if comps[i].td > 3 || comps[i].ta > 3 {
			return errJPEGFormat
		}
	}
	p := seg[1+2*ns:]
	ss, se, ah, al := int(p[0]), int(p[1]), int(p[2]>>4), int(p[2]&15)
	if d.progressive {
		if ss > se || se > 63 || ss == 0 && se != 0 || ss > 0 && ns != 1 || al > 13 {
			return errJPEGFormat
		}
	} else {
		ss, se, ah, al = 0, 63, 0, 0
	}
	for _, c := range comps {
		c.pred = 0
		if ss == 0 && ah == 0 && !d.dc[c.td].defined || se > 0 && !d.ac[c.ta].defined {
			return errJPEGFormat
		}
	}
	d.bits, d.eobrun = jpegBits{}, 0

	block := func(c *jpegComponent, bx, by int) error {
		b := (*[64]int16)(c.coef[(by*c.bw+bx)*64:])
		switch {
		case !d.progressive:
			return d.sequentialBlock(c, b)
		case ss == 0 && ah == 0:
			return d.dcFirst(c, b, al)
		case ss == 0:
			if d.getBit() {
				b[0] |= 1 << al
			}
			return nil
		case ah == 0:
			return d.acFirst(c, b, ss, se, al)
		default:
			return d.acRefine(c, b, ss, se, al)
		}
	}

	var units, unitsX int // MCUs in the scan, and per row
	if ns == 1 {
		unitsX, units = comps[0].blocksWide(), comps[0].blocksWide()*comps[0].blocksHigh()
	} else {
		unitsX, units = d.mcusX, d.mcusX*d.mcusY
	}
	for u := range units {
		if d.restart > 0 && u > 0 && u%d.restart == 0 {
			d.restartMarker()
			for _, c := range comps {
				c.pred = 0
			}
		}
		ux, uy := u%unitsX, u/unitsX
		if ns == 1 {
			if err := block(comps[0], ux, uy); err != nil {
				return err
			}
			continue
		}
		for _, c := range comps {
			for v := range c.v {
				for h := range c.h {
					if err := block(c, ux*c.h+h, uy*c.v+v); err != nil {
						return err
					}
				}
			}
		}
	}
	d.bits = jpegBits{}
	return nil
}

// restartMarker drops the bits left before a restart marker and steps over
// the marker.
func (d *jpegDecoder) restartMarker() {
	d.bits, d.eobrun = jpegBits{}, 0
	for d.pos+1 < len(d.data) && d.data[d.pos] == 0xFF && d.data[d.pos+1] == 0xFF {
		d.pos++
	}
	if d.pos+1 < len(d.data) && d.data[d.pos] == 0xFF && d.data[d.pos+1] >= 0xD0 && d.data[d.pos+1] <= 0xD7 {
		d.pos += 2
	}
}

func (d *jpegDecoder) dcDiff(c *jpegComponent) (int32, error) {
	s, err := d.decodeHuff(&d.dc[c.td])
	if err != nil {
		return 0, err
	}
	if s > 16 {
		return 0, errJPEGFormat
	}
	return d.receiveExtend(int(s)), nil
}

func (d *jpegDecoder) sequentialBlock(c *jpegComponent, b *[64]int16) error {
	diff, err := d.dcDiff(c)
	if err != nil {
		return err
	}
	c.pred += diff
	b[0] = int16(c.pred)
	for k := 1; k < 64; k++ {
		rs, err := d.decodeHuff(&d.ac[c.ta])
		if err != nil {
			return err
		}
		r, s := int(rs>>4), int(rs&15)
		if s == 0 {
			if r != 15 {
				break // end of block
			}
			k += 15
			continue
		}
		k += r
		b[jpegUnzigzag[k]] = int16(d.receiveExtend(s))
	}
	return nil
}

func (d *jpegDecoder) dcFirst(c *jpegComponent, b *[64]int16, al int) error {
	diff, err := d.dcDiff(c)
	if err != nil {
		return err
	}
	c.pred += diff
	b[0] = int16(c.pred << al)
	return nil
}

func (d *jpegDecoder) acFirst(c *jpegComponent, b *[64]int16, ss, se, al int) error {
	if d.eobrun > 0 {
		d.eobrun--
		return nil
	}
	for k := ss; k <= se; k++ {
		rs, err := d.decodeHuff(&d.ac[c.ta])
		if err != nil {
			return err
		}
		r, s := int(rs>>4), int(rs&15)
		if s == 0 {
			if r != 15 {
				d.eobrun = 1<<r - 1 + int(d.getBits(r))
				break
			}
			k += 15
			continue
		}
		k += r
		b[jpegUnzigzag[k]] = int16(d.receiveExtend(s) << al)
	}
	return nil
}

// acRefine is a successive-approximation refinement scan of AC
// coefficients (T.81 G.1.2.3): coefficients already nonzero get one more
// bit each, and runs of still-zero ones lead to the newly nonzero ones.
func (d *jpegDecoder) acRefine(c *jpegComponent, b *[64]int16, ss, se, al int) error {
	p1, m1 := int16(1)<<al, int16(-1)<<al
	refine := func(z int) {
		if d.getBit() && b[z]&p1 == 0 {
			if b[z] >= 0 {
				b[z] += p1
			} else {
				b[z] += m1
			}
		}
	}
	k := ss
	if d.eobrun == 0 {
		for ; k <= se; k++ {
			rs, err := d.decodeHuff(&d.ac[c.ta])
			if err != nil {
				return err
			}
			r, s := int(rs>>4), int(rs&15)
			var val int16
			if s != 0 {
				val = m1
				if d.getBit() {
					val = p1
				}
			} else if r != 15 {
				d.eobrun = 1<<r + int(d.getBits(r))
				break
			}
			for ; k <= se; k++ {
				z := jpegUnzigzag[k]
				if b[z] != 0 {
					refine(z)
					continue
				}
				if r == 0 {
					if val != 0 {
						b[z] = val
					}
					break
				}
				r--
			}
		}
	}
	if d.eobrun > 0 {
		for ; k <= se; k++ {
			if z := jpegUnzigzag[k]; b[z] != 0 {
				refine(z)
			}
		}
		d.eobrun--
	}
	return nil
}
