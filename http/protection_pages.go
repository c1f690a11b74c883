package http

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"time"

	"anxin"
	"anxin/ledger"
	"anxin/protection"
)

// Console pages for buyer protection: the claims queue, a claim with its
// evidence and timeline, the programme editor, and money (fund balances and
// flows, a merchant's deposit, settlement and receivables).

func (s *Server) registerProtectionPages() {
	s.handle("GET /console/claims", s.page(s.pageClaims))
	s.handle("GET /console/claims/{id}", s.page(s.pageClaim))
	s.handle("POST /console/claims/{id}/decide", s.page(s.pageClaimDecide))
	s.handle("GET /console/programmes", s.page(s.pageProgrammes))
	s.handle("POST /console/programmes", s.page(s.pageProgrammeSave))
	s.handle("GET /console/money", s.page(s.pageMoney))
}

func (s *Server) pageClaims(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.protection()
	if err != nil {
		return err
	}
	f, err := claimFilterOf(r)
	if err != nil {
		return err
	}
	if f.Status == "" && r.URL.Query().Get("all") == "" {
		f.Status = anxin.ClaimEscalated
	}
	cs, next, err := ps.FindClaims(r.Context(), f)
	if err != nil {
		return err
	}
	return s.render(w, r, "protection_claims", map[string]any{"Claims": cs, "Next": next, "Status": f.Status,
		"Statuses": []string{anxin.ClaimEscalated, anxin.ClaimAppealed, anxin.ClaimOpen, anxin.ClaimApproved, anxin.ClaimDenied}})
}

// timelineItem is one dated line of a claim's history.
type timelineItem struct {
	At   time.Time
	What string
	Note string
}

func (s *Server) pageClaim(w http.ResponseWriter, r *http.Request) error {
	return s.showClaim(w, r, "")
}

