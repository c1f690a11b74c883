package main

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
	"anxin/sim"
)

// demoAPI is a small client of Anxin's own API for demo steps: a base URL
// and keys by role.
type demoAPI struct {
	Base   string
	Client *http.Client
	Keys   map[anxin.Role]string
}

// call sends a JSON request as role and decodes a 2xx answer into out. It
// returns the status, and an error only for transport failures.
func (a *demoAPI) call(ctx context.Context, role anxin.Role, method, path string, body, out any) (int, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.Base+path, r)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+a.Keys[role])
	req.Header.Set("Content-Type", "application/json")
	c := a.Client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, err
	}
	if res.StatusCode/100 == 2 && out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return res.StatusCode, err
		}
	}
	return res.StatusCode, nil
}

// privacyDemoResult is what the privacy demo step did.
type privacyDemoResult struct {
	Sealed    int
	Waybills  []anxin.Waybill
	Merchant  string // the merchant whose key planted the bulk decrypt
	Decrypted int    // decrypts served before the key was throttled
	AlertID   string
}

// privacyDemo is the privacy capability's demo step: it seals every order's
// buyer data (from World.PII) through PUT /v1/orders/{id}/pii, prints a few
// waybills (masked name, virtual number), then plants a bulk decrypt: a
// privacy officer grants the busiest merchant's key "ship" on all its
// orders, and that key decrypts order after order until the exfiltration
// detector throttles it. The step fails if no alert is raised. It needs the
// platform, privacy and operator keys in api.Keys and adds the merchant's.
// Orders must already be in the mirror.
func privacyDemo(ctx context.Context, api *demoAPI, w *sim.World, out io.Writer) (*privacyDemoResult, error) {
	res := &privacyDemoResult{}
	perMerchant := map[string][]*anxin.Order{}
	for _, o := range w.Orders {
		p, ok := w.PII[o.BuyerID]
		if !ok {
			continue
		}
		code, err := api.call(ctx, anxin.RolePlatform, "PUT", "/v1/orders/"+url.PathEscape(o.ID)+"/pii", anxin.PIIInput{Name: p.Name, Phone: p.Phone, Address: p.Address}, nil)
		if err != nil {
			return res, err
		}
		if code != http.StatusOK {
			return res, fmt.Errorf("privacy demo: sealing order %s answered %d", o.ID, code)
		}
		res.Sealed++
		perMerchant[o.MerchantID] = append(perMerchant[o.MerchantID], o)
	}
	fmt.Fprintf(out, "privacy: sealed the personal data of %d orders\n", res.Sealed)

	for _, o := range w.Orders {
		if len(res.Waybills) == 3 {
			break
		}
		if o.Status != anxin.OrderPaid && o.Status != anxin.OrderShipped {
			continue
		}
		var wb anxin.Waybill
		code, err := api.call(ctx, anxin.RolePlatform, "GET", "/v1/orders/"+url.PathEscape(o.ID)+"/waybill", nil, &wb)
		if err != nil {
			return res, err
		}
		if code != http.StatusOK {
			continue
		}
		res.Waybills = append(res.Waybills, wb)
		fmt.Fprintf(out, "  waybill %s: %s  %s  %s\n", wb.OrderID, wb.RecipientName, wb.Phone, wb.Region)
	}

	for m, os := range perMerchant {
		if len(os) > len(perMerchant[res.Merchant]) || len(os) == len(perMerchant[res.Merchant]) && m < res.Merchant {
			res.Merchant = m
		}
	}
	if res.Merchant == "" {
		return res, fmt.Errorf("privacy demo: no orders to decrypt")
	}
	role := anxin.MerchantRole(res.Merchant)
	var key struct {
		Key string `json:"key"`
	}
	if code, err := api.call(ctx, anxin.RoleOperator, "POST", "/v1/keys", map[string]any{"name": "demo bulk decrypt", "role": role}, &key); err != nil || code != http.StatusCreated {
		return res, fmt.Errorf("privacy demo: creating the merchant key answered %d: %v", code, err)
	}
	api.Keys[role] = key.Key
	grant := map[string]any{"role": role, "purpose": anxin.PurposeShip, "order_id": "*", "expires_at": time.Now().Add(24 * time.Hour), "note": "demo"}
	if code, err := api.call(ctx, anxin.RolePrivacy, "POST", "/v1/pii/grants", grant, nil); err != nil || code != http.StatusCreated {
		return res, fmt.Errorf("privacy demo: creating the grant answered %d: %v", code, err)
	}
	throttled := false
	for _, o := range perMerchant[res.Merchant] {
		code, err := api.call(ctx, role, "POST", "/v1/orders/"+url.PathEscape(o.ID)+"/pii:decrypt", anxin.DecryptRequest{Purpose: anxin.PurposeShip}, nil)
		if err != nil {
			return res, err
		}
		if code == http.StatusOK {
			res.Decrypted++
		}
		if code == http.StatusTooManyRequests {
			throttled = true
			break
		}
	}
	var alerts struct {
		Alerts []anxin.PrivacyAlert `json:"alerts"`
	}
	if _, err := api.call(ctx, anxin.RolePrivacy, "GET", "/v1/privacy/alerts?status=open", nil, &alerts); err != nil {
		return res, err
	}
	for _, a := range alerts.Alerts {
		if a.Role == string(role) {
			res.AlertID = a.ID
			fmt.Fprintf(out, "privacy: merchant %s's key tried a bulk decrypt (%d served); alert %s (%s) throttled it and opened case %s\n",
				res.Merchant, res.Decrypted, a.ID, a.Kind, a.CaseID)
		}
	}
	if !throttled || res.AlertID == "" {
		return res, fmt.Errorf("privacy demo: the planted bulk decrypt by %s raised no alert", res.Merchant)
	}
	return res, nil
}
