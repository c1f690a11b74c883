package http

import (
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// completeOpenAPI fills in what a client generator and a linter need and
// what no fragment should have to repeat: the servers and licence, an
// operationId for every operation that has none (derived from its method
// and path, so ids are stable while routes are), and the shared error
// response for the 401 and 429 that every authenticated, rate-limited
// route can answer. It never overwrites what a fragment wrote.
func completeOpenAPI(doc map[string]any) {
	if _, ok := doc["servers"]; !ok {
		doc["servers"] = []any{map[string]any{"url": "http://127.0.0.1:8080", "description": "anxin serve's default address; use your deployment's base URL"}}
	}
	if info, ok := doc["info"].(map[string]any); ok {
		if _, ok := info["license"]; !ok {
			info["license"] = map[string]any{"name": "Apache License 2.0", "identifier": "Apache-2.0"}
		}
	}
	paths, _ := doc["paths"].(map[string]any)
	if hooks, ok := doc["webhooks"].(map[string]any); ok {
		for name, v := range hooks {
			ops, _ := v.(map[string]any)
			for m, o := range ops {
				if op, ok := o.(map[string]any); ok && isMethod(m) && op["operationId"] == nil {
					op["operationId"] = "receive" + camel(splitWords(name))
				}
			}
		}
	}
	seen := map[string]bool{}
	var pending []struct {
		path, method string
		op           map[string]any
	}
	for _, p := range sortedKeys(paths) {
		ops, _ := paths[p].(map[string]any)
		for _, m := range sortedKeys(ops) {
			op, ok := ops[m].(map[string]any)
			if !ok || !isMethod(m) {
				continue
			}
			if id, ok := op["operationId"].(string); ok {
				seen[id] = true
			} else {
				pending = append(pending, struct {
					path, method string
					op           map[string]any
				}{p, m, op})
			}
			responses, _ := op["responses"].(map[string]any)
			if responses == nil {
				responses = map[string]any{}
				op["responses"] = responses
			}
			errRef := map[string]any{"$ref": "#/components/responses/Error"}
			if strings.HasPrefix(p, "/v1/") {
				if _, ok := responses["401"]; !ok {
					responses["401"] = errRef
				}
			}
			if _, ok := responses["429"]; !ok {
				responses["429"] = errRef
			}
		}
	}
	for _, x := range pending {
		id := operationID(x.method, x.path)
		for n := 2; seen[id]; n++ {
			id = operationID(x.method, x.path) + strconv.Itoa(n)
		}
		seen[id] = true
		x.op["operationId"] = id
	}
}

// operationID derives an id from a route: GET /v1/claims → listClaims,
// GET /v1/claims/{id} → getClaimsById, POST /v1/listings:check →
// checkListings, POST /v1/claims/{id}/evidence → createClaimsEvidenceById.
func operationID(method, path string) string {
	p := strings.TrimPrefix(path, "/v1")
	action := ""
	if i := strings.LastIndexByte(p, ':'); i >= 0 && !strings.Contains(p[i:], "/") {
		p, action = p[:i], p[i+1:]
	}
	var words, params []string
	endsWithParam := false
	segs := strings.Split(strings.Trim(p, "/"), "/")
	// POST …/{id}/decide: the last segment is the verb.
	if n := len(segs); action == "" && method == "post" && n >= 2 && strings.HasPrefix(segs[n-2], "{") && actionVerbs[segs[n-1]] {
		action, segs = segs[n-1], segs[:n-1]
	}
	for _, seg := range segs {
		if seg == "" {
			continue
		}
		if strings.HasPrefix(seg, "{") {
			params = append(params, strings.Trim(seg, "{}"))
			endsWithParam = true
			continue
		}
		endsWithParam = false
		words = append(words, splitWords(seg)...)
	}
	verb := action
	if verb == "" {
		switch method {
		case "get":
			verb = "list"
			if endsWithParam {
				verb = "get"
			}
		case "post":
			verb = "create"
		case "put", "patch":
			verb = "update"
		case "delete":
			verb = "delete"
		default:
			verb = method
		}
	}
	var b strings.Builder
	b.WriteString(lowerFirst(camel(splitWords(verb))))
	b.WriteString(camel(words))
	if len(params) > 0 {
		b.WriteString("By")
		for i, prm := range params {
			if i > 0 {
				b.WriteString("And")
			}
			b.WriteString(camel(splitWords(prm)))
		}
	}
	if b.Len() == 0 {
		return "root"
	}
	return b.String()
}

// actionVerbs are the sub-resource names that are verbs, not nouns.
var actionVerbs = map[string]bool{
	"decide": true, "assign": true, "merge": true, "pause": true, "resume": true, "resolve": true, "transfer": true,
	"ack": true, "claim": true, "activate": true, "retire": true, "redeliver": true, "approve": true, "revoke": true,
	"reinstate": true, "promote": true, "confirm": true, "dismiss": true, "close": true, "reopen": true, "cancel": true,
}

func splitWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

func camel(words []string) string {
	var b strings.Builder
	for _, w := range words {
		if w == "" {
			continue
		}
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func isMethod(m string) bool {
	switch m {
	case "get", "put", "post", "delete", "patch", "head", "options", "trace":
		return true
	}
	return false
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
