package sqlstore

import "strings"

// search restricts a list query to rows whose id starts with text or whose
// textCol contains it, ignoring case; LIKE's wildcards in text are escaped so
// they match themselves. An empty text adds nothing.
func (q *listQuery) search(text, textCol string) {
	text = strings.TrimSpace(text)
	if text == "" {
		return
	}
	esc := likeEscape(strings.ToLower(text))
	q.where = append(q.where, `(LOWER(id) LIKE ? ESCAPE '\' OR LOWER(`+textCol+`) LIKE ? ESCAPE '\')`)
	q.args = append(q.args, esc+"%", "%"+esc+"%")
}

// likeEscape escapes LIKE's wildcards and its escape character in text, for
// a pattern written with ESCAPE '\', so that text matches itself.
func likeEscape(text string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(text)
}
