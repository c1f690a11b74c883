package main

import (
	"context"
	"fmt"
	"net"
	"os"
)

func runServe(ctx context.Context, args []string) error {
	var f dbFlags
	fs := newFlagSet("serve", "serve [--addr HOST:PORT] [--data DIR | --db DSN] [--migrate]", `
Serve the JSON API under /v1/, the console under /console/, /healthz,
/readyz, /metrics and /openapi.json, and run the job runner and webhook
sender. Refuses to start on an old schema unless --migrate is given.
SIGINT or SIGTERM drains in-flight requests and stops.`)
	f.register(fs)
	addr := fs.String("addr", envOr("ANXIN_ADDR", "127.0.0.1:8080"), "listen `address` (env ANXIN_ADDR)")
	migrate := fs.Bool("migrate", false, "apply pending migrations before serving")
	insecure := fs.Bool("insecure-cookies", false, "allow console cookies over plain HTTP (loopback demos only)")
	events := fs.String("events", os.Getenv("ANXIN_EVENTS"), "consume marketplace events from `nats://HOST:PORT` (JetStream; env ANXIN_EVENTS)")
	eventsSubject := fs.String("events-subject", envOr("ANXIN_EVENTS_SUBJECT", ""), "the events `subject` (env ANXIN_EVENTS_SUBJECT)")
	decisions := fs.String("decisions-subject", os.Getenv("ANXIN_DECISIONS_SUBJECT"), "also publish decisions and actions under this subject `prefix` on the same broker")
	if err := parse(fs, args); err != nil {
		return err
	}
	dsn, err := f.dsn()
	if err != nil {
		return err
	}
	m := NewMain()
	m.Config.DSN, m.Config.Addr, m.Config.Migrate, m.Config.SecureCookies = dsn, *addr, *migrate, !*insecure
	m.Config.EventsURL, m.Config.EventsSubject, m.Config.DecisionsSubject = *events, *eventsSubject, *decisions
	if err := m.Open(ctx); err != nil {
		m.Close()
		return err
	}
	defer m.Close()
	ready := make(chan net.Addr, 1)
	go func() {
		if a, ok := <-ready; ok {
			fmt.Fprintf(os.Stderr, "anxin: serving on http://%s (console at /console/)\n", a)
		}
	}()
	return m.Run(ctx, ready)
}
