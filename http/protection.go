package http

import (
	"net/http"

	"anxin"
)

// Buyer protection and the ledger: claims, programmes, enrolments, payouts
// and the guarantee-fund books.

func (s *Server) registerProtectionRoutes() {
	s.handle("POST /v1/claims", s.api(s.handleClaimCreate))
	s.handle("GET /v1/claims", s.api(s.handleClaimList))
	s.handle("GET /v1/claims/{id}", s.api(s.handleClaimView))
	s.handle("POST /v1/claims/{id}/evidence", s.api(s.handleClaimEvidence))
	s.handle("POST /v1/claims/{id}/response", s.api(s.handleClaimResponse))
	s.handle("POST /v1/claims/{id}/decision", s.api(s.handleClaimDecision))
	s.handle("POST /v1/claims/{id}/appeal", s.api(s.handleClaimAppeal))
	s.handle("GET /v1/programmes", s.api(s.handleProgrammeList))
	s.handle("POST /v1/programmes", s.api(s.handleProgrammeSave))
	s.handle("GET /v1/programmes/{id}", s.api(s.handleProgrammeView))
	s.handle("GET /v1/enrolments", s.api(s.handleEnrolmentList))
	s.handle("POST /v1/enrolments", s.api(s.handleEnrol))
	s.handle("DELETE /v1/enrolments/{merchant}/{programme}", s.api(s.handleUnenrol))
	s.handle("GET /v1/payouts", s.api(s.handlePayoutList))
	s.handle("POST /v1/payouts/{id}/ack", s.api(s.handlePayoutAck))
	s.handle("GET /v1/ledger/accounts", s.api(s.handleLedgerAccounts))
	s.handle("GET /v1/ledger/postings", s.api(s.handleLedgerPostings))
	s.handle("GET /v1/ledger/merchants/{id}", s.api(s.handleMerchantMoney))
	s.handle("POST /v1/ledger/fundings", s.api(s.handleLedgerFund))
	s.handle("GET /v1/ledger/reconciliation", s.api(s.handleReconcile))
}

func (s *Server) protection() (anxin.ProtectionService, error) {
	if s.Protection == nil {
		return nil, anxin.Errorf(anxin.Unavailable, "Buyer protection is not configured.")
	}
	return s.Protection, nil
}

func (s *Server) ledgerService() (anxin.LedgerService, error) {
	if s.Ledger == nil {
		return nil, anxin.Errorf(anxin.Unavailable, "The ledger is not configured.")
	}
	return s.Ledger, nil
}

func claimFilterOf(r *http.Request) (anxin.ClaimFilter, error) {
	q := r.URL.Query()
	p, err := pageFromQuery(r)
	f := anxin.ClaimFilter{OrderID: q.Get("order_id"), BuyerID: q.Get("buyer_id"), MerchantID: q.Get("merchant_id"),
		ProgrammeID: q.Get("programme_id"), Status: q.Get("status"), Page: p}
	return f, err
}

// handleClaimCreate files a claim. The idempotency key comes from the
// Idempotency-Key header or the body's key field; if both are given they
// must agree. 201 for a new claim, 200 for a retry that returns the same one.
func (s *Server) handleClaimCreate(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.protection()
	if err != nil {
		return err
	}
	var in anxin.ClaimInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if h := r.Header.Get("Idempotency-Key"); h != "" {
		if in.Key != "" && in.Key != h {
			return anxin.Errorf(anxin.Invalid, "The Idempotency-Key header and the key field differ.")
		}
		in.Key = h
	}
	c, created, err := ps.FileClaim(r.Context(), in)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, c)
	return nil
}

func (s *Server) handleClaimList(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.protection()
	if err != nil {
		return err
	}
	f, err := claimFilterOf(r)
	if err != nil {
		return err
	}
	asCSV, err := wantCSV(r)
	if err != nil {
		return err
	}
	cs, next, err := ps.FindClaims(r.Context(), f)
	if err != nil {
		return err
	}
	if asCSV {
		return writeCSV(w, "claims", next, claimCSV, cs)
	}
	writeJSON(w, http.StatusOK, map[string]any{"claims": nonNil(cs), "next_cursor": next})
	return nil
}

func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

func (s *Server) handleClaimView(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.protection()
	if err != nil {
		return err
	}
	c, err := ps.FindClaim(r.Context(), r.PathValue("id"))
	return reply(w, http.StatusOK, c, err)
}

