package main

import (
	"context"
	"fmt"
	"net"
	"os"

	"anxin"
)

func runServe(ctx context.Context, args []string) error {
	var f dbFlags
	var df dsaFlags
	fs := newFlagSet("serve", "serve [--addr HOST:PORT] [--data DIR | --db DSN] [--migrate] [--tls-cert FILE --tls-key FILE | --allow-plain-http] [--dsa-endpoint URL --dsa-token-file FILE]", `
Serve the JSON API under /v1/, the console under /console/, /healthz,
/readyz, /metrics and /openapi.json, and run the job runner and webhook
sender. Refuses to start on an old schema unless --migrate is given.
SIGINT or SIGTERM drains in-flight requests and stops. Plain HTTP is
refused on non-loopback addresses unless --allow-plain-http is given.

With --events the marketplace's events are consumed from NATS JetStream
(--events-subject) or Kafka (--events-topic). Decisions and actions (the
webhook outbox) can also be published to the same broker, in outbox order:
--decisions-subject PREFIX on NATS (deduplicated by Nats-Msg-Id), or
--decisions-topic TOPIC on Kafka (record key = subject id, headers
Anxin-Message-Id and Anxin-Message-Type; at-least-once, so consumers drop
repeated message ids).

With --dsa-endpoint new statements of reasons are submitted in batches to
the DSA Transparency Database with the token from --dsa-token-file (or
ANXIN_DSA_TOKEN), from --dsa-since on; failures are retried with backoff
and dead letters wait in the console under Statements.`)
	f.register(fs)
	df.register(fs)
	addr := fs.String("addr", envOr("ANXIN_ADDR", "127.0.0.1:8080"), "listen `address` (env ANXIN_ADDR)")
	migrate := fs.Bool("migrate", false, "apply pending migrations before serving")
	insecure := fs.Bool("insecure-cookies", false, "allow console cookies over plain HTTP (loopback demos only)")
	tlsCert := fs.String("tls-cert", os.Getenv("ANXIN_TLS_CERT"), "TLS certificate chain `file` (PEM; env ANXIN_TLS_CERT)")
	tlsKey := fs.String("tls-key", os.Getenv("ANXIN_TLS_KEY"), "TLS private key `file` (PEM; env ANXIN_TLS_KEY)")
	allowPlain := fs.Bool("allow-plain-http", false, "serve plain HTTP on a non-loopback address (behind a TLS-terminating proxy)")
	events := fs.String("events", os.Getenv("ANXIN_EVENTS"), "consume marketplace events from `nats://HOST:PORT` (JetStream) or kafka://HOST:PORT[,HOST:PORT] (env ANXIN_EVENTS)")
	eventsSubject := fs.String("events-subject", envOr("ANXIN_EVENTS_SUBJECT", ""), "the events `subject` (env ANXIN_EVENTS_SUBJECT)")
	eventsTopic := fs.String("events-topic", os.Getenv("ANXIN_EVENTS_TOPIC"), "the Kafka `topic` with --events kafka://; consumer group anxin (env ANXIN_EVENTS_TOPIC)")
	eventsStream := fs.String("events-stream", envOr("ANXIN_EVENTS_STREAM", "ANXIN_EVENTS"), "the JetStream `stream` holding the events subject; created if missing (env ANXIN_EVENTS_STREAM)")
	decisions := fs.String("decisions-subject", os.Getenv("ANXIN_DECISIONS_SUBJECT"), "with --events nats://, also publish decisions and actions under this subject `prefix` (env ANXIN_DECISIONS_SUBJECT)")
	decisionsTopic := fs.String("decisions-topic", os.Getenv("ANXIN_DECISIONS_TOPIC"), "with --events kafka://, also publish decisions and actions to this Kafka `topic`, keyed by subject id; at-least-once, dedupe by the Anxin-Message-Id header (env ANXIN_DECISIONS_TOPIC)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkTransport(*addr, *tlsCert, *tlsKey, *allowPlain); err != nil {
		return err
	}
	dsaConfig, err := df.config()
	if err != nil {
		return err
	}
	dsn, err := f.dsn()
	if err != nil {
		return err
	}
	if err := startPprof(os.Getenv("ANXIN_PPROF")); err != nil {
		return err
	}
	m := NewMain()
	m.Config.DSN, m.Config.Addr, m.Config.Migrate, m.Config.SecureCookies = dsn, *addr, *migrate, !*insecure
	m.Config.VaultKEKFile = f.kekFile(dsn)
	m.Config.DSA = dsaConfig
	m.Config.EventsURL, m.Config.EventsSubject, m.Config.DecisionsSubject = *events, *eventsSubject, *decisions
	m.Config.EventsStream, m.Config.EventsTopic, m.Config.DecisionsTopic = *eventsStream, *eventsTopic, *decisionsTopic
	if err := m.Open(ctx); err != nil {
		m.Close()
		return err
	}
	defer m.Close()
	m.HTTPServer.TLSCertFile, m.HTTPServer.TLSKeyFile = *tlsCert, *tlsKey
	scheme := "http"
	if *tlsCert != "" {
		scheme = "https"
	}
	ready := make(chan net.Addr, 1)
	go func() {
		if a, ok := <-ready; ok {
			fmt.Fprintf(os.Stderr, "anxin: serving on %s://%s (console at /console/)\n", scheme, a)
		}
	}()
	return m.Run(ctx, ready)
}

// checkTransport refuses plain HTTP on anything but a loopback address
// unless explicitly allowed: API keys, session cookies and decrypted
// personal data must not cross a network in the clear. A certificate needs
// its key and vice versa.
func checkTransport(addr, cert, key string, allowPlain bool) error {
	if (cert == "") != (key == "") {
		return anxin.Errorf(anxin.Invalid, "--tls-cert and --tls-key go together.")
	}
	if cert != "" || allowPlain {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return anxin.Errorf(anxin.Invalid, "--addr must be HOST:PORT.")
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return anxin.Errorf(anxin.Invalid, "Refusing plain HTTP on %s, which is not a loopback address: give --tls-cert and --tls-key, or --allow-plain-http behind a TLS-terminating proxy.", addr)
}
