package evaluate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"anxin"
)

// Limits on a labelled file.
const (
	MaxFileBytes = 32 << 20              // the whole file
	MaxLineBytes = 6*MaxTextBytes + 4096 // one line: a text of MaxTextBytes, JSON-escaped
	MaxItems     = 200_000
	MaxTextBytes = anxin.MaxTextLen
	MaxIDBytes   = 200
)

// Item is one labelled text.
type Item struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"`
	Text  string `json:"text"`
	Label string `json:"label"`
	Note  string `json:"note,omitempty"`
	// Line is the item's line number in its file (1-based).
	Line int `json:"-"`
}

// Parse reads labelled JSON lines, one object per line:
//
//	{"id","kind":"listing|comment|caption|message","text","label","note"?}
//
// Blank lines are skipped. Any bad line (not JSON, unknown field, missing or
// oversize text, unknown kind or label, repeated id), a file over maxBytes
// (≤ 0: MaxFileBytes) or with no items returns an Invalid *anxin.Error whose
// message names the line; nothing is returned with it.
func Parse(r io.Reader, maxBytes int64) ([]Item, error) {
	if maxBytes <= 0 {
		maxBytes = MaxFileBytes
	}
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		items []Item
		ids   = map[string]int{}
		read  int64
		line  int
	)
	for {
		b, n, err := readLine(br, MaxLineBytes)
		line++
		if read += int64(n); read > maxBytes {
			return nil, anxin.Errorf(anxin.Invalid, "The labelled file is larger than %d bytes (at line %d).", maxBytes, line)
		}
		if errors.Is(err, errLongLine) {
			return nil, anxin.Errorf(anxin.Invalid, "Line %d is longer than %d bytes.", line, MaxLineBytes)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read line %d: %w", line, err)
		}
		if b = bytes.TrimSpace(b); len(b) > 0 {
			it, perr := parseLine(b, line)
			if perr != nil {
				return nil, perr
			}
			if prev, ok := ids[it.ID]; ok {
				return nil, anxin.Errorf(anxin.Invalid, "Line %d: id %q repeats line %d.", line, it.ID, prev)
			}
			ids[it.ID] = line
			if len(items) == MaxItems {
				return nil, anxin.Errorf(anxin.Invalid, "Line %d: the labelled file has more than %d items.", line, MaxItems)
			}
			items = append(items, it)
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if len(items) == 0 {
		return nil, anxin.Errorf(anxin.Invalid, "The labelled file has no items.")
	}
	return items, nil
}

var errLongLine = errors.New("line too long")

// readLine returns the next line without its newline and the bytes it
// consumed, or errLongLine once a line passes max bytes.
func readLine(br *bufio.Reader, max int) ([]byte, int, error) {
	var out []byte
	n := 0
	for {
		chunk, err := br.ReadSlice('\n')
		n += len(chunk)
		if len(out)+len(chunk) > max+1 {
			return nil, n, errLongLine
		}
		out = append(out, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err == nil {
			return out[:len(out)-1], n, nil
		}
		return out, n, err
	}
}

func parseLine(b []byte, line int) (Item, error) {
	bad := func(format string, args ...any) (Item, error) {
		return Item{}, anxin.Errorf(anxin.Invalid, "Line %d: %s.", line, fmt.Sprintf(format, args...))
	}
	if !utf8.Valid(b) {
		return bad("not valid UTF-8")
	}
	var it Item
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&it); err != nil {
		return bad("not a JSON object of id, kind, text, label and note (%s)", jsonReason(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return bad("unexpected data after the JSON object")
	}
	it.Line = line
	switch {
	case strings.TrimSpace(it.ID) == "":
		return bad("missing id")
	case len(it.ID) > MaxIDBytes:
		return bad("id longer than %d bytes", MaxIDBytes)
	case strings.TrimSpace(it.Text) == "":
		return bad("missing text (id %q)", it.ID)
	case len(it.Text) > MaxTextBytes:
		return bad("text longer than %d bytes (id %q)", MaxTextBytes, it.ID)
	case strings.ContainsRune(it.Text, 0):
		return bad("text contains a NUL byte (id %q)", it.ID)
	}
	if _, ok := Kinds[it.Kind]; !ok {
		return bad("unknown kind %q (id %q); kinds are listing, comment, caption and message", it.Kind, it.ID)
	}
	if !KnownLabel(it.Label) {
		return bad("unknown label %q (id %q); labels are clean, %s", it.Label, it.ID, strings.Join(slices.Sorted(slices.Values(Labels)), ", "))
	}
	return it, nil
}

// jsonReason describes a decoding error without quoting the input.
func jsonReason(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q must be a %s", te.Field, te.Type.String())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated"
	}
	if s := err.Error(); strings.HasPrefix(s, "json: unknown field") {
		return strings.TrimPrefix(s, "json: ")
	}
	return "malformed"
}
