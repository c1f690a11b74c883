package hashbank

import "image"

// A JPEG's colour planes are usually stored at half resolution, and how a
// decoder brings them back to full size changes the pixels enough to move
// a PDQ hash of a smooth image by dozens of bits. Go's decoder repeats each
// chroma sample; libjpeg, the decoder under most image libraries and under
// the PDQ reference hasher, interpolates ("fancy upsampling": a triangle
// filter, 3/4 of the nearest sample and 1/4 of the next, on each
// subsampled axis) and converts to RGB in 16-bit fixed point. So that a
// JPEG hashes here as it hashes elsewhere, ycbcrSampler does the same from
// the colour planes decodeJPEG (jpeg.go) decodes.

// ycbcrSampler returns the RGB colour of m at (x, y), with chroma
// interpolated as libjpeg does for 4:2:0 and 4:2:2 images; other
// subsamplings use the nearest chroma sample.
type ycbcrSampler struct {
	m        *image.YCbCr
	cw, ch   int // chroma plane size in samples
	x0c, y0c int // chroma coordinates of the image's top-left sample
}

func newYCbCrSampler(m *image.YCbCr) *ycbcrSampler {
	s := &ycbcrSampler{m: m}
	r := m.Rect
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio420:
		s.cw, s.ch = (r.Max.X+1)/2-r.Min.X/2, (r.Max.Y+1)/2-r.Min.Y/2
		s.x0c, s.y0c = r.Min.X/2, r.Min.Y/2
	case image.YCbCrSubsampleRatio422:
		s.cw, s.ch = (r.Max.X+1)/2-r.Min.X/2, r.Dy()
		s.x0c, s.y0c = r.Min.X/2, r.Min.Y
	case image.YCbCrSubsampleRatio440:
		s.cw, s.ch = r.Dx(), (r.Max.Y+1)/2-r.Min.Y/2
		s.x0c, s.y0c = r.Min.X, r.Min.Y/2
	}
	return s
}

// chroma returns the plane value at chroma column cx and row cy (relative
// to the plane's origin), clamped to the plane.
func (s *ycbcrSampler) chroma(plane []uint8, cx, cy int) int {
	cx, cy = min(max(cx, 0), s.cw-1), min(max(cy, 0), s.ch-1)
	return int(plane[cy*s.m.CStride+cx])
}

// upsample420 is libjpeg's h2v2 fancy upsampling at full-resolution
// (x, y): a vertical 3:1 blend with the chroma row above (even rows) or
// below (odd rows), then a horizontal 3:1 blend with the column to the left
// or right, in sixteenths with alternating rounding.
func (s *ycbcrSampler) upsample420(plane []uint8, x, y int) uint8 {
	cx, cy := x/2-s.x0c, y/2-s.y0c
	vy := cy + 1
	if y%2 == 0 {
		vy = cy - 1
	}
	colsum := func(c int) int { return 3*s.chroma(plane, c, cy) + s.chroma(plane, c, vy) }
	this := colsum(cx)
	if x%2 == 0 {
		if cx == 0 {
			return uint8((this*4 + 8) >> 4)
		}
		return uint8((this*3 + colsum(cx-1) + 8) >> 4)
	}
	if cx == s.cw-1 {
		return uint8((this*4 + 7) >> 4)
	}
	return uint8((this*3 + colsum(cx+1) + 7) >> 4)
}

// upsample422 is libjpeg's h2v1 fancy upsampling: the horizontal 3:1 blend
// alone, in quarters.
func (s *ycbcrSampler) upsample422(plane []uint8, x, y int) uint8 {
	cx, cy := x/2-s.x0c, y-s.y0c
	this := s.chroma(plane, cx, cy)
	if x%2 == 0 {
		if cx == 0 {
			return uint8(this)
		}
		return uint8((this*3 + s.chroma(plane, cx-1, cy) + 1) >> 2)
	}
	if cx == s.cw-1 {
		return uint8(this)
	}
	return uint8((this*3 + s.chroma(plane, cx+1, cy) + 2) >> 2)
}

// upsample440 is libjpeg-turbo's h1v2 fancy upsampling: the vertical 3:1
// blend alone, in quarters, with the row above for even rows and the row
// below for odd rows (clamped to the plane).
func (s *ycbcrSampler) upsample440(plane []uint8, x, y int) uint8 {
	cx, cy := x-s.x0c, y/2-s.y0c
	if y%2 == 0 {
		return uint8((3*s.chroma(plane, cx, cy) + s.chroma(plane, cx, cy-1) + 1) >> 2)
	}
	return uint8((3*s.chroma(plane, cx, cy) + s.chroma(plane, cx, cy+1) + 2) >> 2)
}

func (s *ycbcrSampler) rgb(x, y int) (uint8, uint8, uint8) {
	m := s.m
	yy := m.Y[m.YOffset(x, y)]
	var cb, cr uint8
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio420:
		cb, cr = s.upsample420(m.Cb, x, y), s.upsample420(m.Cr, x, y)
	case image.YCbCrSubsampleRatio422:
		cb, cr = s.upsample422(m.Cb, x, y), s.upsample422(m.Cr, x, y)
	case image.YCbCrSubsampleRatio440:
		cb, cr = s.upsample440(m.Cb, x, y), s.upsample440(m.Cr, x, y)
	default:
		off := m.COffset(x, y)
		cb, cr = m.Cb[off], m.Cr[off]
	}
	return jfifToRGB(yy, cb, cr)
}

// Fixed-point JFIF YCbCr → RGB coefficients with 16 fraction bits, rounded
// as libjpeg rounds them.
const (
	fixCrR = 91881  // 1.40200
	fixCbB = 116130 // 1.77200
	fixCrG = 46802  // 0.71414
	fixCbG = 22554  // 0.34414
	half16 = 1 << 15
)

// jfifToRGB converts as libjpeg does: R = Y + 1.402 (Cr-128), G = Y -
// 0.34414 (Cb-128) - 0.71414 (Cr-128), B = Y + 1.772 (Cb-128), each
// correction rounded in fixed point and the sum clamped to 0..255.
func jfifToRGB(y, cb, cr uint8) (uint8, uint8, uint8) {
	yy, b, r := int32(y), int32(cb)-128, int32(cr)-128
	red := yy + (fixCrR*r+half16)>>16
	green := yy + (-fixCbG*b+half16-fixCrG*r)>>16
	blue := yy + (fixCbB*b+half16)>>16
	return clamp8(red), clamp8(green), clamp8(blue)
}

func clamp8(v int32) uint8 {
	return uint8(min(max(v, 0), 255))
}
