package hashbank

import (
	"errors"
	"image"
)

// This file and jpegscan.go are a JPEG decoder written so that a JPEG
// hashes here as it hashes under libjpeg, the decoder beneath the PDQ
// reference hasher and most image libraries. Go's image/jpeg reads the
// same coefficients but runs a different inverse DCT, whose samples differ
// from libjpeg's by one level on up to a few percent of pixels; on a smooth
// image that is enough to move PDQ's coefficients across their median and
// change a few bits. decodeJPEG decodes the entropy-coded coefficients
// (baseline, extended sequential and progressive Huffman, 8-bit samples)
// and runs the accurate integer inverse DCT libjpeg uses by default
// (jpegidct.go), which gives libjpeg's sample planes exactly; ycbcr.go then
// upsamples the colour planes and converts to RGB as libjpeg does.
//
// Anything else — arithmetic coding, lossless and hierarchical modes,
// 12-bit samples, CMYK, RGB-coded and unusual sampling layouts — returns
// errJPEGUnsupported, and HashImage falls back to image/jpeg.

var (
	errJPEGUnsupported = errors.New("jpeg: unsupported feature")
	errJPEGFormat      = errors.New("jpeg: invalid format")
)

// jpegUnzigzag[k] is the natural (row-major) index of the k-th coefficient
// in the zigzag order in which JPEG stores them.
var jpegUnzigzag = [64 + 16]int{
	0, 1, 8, 16, 9, 2, 3, 10,
	17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34,
	27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36,
	29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46,
	53, 60, 61, 54, 47, 55, 62, 63,
	// Runs in corrupt data may step past the last coefficient; they land
	// here, on the last one, instead of out of range.
	63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
}

type jpegComponent struct {
	id     uint8
	h, v   int // sampling factors
	tq     int // quantisation table
	w, ht  int // size of the component's plane in samples
	bw, bh int // blocks stored per row and column (whole MCUs)
	coef   []int16
	pred   int32 // DC predictor
	td, ta int   // Huffman tables of the current scan
}

// blocksWide and blocksHigh are the blocks a scan of this component alone
// covers: the plane rounded up to whole blocks, not to whole MCUs.
func (c *jpegComponent) blocksWide() int { return (c.w + 7) / 8 }
func (c *jpegComponent) blocksHigh() int { return (c.ht + 7) / 8 }

type jpegDecoder struct {
	data        []byte
	pos         int
	width       int
	height      int
	progressive bool
	comps       []jpegComponent
	hmax, vmax  int
	mcusX       int
	mcusY       int
	quant       [4][64]uint16 // natural order
	dc, ac      [4]huffTable
	restart     int
	jfif        bool
	adobe       bool
	transform   byte
	bits        jpegBits
	eobrun      int
}

// decodeJPEG decodes a JPEG to an *image.YCbCr (colour) or *image.Gray
// holding libjpeg's samples.
func decodeJPEG(data []byte) (image.Image, error) {
	d := &jpegDecoder{data: data}
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return nil, errJPEGFormat
	}
	d.pos = 2
	sawFrame := false
	for {
		marker, ok := d.nextMarker()
		if !ok || marker == 0xD9 { // end of data or EOI
			break
		}
		if marker >= 0xD0 && marker <= 0xD7 || marker == 0x01 {
			continue // stray restart marker or TEM: no segment
		}
		seg, err := d.segment()
		if err != nil {
			return nil, err
		}
		switch {
		case marker == 0xC0 || marker == 0xC1 || marker == 0xC2:
			if sawFrame {
				return nil, errJPEGFormat
			}
			sawFrame = true
			d.progressive = marker == 0xC2
			if err := d.frame(seg); err != nil {
				return nil, err
			}
		case marker == 0xC4:
			if err := d.huffmanTables(seg); err != nil {
				return nil, err
			}
		case marker == 0xCC || marker >= 0xC3 && marker <= 0xCF:
			// Arithmetic coding, lossless and hierarchical frames.
			return nil, errJPEGUnsupported
		case marker == 0xDB:
			if err := d.quantTables(seg); err != nil {
				return nil, err
			}
		case marker == 0xDD:
			if len(seg) < 2 {
				return nil, errJPEGFormat
			}
			d.restart = int(seg[0])<<8 | int(seg[1])
		case marker == 0xDA:
			if !sawFrame {
				return nil, errJPEGFormat
			}
			if err := d.scan(seg); err != nil {
				return nil, err
			}
		case marker == 0xE0:
			if len(seg) >= 5 && string(seg[:5]) == "JFIF\x00" {
				d.jfif = true
			}
		case marker == 0xEE:
			if len(seg) >= 12 && string(seg[:5]) == "Adobe" {
				d.adobe, d.transform = true, seg[11]
			}
		}
	}
	if !sawFrame {
		return nil, errJPEGFormat
	}
	return d.image()
}

