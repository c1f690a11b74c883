package sqlstore

import (
	"strconv"
	"strings"
)

// rebind rewrites ? placeholders to $1, $2, … for PostgreSQL. Question marks
// inside single-quoted strings, double-quoted identifiers and comments are
// left alone. SQLite queries pass through unchanged. Results are cached per
// query text, so the rewrite costs one map lookup after the first call.
func (db *DB) rebind(q string) string {
	if db.Dialect != Postgres {
		return q
	}
	if v, ok := db.rebinds.Load(q); ok {
		return v.(string)
	}
	r := rebind(q)
	db.rebinds.Store(q, r)
	return r
}

func rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(q) {
				if q[j] == c {
					if j+1 < len(q) && q[j+1] == c { // doubled quote escapes itself
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= len(q) {
				j = len(q) - 1
			}
			b.WriteString(q[i : j+1])
			i = j
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i - 1
			}
			b.WriteString(q[i : i+j+1])
			i += j
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
