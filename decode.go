package anxin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// DecodeJSON decodes one JSON value from data into v, rejecting unknown
// fields, trailing data and invalid UTF-8. Its errors are Invalid and name
// the offending field or offset, never the value.
func DecodeJSON(data []byte, v any) error {
	if !utf8.Valid(data) {
		return Errorf(Invalid, "The body is not valid UTF-8.")
	}
	if err := decodeStrict(data, v); err != nil {
		return Errorf(Invalid, "The body is not valid JSON for this request: %s.", err.Error())
	}
	return nil
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return describeJSONError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

func describeJSONError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var pe *time.ParseError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Errorf("field %q must be %s", te.Field, te.Type.String())
		}
		return fmt.Errorf("value at byte %d must be %s", te.Offset, te.Type.String())
	case errors.As(err, &pe):
		return errors.New("a timestamp is not RFC 3339")
	case errors.Is(err, io.EOF):
		return errors.New("empty body")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("the JSON ends early")
	}
	msg := Clip(err.Error())
	// encoding/json's own messages name fields, not values (e.g. unknown field "x").
	return errors.New(strings.TrimPrefix(msg, "json: "))
}
