package marketplace

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"anxin"
)

// APIReporter reports to Anxin over its public API with a platform key:
// POST /v1/listings and POST /v1/merchants with the changed records (the
// marketplace's upserts) and POST /v1/payouts/{id}/ack for a payout made.
type APIReporter struct {
	BaseURL string       // http://host:port of Anxin
	Key     string       // an API key with role platform
	Client  *http.Client // default: a 30 s timeout
}

func (a *APIReporter) ReportListings(ctx context.Context, ls []*anxin.Listing) error {
	return a.post(ctx, "/v1/listings", map[string]any{"items": ls})
}

func (a *APIReporter) ReportMerchants(ctx context.Context, ms []*anxin.Merchant) error {
	return a.post(ctx, "/v1/merchants", map[string]any{"items": ms})
}

func (a *APIReporter) AckPayout(ctx context.Context, id string, ack anxin.PayoutAck) error {
	return a.post(ctx, "/v1/payouts/"+url.PathEscape(id)+"/ack", ack)
}

func (a *APIReporter) post(ctx context.Context, path string, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.BaseURL+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.Key)
	req.Header.Set("Content-Type", "application/json")
	c := a.Client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("marketplace: POST %s: status %d: %s", path, resp.StatusCode, bytes.TrimSpace(msg))
	}
	return nil
}