func (s *Server) showClaim(w http.ResponseWriter, r *http.Request, flash string) error {
	ps, err := s.protection()
	if err != nil {
		return err
	}
	c, err := ps.FindClaim(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	tl := []timelineItem{{c.CreatedAt, "filed (" + c.Source + ")", c.Type + " under " + c.ProgrammeID + " v" + strconv.Itoa(c.ProgrammeVersion)}}
	for _, e := range c.Evidence {
		tl = append(tl, timelineItem{e.CreatedAt, "evidence " + e.Kind, e.ContentType + ", " + strconv.FormatInt(e.SizeBytes, 10) + " bytes"})
	}
	names := s.keyNameLoader(r.Context())()
	for _, d := range c.Decisions {
		by := d.DecidedBy
		if n, ok := names[by]; ok {
			by = n
		}
		tl = append(tl, timelineItem{d.CreatedAt, "decision: " + d.Outcome + " (" + d.Reason + ") by " + by, d.Statement})
	}
	if c.Appeal != nil {
		tl = append(tl, timelineItem{c.Appeal.CreatedAt, "appeal by " + c.Appeal.Appellant + ": " + c.Appeal.Status, c.Appeal.Reason})
	}
	if c.Payout != nil {
		tl = append(tl, timelineItem{c.Payout.CreatedAt, "payout " + formatFen(c.Payout.AmountFen) + " (" + c.Payout.Funding + ")", "posting " + c.Payout.PostingID + ", " + c.Payout.Status})
	}
	sort.SliceStable(tl, func(i, j int) bool { return tl[i].At.Before(tl[j].At) })
	canDecide := anxin.Can(anxin.ActorFromContext(r.Context()).Role, anxin.ActionDecideClaim) &&
		(c.Status == anxin.ClaimEscalated || c.Status == anxin.ClaimAppealed)
	return s.renderFlash(w, r, "protection_claim", map[string]any{"Claim": c, "Timeline": tl, "CanDecide": canDecide}, flash)
}

func (s *Server) pageClaimDecide(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.protection()
	if err != nil {
		return err
	}
	var amount int64
	if v := r.PostFormValue("amount_fen"); v != "" {
		if amount, err = strconv.ParseInt(v, 10, 64); err != nil {
			return anxin.Errorf(anxin.Invalid, "amount_fen must be a whole number of fen.")
		}
	}
	if _, err := ps.DecideClaim(r.Context(), r.PathValue("id"), r.PostFormValue("outcome"), r.PostFormValue("reason"), amount); err != nil {
		return err
	}
	return s.showClaim(w, r, "Decision recorded.")
}

func (s *Server) pageProgrammes(w http.ResponseWriter, r *http.Request) error {
	return s.renderProgrammes(w, r, http.StatusOK, nil, nil, "")
}

// renderProgrammes lists the programmes with the editor open on form, or
// on the programme named by ?edit= when form is nil.
func (s *Server) renderProgrammes(w http.ResponseWriter, r *http.Request, status int, form *programmeForm, errs map[string]string, flash string) error {
	ps, err := s.protection()
	if err != nil {
		return err
	}
	progs, err := ps.FindProgrammes(r.Context())
	if err != nil {
		return err
	}
	if edit := r.URL.Query().Get("edit"); form == nil && edit != "" {
		for _, p := range progs {
			var prog protection.Programme
			if p.ID == edit && json.Unmarshal(p.Config, &prog) == nil {
				f := formOfProgramme(&prog)
				form = &f
			}
		}
	}
	evidence := make([]string, 0, len(protection.EvidenceKinds))
	for k := range protection.EvidenceKinds {
		evidence = append(evidence, k)
	}
	sort.Strings(evidence)
	return s.renderStatus(w, r, status, "protection_programmes", map[string]any{"Programmes": progs, "Form": form, "Errors": errs,
		"CanEdit": anxin.Can(anxin.ActorFromContext(r.Context()).Role, anxin.ActionManageProgrammes),
		"Kinds":   protection.Kinds, "ClaimTypes": protection.ClaimTypes, "EvidenceKinds": evidence, "Standings": []string{"good", "watch", "restricted"},
		"Starts":   []string{protection.StartPaid, protection.StartPickup, protection.StartSigned, protection.StartNextDayAfterSign},
		"Events":   []string{protection.EventNoPickupByPromise, protection.EventParcelLost},
		"Formulas": []ledger.FormulaKind{ledger.FormulaRefund, ledger.FormulaFixed, ledger.FormulaPercentage, ledger.FormulaMultiple, ledger.FormulaCoupon},
		"Fundings": []protection.Funding{protection.FundMerchant, protection.FundGuaranteeFund, protection.FundLogisticsPool, protection.FundFreightPool, protection.FundInsurer},
	}, flash)
}

func (s *Server) pageMoney(w http.ResponseWriter, r *http.Request) error {
	ls, err := s.ledgerService()
	if err != nil {
		return err
	}
	ctx := r.Context()
	data := map[string]any{}
	merchant := r.URL.Query().Get("merchant")
	if m := anxin.MerchantScope(ctx); m != "" {
		merchant = m
	} else {
		var pools []*anxin.LedgerAccount
		for _, k := range []string{"guarantee_fund", "logistics_pool", "freight_insurance_pool", "sampling_budget"} {
			as, _, err := ls.FindAccounts(ctx, anxin.LedgerFilter{Kind: k})
			if err != nil {
				return err
			}
			pools = append(pools, as...)
		}
		data["Pools"], data["Staff"] = pools, true
		flows, _, err := ls.FindPostings(ctx, anxin.LedgerFilter{Account: "guarantee_fund", Page: anxin.Page{Limit: 50}})
		if err != nil {
			return err
		}
		data["Flows"] = flows
	}
	if merchant != "" {
		mm, err := ls.MerchantMoney(ctx, merchant)
		if err != nil {
			return err
		}
		data["Merchant"] = mm
		ps, _, err := ls.FindPostings(ctx, anxin.LedgerFilter{MerchantID: merchant, Page: anxin.Page{Limit: 50}})
		if err != nil {
			return err
		}
		data["MerchantPostings"] = ps
	}
	return s.render(w, r, "protection_money", data)
}
