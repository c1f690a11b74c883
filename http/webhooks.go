package http

import (
	"net/http"
	"strconv"
	"strings"

	"anxin"
)

func (s *Server) registerWebhookRoutes() {
	s.handle("POST /v1/webhooks", s.api(s.handleWebhookCreate))
	s.handle("GET /v1/webhooks", s.api(s.handleWebhookList))
	s.handle("DELETE /v1/webhooks/{id}", s.api(s.handleWebhookDelete))
	s.handle("GET /v1/webhooks/deliveries", s.api(s.handleDeliveryList))
	s.handle("GET /v1/webhooks/deliveries/{id}/attempts", s.api(s.handleDeliveryAttempts))
	s.handle("POST /v1/webhooks/deliveries/{id}/redeliver", s.api(s.handleRedeliver))
}

func (s *Server) registerWebhookPages() {
	s.handle("GET /console/webhooks", s.page(s.handleWebhooksPage))
	s.handle("POST /console/webhooks", s.page(s.handleWebhooksPageCreate))
	s.handle("POST /console/webhooks/{id}/delete", s.page(s.handleWebhooksPageDelete))
	s.handle("GET /console/webhooks/deliveries/{id}", s.page(s.handleDeliveryPage))
	s.handle("POST /console/webhooks/deliveries/{id}/redeliver", s.page(s.handleWebhooksPageRedeliver))
}

// webhooks authorizes the request's actor to manage webhooks and returns
// the webhook service: Forbidden for other roles, Unavailable when the
// server was built without one.
func (s *Server) webhooks(r *http.Request) (anxin.WebhookService, error) {
	if err := anxin.Authorize(r.Context(), anxin.ActionManageWebhooks); err != nil {
		return nil, err
	}
	if s.Webhooks == nil {
		return nil, anxin.Errorf(anxin.Unavailable, "Webhooks are not configured.")
	}
	return s.Webhooks, nil
}

// webhookInput is the body of POST /v1/webhooks.
type webhookInput struct {
	URL   string   `json:"url"`
	Types []string `json:"types"`
}

// handleWebhookCreate creates a webhook and answers 201 with it, including
// the signing secret: the only time the secret is shown.
func (s *Server) handleWebhookCreate(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.webhooks(r)
	if err != nil {
		return err
	}
	var in webhookInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	hook := &anxin.Webhook{URL: in.URL, Types: in.Types}
	if err := svc.CreateWebhook(r.Context(), hook); err != nil {
		return err
	}
	// The answer holds the secret: no cache may keep it.
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, hook)
	return nil
}

