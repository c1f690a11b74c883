package submit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"anxin"
	"anxin/dsa"
	"anxin/webhook"
)

// maxAnswer bounds how much of the database's answer is read.
const maxAnswer = 4 << 20

// answer is the part of the database's JSON answer the submitter reads: on
// 201 the created statements with the database's ids; on 422 a message and
// errors keyed by field ("puid", with "existing_puids" listing the puids it
// already holds) or by position ("statement_0": {field: [messages]}).
type answer struct {
	Statements []struct {
		PUID string `json:"puid"`
		UUID string `json:"uuid"`
	} `json:"statements"`
	Message string                     `json:"message"`
	Errors  map[string]json.RawMessage `json:"errors"`
}

// submit maps the claimed statements, sends the ones that map in one call
// and returns a result for every claim.
func (s *Submitter) submit(ctx context.Context, claims []*anxin.SubmissionClaim) []anxin.SubmissionResult {
	results := make([]anxin.SubmissionResult, 0, len(claims))
	var sent []*anxin.SubmissionClaim
	var subs []dsa.Submission
	seen := map[string]bool{}
	for _, c := range claims {
		res := anxin.SubmissionResult{StatementID: c.StatementID, Lease: c.Lease}
		sub, err := dsa.FromStatement(c.Statement, s.Options)
		switch {
		case err != nil && c.Statement.Outcome == anxin.OutcomeAllow && len(c.Statement.Actions) == 0:
			res.State, res.Error = anxin.SubmissionSkipped, "The statement restricts nothing; the database records restrictions only."
		case err != nil:
			res.State, res.Counted, res.Error = anxin.SubmissionDead, true, "Not sent: "+describe(err)
		case seen[sub.PUID]:
			// Two statements under one puid would make the database refuse
			// the whole batch; the later one waits for the next.
			res.State = anxin.SubmissionPending
		default:
			seen[sub.PUID] = true
			sent, subs = append(sent, c), append(subs, sub)
			continue
		}
		results = append(results, res)
	}
	if len(sent) == 0 {
		return results
	}
	return append(results, s.send(ctx, sent, subs)...)
}

// describe renders a mapping error with the fields at fault.
func describe(err error) string {
	msg := anxin.MessageOf(err)
	if e, ok := err.(*anxin.Error); ok {
		for _, d := range e.Details {
			msg += " " + d.Field + ": " + d.Message + "."
		}
	}
	return msg
}