// nextMarker skips to the next marker and returns its code.
func (d *jpegDecoder) nextMarker() (byte, bool) {
	for d.pos+1 < len(d.data) {
		if d.data[d.pos] != 0xFF {
			d.pos++
			continue
		}
		m := d.data[d.pos+1]
		if m == 0xFF { // fill byte
			d.pos++
			continue
		}
		d.pos += 2
		if m == 0x00 { // stuffed zero outside a scan: not a marker
			continue
		}
		return m, true
	}
	return 0, false
}

// segment returns the payload of the marker segment at d.pos.
func (d *jpegDecoder) segment() ([]byte, error) {
	if d.pos+2 > len(d.data) {
		return nil, errJPEGFormat
	}
	n := int(d.data[d.pos])<<8 | int(d.data[d.pos+1])
	if n < 2 || d.pos+n > len(d.data) {
		return nil, errJPEGFormat
	}
	seg := d.data[d.pos+2 : d.pos+n]
	d.pos += n
	return seg, nil
}

func (d *jpegDecoder) frame(seg []byte) error {
	if len(seg) < 6 {
		return errJPEGFormat
	}
	if seg[0] != 8 {
		return errJPEGUnsupported // 12-bit samples
	}
	d.height = int(seg[1])<<8 | int(seg[2])
	d.width = int(seg[3])<<8 | int(seg[4])
	n := int(seg[5])
	if d.width == 0 || d.height == 0 || len(seg) < 6+3*n {
		return errJPEGFormat // a height given later by DNL is not supported either
	}
	if n != 1 && n != 3 {
		return errJPEGUnsupported
	}
	d.comps = make([]jpegComponent, n)
	d.hmax, d.vmax = 1, 1
	for i := range d.comps {
		c := &d.comps[i]
		p := seg[6+3*i:]
		c.id, c.h, c.v, c.tq = p[0], int(p[1]>>4), int(p[1]&15), int(p[2])
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.tq > 3 {
			return errJPEGFormat
		}
		d.hmax, d.vmax = max(d.hmax, c.h), max(d.vmax, c.v)
	}
	if n == 1 {
		// A single component is always coded one block at a time.
		d.comps[0].h, d.comps[0].v, d.hmax, d.vmax = 1, 1, 1, 1
	}
	d.mcusX = (d.width + 8*d.hmax - 1) / (8 * d.hmax)
	d.mcusY = (d.height + 8*d.vmax - 1) / (8 * d.vmax)
	for i := range d.comps {
		c := &d.comps[i]
		c.w = (d.width*c.h + d.hmax - 1) / d.hmax
		c.ht = (d.height*c.v + d.vmax - 1) / d.vmax
		c.bw, c.bh = d.mcusX*c.h, d.mcusY*c.v
		c.coef = make([]int16, c.bw*c.bh*64)
	}
	return nil
}