func (s *Server) handleWebhookList(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.webhooks(r)
	if err != nil {
		return err
	}
	hooks, err := svc.FindWebhooks(r.Context())
	if err != nil {
		return err
	}
	if hooks == nil {
		hooks = []*anxin.Webhook{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": hooks})
	return nil
}

func (s *Server) handleWebhookDelete(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.webhooks(r)
	if err != nil {
		return err
	}
	if err := svc.DeleteWebhook(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// pageFromQuery reads ?cursor= and ?limit= (1..500). Invalid for a limit
// that is not a whole number in range or an oversized cursor.
func pageFromQuery(r *http.Request) (anxin.Page, error) {
	q := r.URL.Query()
	p := anxin.Page{Cursor: q.Get("cursor")}
	if len(p.Cursor) > 512 {
		return p, anxin.Errorf(anxin.Invalid, "The cursor is not valid; pass next_cursor from the previous page.")
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return p, anxin.Errorf(anxin.Invalid, "limit must be a whole number from 1 to 500.")
		}
		p.Limit = n
	}
	return p, nil
}

func (s *Server) handleDeliveryList(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.webhooks(r)
	if err != nil {
		return err
	}
	page, err := pageFromQuery(r)
	if err != nil {
		return err
	}
	ds, next, err := svc.FindDeliveries(r.Context(), r.URL.Query().Get("state"), page)
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []*anxin.Delivery{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": ds, "next_cursor": next})
	return nil
}

// findAttempts loads the delivery named in the path with its attempts.
func (s *Server) findAttempts(r *http.Request) (*anxin.Delivery, []*anxin.AttemptRecord, error) {
	svc, err := s.webhooks(r)
	if err != nil {
		return nil, nil, err
	}
	d, attempts, err := svc.FindAttempts(r.Context(), r.PathValue("id"))
	if attempts == nil {
		attempts = []*anxin.AttemptRecord{}
	}
	return d, attempts, err
}

func (s *Server) handleDeliveryAttempts(w http.ResponseWriter, r *http.Request) error {
	d, attempts, err := s.findAttempts(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"delivery": d, "attempts": attempts})
	return nil
}

// handleDeliveryPage shows one delivery with its attempt log.
func (s *Server) handleDeliveryPage(w http.ResponseWriter, r *http.Request) error {
	d, attempts, err := s.findAttempts(r)
	if err != nil {
		return err
	}
	return s.render(w, r, "webhooks_delivery", map[string]any{"Delivery": d, "Attempts": attempts})
}

func (s *Server) handleRedeliver(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.webhooks(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := svc.Redeliver(r.Context(), id); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"id": id, "state": anxin.DeliveryPending})
	return nil
}

// webhooksPageData is what the console's Webhooks page shows.
type webhooksPageData struct {
	Webhooks  []*anxin.Webhook
	Recent    []*anxin.Delivery
	Dead      []*anxin.Delivery
	NewSecret string // set once, right after a webhook was created
	NewID     string
}

func (s *Server) webhooksPageData(r *http.Request) (*webhooksPageData, error) {
	svc, err := s.webhooks(r)
	if err != nil {
		return nil, err
	}
	d := &webhooksPageData{}
	if d.Webhooks, err = svc.FindWebhooks(r.Context()); err != nil {
		return nil, err
	}
	if d.Recent, _, err = svc.FindDeliveries(r.Context(), "", anxin.Page{Limit: 50}); err != nil {
		return nil, err
	}
	if d.Dead, _, err = svc.FindDeliveries(r.Context(), anxin.DeliveryDead, anxin.Page{Limit: 100}); err != nil {
		return nil, err
	}
	return d, nil
}

func (s *Server) handleWebhooksPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.webhooksPageData(r)
	if err != nil {
		return err
	}
	return s.render(w, r, "webhooks_list", d)
}

// webhooksPageAction runs a console form's action and answers with the
// Webhooks page and the flash message the action returns.
func (s *Server) webhooksPageAction(w http.ResponseWriter, r *http.Request, act func(svc anxin.WebhookService, d *webhooksPageData) (string, error)) error {
	svc, err := s.webhooks(r)
	if err != nil {
		return err
	}
	var d webhooksPageData
	flash, err := act(svc, &d)
	if err != nil {
		return err
	}
	page, err := s.webhooksPageData(r)
	if err != nil {
		return err
	}
	page.NewSecret, page.NewID = d.NewSecret, d.NewID
	return s.renderFlash(w, r, "webhooks_list", page, flash)
}

// handleWebhooksPageCreate creates a webhook from the console form; the
// page that answers shows its secret once.
func (s *Server) handleWebhooksPageCreate(w http.ResponseWriter, r *http.Request) error {
	return s.webhooksPageAction(w, r, func(svc anxin.WebhookService, d *webhooksPageData) (string, error) {
		hook := &anxin.Webhook{URL: strings.TrimSpace(r.PostFormValue("url"))}
		for t := range strings.SplitSeq(r.PostFormValue("types"), ",") {
			if t = strings.TrimSpace(t); t != "" {
				hook.Types = append(hook.Types, t)
			}
		}
		if err := svc.CreateWebhook(r.Context(), hook); err != nil {
			return "", err
		}
		d.NewSecret, d.NewID = hook.Secret, hook.ID
		return "Webhook created. Copy its signing secret now: it is not shown again.", nil
	})
}

func (s *Server) handleWebhooksPageDelete(w http.ResponseWriter, r *http.Request) error {
	return s.webhooksPageAction(w, r, func(svc anxin.WebhookService, _ *webhooksPageData) (string, error) {
		return "Webhook deleted with its deliveries.", svc.DeleteWebhook(r.Context(), r.PathValue("id"))
	})
}

func (s *Server) handleWebhooksPageRedeliver(w http.ResponseWriter, r *http.Request) error {
	return s.webhooksPageAction(w, r, func(svc anxin.WebhookService, _ *webhooksPageData) (string, error) {
		return "Delivery queued again; the receiver sees the same message id.", svc.Redeliver(r.Context(), r.PathValue("id"))
	})
}
