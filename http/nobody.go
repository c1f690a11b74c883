package http

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"

	"anxin"
)

// bodyless holds the "METHOD /path" of every documented operation that
// takes no request body: every GET and DELETE, and each POST or PUT whose
// OpenAPI operation has no requestBody. The document is the contract, so a
// route that starts reading a body must document it first.
var bodyless = sync.OnceValues(func() (map[string]bool, error) {
	b, err := OpenAPI()
	if err != nil {
		return nil, err
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for p, ops := range doc.Paths {
		for m, raw := range ops {
			var op struct {
				RequestBody json.RawMessage `json:"requestBody"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				continue // not an operation (e.g. shared parameters)
			}
			switch m {
			case "get", "delete", "head":
				out[strings.ToUpper(m)+" "+p] = true
			case "post", "put", "patch":
				if op.RequestBody == nil {
					out[strings.ToUpper(m)+" "+p] = true
				}
			}
		}
	}
	return out, nil
})

// refuseBody returns Invalid when r carries a body and its route takes
// none. A body where none is read is a client bug (or a request smuggled
// past a proxy that thought otherwise); ignoring it would hide the bug.
func refuseBody(r *http.Request) error {
	set, err := bodyless()
	if err != nil {
		return err
	}
	if !set[r.Pattern] || r.ContentLength == 0 {
		return nil
	}
	if r.ContentLength < 0 { // unknown length: look for a first byte
		var one [1]byte
		if n, _ := io.ReadFull(r.Body, one[:]); n == 0 {
			return nil
		}
	}
	return anxin.Errorf(anxin.Invalid, "%s takes no request body.", r.Pattern)
}
