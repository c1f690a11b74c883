package http

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"anxin"
)

// Lists out: GET /v1/cases, /v1/claims, /v1/notices and /v1/statements
// answer text/csv for ?format=csv, one page (the same filters, limit and
// cursor as the JSON list; the next page's cursor is in the
// Anxin-Next-Cursor header), for analysts who work in spreadsheets. The
// console's "Download CSV" links use the same endpoints with the session.

// wantCSV reports whether the request asks for CSV; any format other than
// json or csv is an error, so a typo does not silently answer JSON.
func wantCSV(r *http.Request) (bool, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "", "json":
		return false, nil
	case "csv":
		return true, nil
	default:
		return false, anxin.Errorf(anxin.Invalid, "format must be json or csv.")
	}
}

// csvCell guards a cell against formula injection: a spreadsheet treats a
// cell that starts with = + - @ (or a tab or carriage return, which some
// strip first) as a formula, so such a cell is prefixed with a single quote
// and shown as text. Numbers this package writes itself are not passed
// through it, so a negative amount stays a number.
func csvCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// csvTable is a header row and a function that renders one item as cells
// (raw text; writeCSV guards and quotes it).
type csvTable[T any] struct {
	header []string
	row    func(T) []string
}

// writeCSV answers a CSV document (RFC 4180: CRLF line ends, fields with
// commas, quotes or line breaks quoted) with a header row and one row per
// item; name is the download's file name without extension.
func writeCSV[T any](w http.ResponseWriter, name, next string, t csvTable[T], items []T) error {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.UseCRLF = true
	if err := cw.Write(t.header); err != nil {
		return err
	}
	for _, it := range items {
		cells := t.row(it)
		for i, c := range cells {
			cells[i] = csvCell(strings.ToValidUTF8(c, "\uFFFD"))
		}
		if err := cw.Write(cells); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	if next != "" {
		w.Header().Set("Anxin-Next-Cursor", next)
	}
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(buf.Bytes())
	return err
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func csvTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return csvTime(*t)
}

func csvList(xs []string) string { return strings.Join(xs, ";") }

var caseCSV = csvTable[*anxin.Case]{
	header: []string{"id", "status", "priority", "subject_type", "subject_id", "kind", "merchant_id", "labels", "reasons", "rule_ids", "decision_id", "resolution", "claimed_by", "decided_by", "statement_id", "created_at", "claimed_at", "decided_at"},
	row: func(c *anxin.Case) []string {
		return []string{c.ID, c.Status, strconv.Itoa(c.Priority), c.SubjectType, c.SubjectID, c.Kind, c.MerchantID, csvList(c.Labels), csvList(c.Reasons), csvList(c.RuleIDs),
			c.DecisionID, c.Resolution, c.ClaimedBy, c.DecidedBy, c.StatementID, csvTime(c.CreatedAt), csvTimePtr(c.ClaimedAt), csvTimePtr(c.DecidedAt)}
	},
}

var claimCSV = csvTable[*anxin.Claim]{
	header: []string{"id", "status", "type", "source", "order_id", "buyer_id", "merchant_id", "programme_id", "programme_version", "reason", "amount_fen", "currency", "automated", "created_at", "decided_at"},
	row: func(c *anxin.Claim) []string {
		return []string{c.ID, c.Status, c.Type, c.Source, c.OrderID, c.BuyerID, c.MerchantID, c.ProgrammeID, strconv.Itoa(c.ProgrammeVersion), c.Reason,
			strconv.FormatInt(c.AmountFen, 10), c.Currency, strconv.FormatBool(c.Automated), csvTime(c.CreatedAt), csvTimePtr(c.DecidedAt)}
	},
}

var noticeCSV = csvTable[*anxin.Notice]{
	header: []string{"id", "state", "rights_holder_id", "brand_id", "listing_id", "content_id", "influencer_id", "merchant_id", "reason", "decision", "legal_action", "proactive_first", "filed_at", "takedown_at", "counter_at", "reinstate_at", "closed_at"},
	row: func(n *anxin.Notice) []string {
		return []string{n.ID, n.State, n.RightsHolderID, n.BrandID, n.ListingID, n.ContentID, n.InfluencerID, n.MerchantID, n.Reason, n.Decision,
			strconv.FormatBool(n.LegalAction), strconv.FormatBool(n.ProactiveFirst), csvTime(n.FiledAt), csvTimePtr(n.TakedownAt), csvTimePtr(n.CounterAt), csvTimePtr(n.ReinstateAt), csvTimePtr(n.ClosedAt)}
	},
}

var statementCSV = csvTable[*anxin.Statement]{
	header: []string{"id", "version", "target_type", "target_id", "merchant_id", "outcome", "actions", "category", "decision_ground", "legal_ground", "user_facing_reason", "facts", "source", "automation", "policy_version", "rule_ids", "decision_id", "appeal_status", "appeal_deadline", "decided_by", "created_at"},
	row: func(s *anxin.Statement) []string {
		acts := make([]string, 0, len(s.Actions))
		for _, a := range s.Actions {
			acts = append(acts, a.Type)
		}
		return []string{s.ID, strconv.Itoa(s.Version), s.TargetType, s.TargetID, s.MerchantID, s.Outcome.String(), csvList(acts), s.Category, s.DecisionGround, s.LegalGround, s.Reason, s.Facts,
			s.Source, s.Automation, strconv.Itoa(s.PolicyVersion), csvList(s.RuleIDs), s.DecisionID, s.AppealStatus, csvTimePtr(s.AppealDeadline), s.DecidedBy, csvTime(s.CreatedAt)}
	},
}
