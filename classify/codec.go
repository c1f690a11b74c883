package classify

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"math"
	"slices"

	"anxin"
)

// The model file format, version 1, little-endian:
//
//	magic    [4]byte  "AXCM"
//	format   uint16   1
//	flags    uint16   0
//	metaLen  uint32   length of meta
//	meta     JSON     Model's exported fields (labels, bits, threshold, …)
//	bias     [L]float32
//	rows     uint32   number of non-zero buckets that follow
//	rows ×   { bucket uint32, weights [L]float32 }, buckets ascending
//	sum      [32]byte SHA-256 of everything before it
//
// Only buckets with a non-zero weight are written, so a model trained on a
// few thousand texts is a few hundred kilobytes whatever its table size.
// UnmarshalBinary checks the checksum before anything else, so a truncated
// or corrupted file is rejected with a clear error, never half read.
const (
	magic         = "AXCM"
	FormatVersion = 1
	maxMeta       = 1 << 16
	// MaxFileBytes bounds a model file.
	MaxFileBytes = 256 << 20
)

// MarshalBinary encodes the model in the format above.
func (m *Model) MarshalBinary() ([]byte, error) {
	meta, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	L := len(m.Labels)
	var b bytes.Buffer
	b.WriteString(magic)
	le := binary.LittleEndian
	b.Write(le.AppendUint16(nil, FormatVersion))
	b.Write(le.AppendUint16(nil, 0))
	b.Write(le.AppendUint32(nil, uint32(len(meta))))
	b.Write(meta)
	f32 := func(v float32) { b.Write(le.AppendUint32(nil, math.Float32bits(v))) }
	for _, v := range m.bias {
		f32(v)
	}
	rows := 0
	nonZero := func(r []float32) bool { return slices.ContainsFunc(r, func(v float32) bool { return v != 0 }) }
	for i := 0; i < len(m.weights); i += L {
		if nonZero(m.weights[i : i+L]) {
			rows++
		}
	}
	b.Write(le.AppendUint32(nil, uint32(rows)))
	for i := 0; i < len(m.weights); i += L {
		if r := m.weights[i : i+L]; nonZero(r) {
			b.Write(le.AppendUint32(nil, uint32(i/L)))
			for _, v := range r {
				f32(v)
			}
		}
	}
	sum := sha256.Sum256(b.Bytes())
	b.Write(sum[:])
	return b.Bytes(), nil
}

// UnmarshalBinary decodes a model written by MarshalBinary. A file that is
// not a content model, of an unknown format version, truncated, corrupted
// (checksum mismatch) or inconsistent returns Invalid saying which; m is
// left unchanged then.
func (m *Model) UnmarshalBinary(data []byte) error {
	bad := func(format string, args ...any) error {
		return anxin.Errorf(anxin.Invalid, "The content model file is "+format, args...)
	}
	if len(data) > MaxFileBytes {
		return bad("larger than %d bytes.", MaxFileBytes)
	}
	if len(data) == 0 {
		return bad("empty.")
	}
	if len(data) < 12 || string(data[:4]) != magic {
		if len(data) < 4 && string(data) == magic[:len(data)] {
			return bad("truncated (%d bytes).", len(data))
		}
		return bad("not an Anxin content model (bad magic).")
	}
	le := binary.LittleEndian
	if v := le.Uint16(data[4:]); v != FormatVersion {
		return bad("of format version %d; this binary reads version %d.", v, FormatVersion)
	}
	if len(data) < 12+32 {
		return bad("truncated (%d bytes).", len(data))
	}
	body, sum := data[:len(data)-32], data[len(data)-32:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return bad("truncated or corrupted: its checksum does not match.")
	}
	p := body[8:]
	take := func(n int) ([]byte, bool) {
		if n < 0 || len(p) < n {
			return nil, false
		}
		out := p[:n]
		p = p[n:]
		return out, true
	}
	hdr, ok := take(4)
	if !ok || int(le.Uint32(hdr)) > maxMeta {
		return bad("inconsistent: bad metadata length.")
	}
	metaLen := int(le.Uint32(hdr))
	meta, ok := take(metaLen)
	if !ok {
		return bad("inconsistent: metadata past the end.")
	}
	var n Model
	if err := json.Unmarshal(meta, &n); err != nil {
		return bad("inconsistent: the metadata is not valid JSON.")
	}
	if n.Bits < MinBits || n.Bits > MaxBits || len(n.Labels) == 0 || len(n.Labels) > len(Categories) || n.Threshold <= 0 || n.Threshold >= 1 {
		return bad("inconsistent: bits, labels or threshold out of range.")
	}
	for i, l := range n.Labels {
		if !slices.Contains(Categories, l) || slices.Index(n.Labels, l) != i {
			return bad("inconsistent: unknown or repeated label %q.", truncate(l, 40))
		}
	}
	L := len(n.Labels)
	raw, ok := take(4 * L)
	if !ok {
		return bad("inconsistent: biases past the end.")
	}
	n.bias = make([]float32, L)
	for i := range n.bias {
		n.bias[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
	}
	hdr, ok = take(4)
	if !ok {
		return bad("inconsistent: no row count.")
	}
	rows := int(le.Uint32(hdr))
	if rows > 1<<n.Bits || len(p) != rows*(4+4*L) {
		return bad("inconsistent: %d rows do not fill the file.", rows)
	}
	n.weights = make([]float32, L<<n.Bits)
	prev := -1
	for range rows {
		raw, _ := take(4 + 4*L)
		bkt := int(le.Uint32(raw))
		if bkt <= prev || bkt >= 1<<n.Bits {
			return bad("inconsistent: bucket %d out of order or range.", bkt)
		}
		prev = bkt
		for l := range L {
			v := math.Float32frombits(le.Uint32(raw[4+4*l:]))
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return bad("inconsistent: a weight is not a finite number.")
			}
			n.weights[bkt*L+l] = v
		}
	}
	*m = n
	return nil
}
