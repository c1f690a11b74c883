package anxin

import (
	"unicode/utf8"
)

// Limits on untrusted input. They are documented in the OpenAPI document and
// the README; a value over a limit is rejected whole with Invalid or TooLarge.
const (
	MaxIDLen      = 128      // bytes in any id
	MaxNameLen    = 256      // bytes in a name
	MaxTitleLen   = 1024     // bytes in a listing's title, in a check and in the mirror alike
	MaxTextLen    = 64 << 10 // bytes in a description or content text
	MaxAttributes = 64       // entries in an attribute map
	MaxImages     = 32       // image hashes on a listing or content item
	MaxOrderItems = 200      // items in one order
	MaxAmountFen  = 1 << 50  // ~11 trillion yuan: anything larger is an error, never an overflow
	MaxBatch      = 5000     // events or entities in one request
	MaxBodyBytes  = 16 << 20 // bytes in one request body
)

// ValidateID checks that id is 1..MaxIDLen bytes of [A-Za-z0-9_.:-].
// Restricting ids keeps them safe in URLs, logs and SQL text quoted by
// drivers, and stops look-alike ids from colliding.
func ValidateID(field, id string) error {
	if id == "" {
		return Errorf(Invalid, "%s is required.", field)
	}
	if len(id) > MaxIDLen {
		return Errorf(Invalid, "%s is longer than %d bytes.", field, MaxIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == ':') {
			return Errorf(Invalid, "%s may contain only letters, digits, '_', '-', '.' and ':'.", field)
		}
	}
	return nil
}

// ValidateOptionalID is ValidateID that accepts "".
func ValidateOptionalID(field, id string) error {
	if id == "" {
		return nil
	}
	return ValidateID(field, id)
}

// ValidateText checks that s is valid UTF-8, at most max bytes, and free of
// control characters other than tab, newline and carriage return. NUL bytes
// in particular are rejected: PostgreSQL cannot store them in text.
func ValidateText(field, s string, max int) error {
	if len(s) > max {
		return Errorf(Invalid, "%s is longer than %d bytes.", field, max)
	}
	if !utf8.ValidString(s) {
		return Errorf(Invalid, "%s is not valid UTF-8.", field)
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return Errorf(Invalid, "%s contains a control character.", field)
		}
	}
	return nil
}

// ValidateAmount checks that fen is within 0..MaxAmountFen.
func ValidateAmount(field string, fen int64) error {
	if fen < 0 {
		return Errorf(Invalid, "%s must not be negative.", field)
	}
	if fen > MaxAmountFen {
		return Errorf(Invalid, "%s is larger than %d fen.", field, int64(MaxAmountFen))
	}
	return nil
}

// ValidateAttributes checks an attribute map's size, keys and values.
func ValidateAttributes(field string, m map[string]string) error {
	if len(m) > MaxAttributes {
		return Errorf(Invalid, "%s has more than %d entries.", field, MaxAttributes)
	}
	for k, v := range m {
		if k == "" {
			return Errorf(Invalid, "%s has an empty key.", field)
		}
		if err := ValidateText(field+" key", k, MaxNameLen); err != nil {
			return err
		}
		if err := ValidateText(field+"["+k+"]", v, MaxNameLen*4); err != nil {
			return err
		}
	}
	return nil
}
