package classify

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"strings"

	"anxin"
)

// Limits of a labelled file.
const (
	MaxLineBytes = 64 << 10
	MaxTextBytes = anxin.MaxTextLen
)

// ReadExamples reads labelled JSONL: one object per line with "id", "kind",
// "text" and "label" (Clean, a category or an alias; stored canonical).
// Blank lines are skipped. A malformed line, an unknown field or label, a
// missing text, an invalid kind, a repeated id, a line over MaxLineBytes or
// more than MaxExamples lines return Invalid naming the line; nothing is
// returned then.
func ReadExamples(r io.Reader) ([]Example, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLineBytes)
	var out []Example
	ids := map[string]int{}
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		}
		if len(b) == 0 {
			continue
		}
		fail := func(format string, args ...any) ([]Example, error) {
			return nil, anxin.Errorf(anxin.Invalid, "line %d: "+format, append([]any{line}, args...)...)
		}
		if len(out) == MaxExamples {
			return fail("more than %d examples.", MaxExamples)
		}
		var e Example
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return fail("not a JSON object with id, kind, text and label (%s).", strings.TrimPrefix(err.Error(), "json: "))
		}
		if dec.More() {
			return fail("more than one JSON value on the line.")
		}
		label, err := Canonical(e.Label)
		if err != nil {
			return fail("%s", anxin.MessageOf(err))
		}
		e.Label = label
		switch {
		case strings.TrimSpace(e.Text) == "":
			return fail("text is required.")
		case len(e.Text) > MaxTextBytes:
			return fail("text is longer than %d bytes.", MaxTextBytes)
		case !validKind(e.Kind):
			return fail("kind %q is not listing, livestream_segment, video, comment or image_text.", truncate(e.Kind, 40))
		case len(e.ID) > 128:
			return fail("id is longer than 128 bytes.")
		}
		if e.ID != "" {
			if prev, ok := ids[e.ID]; ok {
				return fail("id %q repeats line %d.", e.ID, prev)
			}
			ids[e.ID] = line
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			return nil, anxin.Errorf(anxin.Invalid, "line %d: longer than %d bytes.", line+1, MaxLineBytes)
		}
		return nil, anxin.Errorf(anxin.Invalid, "The labelled file cannot be read after line %d.", line)
	}
	return out, nil
}

func validKind(k string) bool {
	switch k {
	case "listing", "livestream_segment", "video", "comment", "image_text":
		return true
	}
	return false
}