func (d *jpegDecoder) quantTables(seg []byte) error {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, int(seg[0]&15)
		if tq > 3 || pq > 1 {
			return errJPEGFormat
		}
		seg = seg[1:]
		size := 64 << pq
		if len(seg) < size {
			return errJPEGFormat
		}
		for k := range 64 {
			v := uint16(seg[k])
			if pq == 1 {
				v = uint16(seg[2*k])<<8 | uint16(seg[2*k+1])
			}
			d.quant[tq][jpegUnzigzag[k]] = v
		}
		seg = seg[size:]
	}
	return nil
}

func (d *jpegDecoder) huffmanTables(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return errJPEGFormat
		}
		class, th := seg[0]>>4, int(seg[0]&15)
		if class > 1 || th > 3 {
			return errJPEGFormat
		}
		var counts [16]int
		total := 0
		for l := range 16 {
			counts[l] = int(seg[1+l])
			total += counts[l]
		}
		if total > 256 || len(seg) < 17+total {
			return errJPEGFormat
		}
		t := &d.dc[th]
		if class == 1 {
			t = &d.ac[th]
		}
		if err := t.build(counts, seg[17:17+total]); err != nil {
			return err
		}
		seg = seg[17+total:]
	}
	return nil
}

// image runs the inverse DCT over the coefficients and returns the planes
// in the image type Go's decoder would return.
func (d *jpegDecoder) image() (image.Image, error) {
	rect := image.Rect(0, 0, d.width, d.height)
	if len(d.comps) == 1 {
		g := image.NewGray(rect)
		d.idctPlane(&d.comps[0], g.Pix, g.Stride)
		return g, nil
	}
	// Three components: YCbCr, unless the file says RGB (libjpeg's rules:
	// a JFIF marker means YCbCr, an Adobe marker's transform flag decides,
	// and otherwise component ids 'R','G','B' mean RGB).
	rgb := !d.jfif && (d.adobe && d.transform == 0 ||
		!d.adobe && d.comps[0].id == 'R' && d.comps[1].id == 'G' && d.comps[2].id == 'B')
	if rgb || d.comps[1].h != 1 || d.comps[1].v != 1 || d.comps[2].h != 1 || d.comps[2].v != 1 {
		return nil, errJPEGUnsupported
	}
	var ratio image.YCbCrSubsampleRatio
	switch y := d.comps[0]; [2]int{y.h, y.v} {
	case [2]int{1, 1}:
		ratio = image.YCbCrSubsampleRatio444
	case [2]int{2, 1}:
		ratio = image.YCbCrSubsampleRatio422
	case [2]int{2, 2}:
		ratio = image.YCbCrSubsampleRatio420
	case [2]int{1, 2}:
		ratio = image.YCbCrSubsampleRatio440
	case [2]int{4, 1}:
		ratio = image.YCbCrSubsampleRatio411
	case [2]int{4, 2}:
		ratio = image.YCbCrSubsampleRatio410
	default:
		return nil, errJPEGUnsupported
	}
	m := image.NewYCbCr(rect, ratio)
	d.idctPlane(&d.comps[0], m.Y, m.YStride)
	d.idctPlane(&d.comps[1], m.Cb, m.CStride)
	d.idctPlane(&d.comps[2], m.Cr, m.CStride)
	return m, nil
}

// idctPlane writes the component's samples into pix (stride apart), which
// holds exactly the component's plane.
func (d *jpegDecoder) idctPlane(c *jpegComponent, pix []byte, stride int) {
	q := &d.quant[c.tq]
	var out [64]uint8
	for by := range c.blocksHigh() {
		for bx := range c.blocksWide() {
			off := (by*c.bw + bx) * 64
			idctIslow((*[64]int16)(c.coef[off:off+64]), q, &out)
			x0, y0 := bx*8, by*8
			w := min(8, c.w-x0)
			for r := range min(8, c.ht-y0) {
				copy(pix[(y0+r)*stride+x0:], out[r*8:r*8+w])
			}
		}
	}
}
