package main

import (
	"context"
	"flag"
	"os"
	"strings"
	"time"

	"anxin"
	"anxin/dsa/submit"
	anxinhttp "anxin/http"
	"anxin/sqlstore"
)

// DSAConfig turns on the submission of statements of reasons to the DSA
// Transparency Database. It is off while Endpoint is empty.
type DSAConfig struct {
	Endpoint string // the batch endpoint, https://…/api/v1/statements
	// Token is the platform's API token. It is read from a file or the
	// environment, never from a flag (flags show in ps), and never logged.
	Token string
	// Since is when submission starts: "" keeps the stored instant (now, on
	// the first start), "all" submits every statement, or a day
	// YYYY-MM-DD in the marketplace zone, or an RFC 3339 instant.
	Since string
	Batch int    // statements per call; 0 for the default
	Scope string // comma-separated EU/EEA codes, as for the export
	Terms string // the terms-of-service URL, as for the export
}

// dsaFlags registers serve's DSA submission flags on fs.
type dsaFlags struct {
	endpoint, tokenFile, since, scope, terms *string
	batch                                    *int
}

func (f *dsaFlags) register(fs *flag.FlagSet) {
	f.endpoint = fs.String("dsa-endpoint", os.Getenv("ANXIN_DSA_ENDPOINT"), "submit statements of reasons to the DSA Transparency Database's batch `url` (https://…/api/v1/statements; env ANXIN_DSA_ENDPOINT)")
	f.tokenFile = fs.String("dsa-token-file", os.Getenv("ANXIN_DSA_TOKEN_FILE"), "`file` holding the database's API token (env ANXIN_DSA_TOKEN_FILE; or the token itself in ANXIN_DSA_TOKEN)")
	f.since = fs.String("dsa-since", os.Getenv("ANXIN_DSA_SINCE"), "submit statements created from this `day` (YYYY-MM-DD, marketplace zone) or RFC 3339 instant, or all; default: from the first start with --dsa-endpoint (stored)")
	f.batch = fs.Int("dsa-batch", 0, "statements per call to the database, 1 to 100 (default 100)")
	f.scope = fs.String("dsa-territorial-scope", os.Getenv("ANXIN_DSA_TERRITORIAL_SCOPE"), "comma-separated EU/EEA `codes` where the decisions apply")
	f.terms = fs.String("dsa-terms-url", os.Getenv("ANXIN_DSA_TERMS_URL"), "the terms of service `url` the contractual grounds refer to")
}

// config reads the token and returns the configuration. The token file's
// contents are never put in an error.
func (f *dsaFlags) config() (DSAConfig, error) {
	c := DSAConfig{Endpoint: *f.endpoint, Since: *f.since, Batch: *f.batch, Scope: *f.scope, Terms: *f.terms}
	c.Token = strings.TrimSpace(os.Getenv("ANXIN_DSA_TOKEN"))
	if *f.tokenFile != "" {
		b, err := os.ReadFile(*f.tokenFile)
		if err != nil {
			return c, anxin.Errorf(anxin.Invalid, "--dsa-token-file %q cannot be read.", *f.tokenFile)
		}
		c.Token = strings.TrimSpace(string(b))
		if strings.ContainsAny(c.Token, " \t\r\n") {
			return c, anxin.Errorf(anxin.Invalid, "--dsa-token-file %q must hold the token alone, on one line.", *f.tokenFile)
		}
	}
	return c, nil
}

// submitter returns the configured submitter, or nil when submission is
// off. It refuses a bad configuration before anything is opened; its
// errors never contain the token.
func (c DSAConfig) submitter() (*submit.Submitter, error) {
	if c.Endpoint == "" {
		if c.Since != "" || c.Batch != 0 {
			return nil, anxin.Errorf(anxin.Invalid, "--dsa-since and --dsa-batch configure the submission to the DSA Transparency Database: give --dsa-endpoint too.")
		}
		return nil, nil
	}
	if _, _, err := c.since(); err != nil {
		return nil, err
	}
	opt, err := anxinhttp.DSAOptions(c.Scope, c.Terms)
	if err != nil {
		return nil, err
	}
	s := &submit.Submitter{Endpoint: c.Endpoint, Token: c.Token, Options: opt, BatchSize: c.Batch}
	if err := s.Check(); err != nil {
		return nil, err
	}
	return s, nil
}

// since parses Since: set is false for "" (keep the stored instant); the
// zero time with set means every statement.
func (c DSAConfig) since() (t time.Time, set bool, err error) {
	switch v := strings.TrimSpace(c.Since); {
	case v == "":
		return time.Time{}, false, nil
	case v == "all":
		return time.Time{}, true, nil
	default:
		if d, err := time.ParseInLocation(time.DateOnly, v, anxin.MarketplaceTZ); err == nil {
			return d, true, nil
		}
		if d, err := time.Parse(time.RFC3339, v); err == nil {
			return d, true, nil
		}
		return time.Time{}, false, anxin.Errorf(anxin.Invalid, "--dsa-since must be all, a day YYYY-MM-DD or an RFC 3339 instant, not %q.", v)
	}
}

// wireDSA wires the submissions' API and, when configured, the submitter
// (started with the other workers). The since instant is stored in the
// database, so a restart after an outage still submits what was issued
// while the server was down.
func (m *Main) wireDSA(ctx context.Context, sub *submit.Submitter) error {
	store := sqlstore.NewDSASubmissionService(m.DB)
	m.HTTPServer.Submissions = store
	if sub == nil {
		return nil
	}
	want, set, _ := m.Config.DSA.since() // checked by submitter
	since, err := store.Since(ctx, want, set)
	if err != nil {
		return err
	}
	sub.Store, sub.Since, sub.Logger = store, since, m.Logger
	m.HTTPServer.Metrics.MustRegister(sub)
	m.HTTPServer.DSAEndpoint = sub.Endpoint
	m.Submitter = sub
	from := "every statement"
	if !since.IsZero() {
		from = since.In(anxin.MarketplaceTZ).Format(time.RFC3339)
	}
	m.Logger.Info("dsa submitter on", "endpoint", sub.Endpoint, "since", from) // never the token
	return nil
}
