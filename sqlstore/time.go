package sqlstore

import (
	"database/sql"
	"time"
)

// Timestamps are stored in both dialects as BIGINT milliseconds since the
// Unix epoch, UTC. One representation keeps comparisons, ranges and day
// buckets portable; these functions are the only conversion.

// ms converts t to stored milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

// msPtr converts an optional time to a nullable column value.
func msPtr(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// fromMS converts stored milliseconds to a UTC time.
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// fromNullMS converts a nullable column to an optional time.
func fromNullMS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

// MS and FromMS are exported for the capability stores in other files of this
// package's callers (tests, reports) that build time ranges.
func MS(t time.Time) int64 { return ms(t) }

// FromMS converts stored milliseconds to a UTC time.
func FromMS(v int64) time.Time { return fromMS(v) }
