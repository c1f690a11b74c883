// The demo's API client: the marketplace's calls to Anxin, in batches, with
// the retries a real integration makes.

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"anxin"
	"anxin/sqlstore"
	"anxin/webhook"
)

// postBatches posts items to path with key as {field: [...]} in batches of
// at most anxin.MaxBatch, calling each (when not nil) with every batch's
// raw answer.
func postBatches[T any](ctx context.Context, e *demoEnv, key, path, field string, items []T, each func(json.RawMessage) error) error {
	for k := 0; k < len(items); k += anxin.MaxBatch {
		var res json.RawMessage
		if err := e.post(ctx, key, path, map[string]any{field: items[k:min(k+anxin.MaxBatch, len(items))]}, &res); err != nil {
			return err
		}
		if each != nil {
			if err := each(res); err != nil {
				return err
			}
		}
	}
	return nil
}

// key creates an API key with role (merchant:<id>, rightsholder:<id>, care,
// …) for a step that acts as someone else.
func (e *demoEnv) key(ctx context.Context, role anxin.Role) (string, error) {
	k, _, err := sqlstore.NewKeyService(e.Main.DB).CreateKey(ctx, "demo "+string(role), role)
	return k, err
}

// post sends body as JSON to path with key and decodes a 2xx response into
// out (when not nil). A non-2xx answer comes back as an *anxin.Error with
// the server's kind, message and details.
func (e *demoEnv) post(ctx context.Context, key, path string, body, out any) error {
	if body == nil { // routes without a body refuse one, even "null"
		return e.do(ctx, "POST", key, path, nil, out)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	return e.do(ctx, "POST", key, path, bytes.NewReader(b), out)
}

// get fetches path with key and decodes the JSON answer into out.
func (e *demoEnv) get(ctx context.Context, key, path string, out any) error {
	return e.do(ctx, "GET", key, path, nil, out)
}

// getRaw fetches path with key and returns the body as is.
func (e *demoEnv) getRaw(ctx context.Context, key, path string) ([]byte, error) {
	var buf bytes.Buffer
	err := e.do(ctx, "GET", key, path, nil, &buf)
	return buf.Bytes(), err
}

// demoRetries is how many times the demo's client sends a request again
// after a 429 or 503, as a marketplace's client should: the server sheds
// load or found its database busy, and nothing was written.
const demoRetries = 6

func (e *demoEnv) do(ctx context.Context, method, key, path string, body io.Reader, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = io.ReadAll(body); err != nil {
			return err
		}
	}
	var (
		status int
		data   []byte
	)
	for try := 0; ; try++ {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(payload)
		}
		req, err := http.NewRequestWithContext(ctx, method, e.BaseURL+path, rd)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+key)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := e.client.Do(req)
		if err != nil {
			return err
		}
		data, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		status = resp.StatusCode
		if (status != http.StatusTooManyRequests && status != http.StatusServiceUnavailable) || try == demoRetries {
			break
		}
		wait := webhook.Backoff(100*time.Millisecond, 5*time.Second, try+1, mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), 0)))
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			wait = time.Duration(s) * time.Second
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
	if status/100 != 2 {
		var eb struct {
			Error struct {
				Code    anxin.Kind        `json:"code"`
				Message string            `json:"message"`
				Details []anxin.ItemError `json:"details"`
			} `json:"error"`
		}
		if json.Unmarshal(data, &eb) != nil || eb.Error.Code == "" {
			return fmt.Errorf("%s %s: status %d", method, path, status)
		}
		msg := eb.Error.Message
		if len(eb.Error.Details) > 0 {
			msg += " First: " + eb.Error.Details[0].Message
		}
		return &anxin.Error{Kind: eb.Error.Code, Message: method + " " + strings.SplitN(path, "?", 2)[0] + ": " + msg, Details: eb.Error.Details}
	}
	switch o := out.(type) {
	case nil:
		return nil
	case *bytes.Buffer:
		o.Write(data)
		return nil
	default:
		return json.Unmarshal(data, out)
	}
}