// send POSTs one batch and turns the answer into a result per statement.
func (s *Submitter) send(ctx context.Context, claims []*anxin.SubmissionClaim, subs []dsa.Submission) []anxin.SubmissionResult {
	body, err := json.Marshal(map[string]any{"statements": subs})
	if err != nil {
		return s.all(claims, anxin.SubmissionDead, 0, "the batch could not be encoded")
	}
	ctx, cancel := context.WithTimeout(ctx, or(s.Timeout, DefaultTimeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Endpoint, bytes.NewReader(body))
	if err != nil {
		return s.all(claims, anxin.SubmissionDead, 0, "the endpoint URL is not usable")
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Anxin/"+anxin.Version)
	start := time.Now()
	resp, err := s.client().Do(req)
	if err != nil {
		s.batch.WithLabelValues("error").Observe(time.Since(start).Seconds())
		return s.retry(claims, 0, webhook.TransportError(err), 0)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	resp.Body.Close()
	elapsed := time.Since(start).Seconds()
	if err != nil {
		s.batch.WithLabelValues("error").Observe(elapsed)
		return s.retry(claims, resp.StatusCode, "the answer was cut off: "+webhook.TransportError(err), 0)
	}
	var ans answer
	_ = json.Unmarshal(raw, &ans) // a body that is not our JSON leaves ans empty; the status decides
	status := resp.StatusCode
	switch {
	case status >= 200 && status < 300:
		s.batch.WithLabelValues("ok").Observe(elapsed)
		uuids := map[string]string{}
		for _, st := range ans.Statements {
			uuids[st.PUID] = st.UUID
		}
		out := make([]anxin.SubmissionResult, len(claims))
		for i, c := range claims {
			out[i] = anxin.SubmissionResult{StatementID: c.StatementID, Lease: c.Lease, State: anxin.SubmissionSubmitted,
				Counted: true, Status: status, RemoteUUID: uuids[c.PUID]}
		}
		return out
	case status == http.StatusUnprocessableEntity:
		s.batch.WithLabelValues("refused").Observe(elapsed)
		return s.refused(claims, ans)
	case status >= 500, status == http.StatusRequestTimeout, status == http.StatusTooManyRequests:
		s.batch.WithLabelValues("error").Observe(elapsed)
		return s.retry(claims, status, "HTTP "+strconv.Itoa(status)+summary(ans), retryAfter(resp.Header.Get("Retry-After")))
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		// The token is wrong or was replaced, not the statements: keep them
		// and retry with backoff, so a fixed token sends them on.
		s.batch.WithLabelValues("refused").Observe(elapsed)
		s.logger().Warn("dsa submitter: the database refused the token", "status", status)
		return s.retry(claims, status, "HTTP "+strconv.Itoa(status)+": the database refused the token", 0)
	default:
		s.batch.WithLabelValues("refused").Observe(elapsed)
		return s.all(claims, anxin.SubmissionDead, status, "HTTP "+strconv.Itoa(status)+summary(ans))
	}
}

// refused reads a 422, after which the database has created none of the
// batch: puids it already holds are submitted, statements it names by
// position are dead, and the rest go back to the queue uncharged to be
// sent in the next batch. A 422 that names neither fails the whole batch.
func (s *Submitter) refused(claims []*anxin.SubmissionClaim, ans answer) []anxin.SubmissionResult {
	const status = http.StatusUnprocessableEntity
	existing := map[string]bool{}
	if raw, ok := ans.Errors["existing_puids"]; ok {
		var puids []string
		if json.Unmarshal(raw, &puids) == nil {
			for _, p := range puids {
				existing[p] = true
			}
		}
	}
	bad := map[int]string{}
	for key, raw := range ans.Errors {
		n, ok := strings.CutPrefix(key, "statement_")
		if !ok {
			continue
		}
		if i, err := strconv.Atoi(n); err == nil && i >= 0 && i < len(claims) {
			bad[i] = fieldErrors(raw)
		}
	}
	if len(existing) == 0 && len(bad) == 0 {
		if _, dup := ans.Errors["puid"]; dup && len(claims) == 1 {
			existing[claims[0].PUID] = true // the single-statement shape: the one puid is taken
		} else {
			return s.all(claims, anxin.SubmissionDead, status, "HTTP 422"+summary(ans))
		}
	}
	out := make([]anxin.SubmissionResult, len(claims))
	matched := 0
	for i, c := range claims {
		r := anxin.SubmissionResult{StatementID: c.StatementID, Lease: c.Lease, Status: status}
		switch msg, isBad := bad[i]; {
		case existing[c.PUID]:
			r.State, r.Counted, r.Error = anxin.SubmissionSubmitted, true, "The database already held this puid; counted as submitted."
		case isBad:
			r.State, r.Counted, r.Error = anxin.SubmissionDead, true, "HTTP 422: "+msg
		default:
			r.State, r.Error = anxin.SubmissionPending, "Sent back: the database refused another statement in the batch."
			matched--
		}
		matched++
		out[i] = r
	}
	if matched == 0 {
		// The answer names nothing in this batch: sending the same batch
		// again would get the same answer.
		return s.all(claims, anxin.SubmissionDead, status, "HTTP 422"+summary(ans))
	}
	return out
}

// fieldErrors renders {"field": ["message", …], …} as "field: message; …",
// fields in order.
func fieldErrors(raw json.RawMessage) string {
	var fields map[string][]string
	if json.Unmarshal(raw, &fields) != nil || len(fields) == 0 {
		return "the database refused the statement"
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(k + ": " + strings.Join(fields[k], " "))
	}
	return b.String()
}

// summary is ": message" from the database's answer, or "".
func summary(ans answer) string {
	if ans.Message == "" {
		return ""
	}
	return ": " + ans.Message
}

// retryAfter reads a Retry-After header given in seconds; 0 if absent.
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return 0
	}
	return min(time.Duration(n)*time.Second, DefaultBackoffCap)
}

// retry charges each claim one attempt: failed with backoff (at least
// floor), or dead once it has had MaxAttempts.
func (s *Submitter) retry(claims []*anxin.SubmissionClaim, status int, msg string, floor time.Duration) []anxin.SubmissionResult {
	out := make([]anxin.SubmissionResult, len(claims))
	for i, c := range claims {
		r := anxin.SubmissionResult{StatementID: c.StatementID, Lease: c.Lease, Counted: true, Status: status, Error: msg}
		if c.Attempts+1 >= or(s.MaxAttempts, DefaultMaxAttempts) {
			r.State, r.Error = anxin.SubmissionDead, fmt.Sprintf("%s (gave up after %d attempts)", msg, c.Attempts+1)
		} else {
			r.State, r.RetryIn = anxin.SubmissionFailed, max(s.Backoff(c.Attempts+1), floor)
		}
		out[i] = r
	}
	return out
}

// all gives every claim the same counted outcome.
func (s *Submitter) all(claims []*anxin.SubmissionClaim, state string, status int, msg string) []anxin.SubmissionResult {
	out := make([]anxin.SubmissionResult, len(claims))
	for i, c := range claims {
		out[i] = anxin.SubmissionResult{StatementID: c.StatementID, Lease: c.Lease, State: state, Counted: true, Status: status, Error: msg}
	}
	return out
}