func (s *Server) handleClaimEvidence(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.protection()
	if err != nil {
		return err
	}
	var in struct {
		Kind        string `json:"kind"`
		ContentType string `json:"content_type"`
		Data        []byte `json:"data"` // base64
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	c, err := ps.AddEvidence(r.Context(), r.PathValue("id"), in.Kind, in.ContentType, in.Data)
	return reply(w, http.StatusOK, c, err)
}

func (s *Server) handleClaimResponse(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.protection()
	if err != nil {
		return err
	}
	var in struct {
		Response string `json:"response"`
		Note     string `json:"note"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	c, err := ps.RespondClaim(r.Context(), r.PathValue("id"), in.Response, in.Note)
	return reply(w, http.StatusOK, c, err)
}

func (s *Server) handleClaimDecision(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.protection()
	if err != nil {
		return err
	}
	var in struct {
		Outcome   string `json:"outcome"`
		Reason    string `json:"reason"`
		AmountFen int64  `json:"amount_fen"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	c, err := ps.DecideClaim(r.Context(), r.PathValue("id"), in.Outcome, in.Reason, in.AmountFen)
	return reply(w, http.StatusOK, c, err)
}

func (s *Server) handleClaimAppeal(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.protection()
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	c, err := ps.AppealClaim(r.Context(), r.PathValue("id"), in.Reason)
	return reply(w, http.StatusOK, c, err)
}

func (s *Server) handleProgrammeList(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.protection()
	if err != nil {
		return err
	}
	out, err := ps.FindProgrammes(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"programmes": nonNil(out)})
	return nil
}

func (s *Server) handleProgrammeView(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.protection()
	if err != nil {
		return err
	}
	p, err := ps.FindProgramme(r.Context(), r.PathValue("id"))
	return reply(w, http.StatusOK, p, err)
}

// handleProgrammeSave stores the body (a programme's configuration) as the
// programme's next version.
func (s *Server) handleProgrammeSave(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.protection()
	if err != nil {
		return err
	}
	var raw anxin.RawJSON
	if err := readJSON(r, (*jsonBytes)(&raw)); err != nil {
		return err
	}
	p, err := ps.SaveProgramme(r.Context(), raw)
	return reply(w, http.StatusCreated, p, err)
}

// jsonBytes captures a JSON value verbatim after readJSON has checked that
// the body is one well-formed value.
type jsonBytes []byte

func (j *jsonBytes) UnmarshalJSON(b []byte) error {
	*j = append((*j)[:0], b...)
	return nil
}

func (s *Server) handleEnrolmentList(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.protection()
	if err != nil {
		return err
	}
	m := r.URL.Query().Get("merchant_id")
	if sc := anxin.MerchantScope(r.Context()); m == "" {
		m = sc
	}
	if err := anxin.ValidateID("merchant_id", m); err != nil {
		return err
	}
	out, err := ps.FindEnrolments(r.Context(), m)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"enrolments": nonNil(out)})
	return nil
}

func (s *Server) handleEnrol(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.protection()
	if err != nil {
		return err
	}
	var in struct {
		MerchantID  string `json:"merchant_id"`
		ProgrammeID string `json:"programme_id"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if err := anxin.ValidateID("programme_id", in.ProgrammeID); err != nil {
		return err
	}
	out, err := ps.Enrol(r.Context(), in.MerchantID, in.ProgrammeID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"enrolments": nonNil(out)})
	return nil
}

func (s *Server) handleUnenrol(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.protection()
	if err != nil {
		return err
	}
	if err := ps.Unenrol(r.Context(), r.PathValue("merchant"), r.PathValue("programme")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handlePayoutList(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.protection()
	if err != nil {
		return err
	}
	f, err := claimFilterOf(r)
	if err != nil {
		return err
	}
	out, next, err := ps.FindPayouts(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"payouts": nonNil(out), "next_cursor": next})
	return nil
}

func (s *Server) handlePayoutAck(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.protection()
	if err != nil {
		return err
	}
	var in anxin.PayoutAck
	if err := readJSON(r, &in); err != nil {
		return err
	}
	p, err := ps.AckPayout(r.Context(), r.PathValue("id"), in)
	return reply(w, http.StatusOK, p, err)
}

func ledgerFilterOf(r *http.Request) (anxin.LedgerFilter, error) {
	q := r.URL.Query()
	p, err := pageFromQuery(r)
	return anxin.LedgerFilter{Account: q.Get("account"), Kind: q.Get("kind"), MerchantID: q.Get("merchant_id"), Page: p}, err
}

func (s *Server) handleLedgerAccounts(w http.ResponseWriter, r *http.Request) error {
	ls, err := s.ledgerService()
	if err != nil {
		return err
	}
	f, err := ledgerFilterOf(r)
	if err != nil {
		return err
	}
	out, next, err := ls.FindAccounts(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"accounts": nonNil(out), "next_cursor": next})
	return nil
}

func (s *Server) handleLedgerPostings(w http.ResponseWriter, r *http.Request) error {
	ls, err := s.ledgerService()
	if err != nil {
		return err
	}
	f, err := ledgerFilterOf(r)
	if err != nil {
		return err
	}
	out, next, err := ls.FindPostings(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"postings": nonNil(out), "next_cursor": next})
	return nil
}

func (s *Server) handleMerchantMoney(w http.ResponseWriter, r *http.Request) error {
	ls, err := s.ledgerService()
	if err != nil {
		return err
	}
	m, err := ls.MerchantMoney(r.Context(), r.PathValue("id"))
	return reply(w, http.StatusOK, m, err)
}

func (s *Server) handleLedgerFund(w http.ResponseWriter, r *http.Request) error {
	ls, err := s.ledgerService()
	if err != nil {
		return err
	}
	var in anxin.Funding
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if h := r.Header.Get("Idempotency-Key"); h != "" && in.Key == "" {
		in.Key = h
	}
	p, err := ls.Fund(r.Context(), in)
	return reply(w, http.StatusCreated, p, err)
}

func (s *Server) handleReconcile(w http.ResponseWriter, r *http.Request) error {
	ls, err := s.ledgerService()
	if err != nil {
		return err
	}
	rec, err := ls.Reconcile(r.Context())
	return reply(w, http.StatusOK, rec, err)
}
