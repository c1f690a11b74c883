package main

import (
	"context"
	"log/slog"
	"net"
	"os"
	"sync"

	"anxin"
	anxinhttp "anxin/http"
	"anxin/sqlstore"
	"anxin/vault"
)

// Config is what Main needs to open.
type Config struct {
	DSN           string // postgres://… or a SQLite path
	Addr          string // listen address
	Migrate       bool   // apply pending migrations instead of refusing to start
	SecureCookies bool   // console cookies marked Secure (off for plain-HTTP loopback)
	NoJobs        bool   // do not run the job runner and webhook sender (tests)
	VaultKEKFile  string // the vault's KEK file (default vault.kek beside the SQLite file); ANXIN_VAULT_KEK overrides
}

// Main holds everything serve opens, so main and the end-to-end tests build
// the same program:
//
//	m := NewMain()
//	m.Config.DSN, m.Config.Addr = filepath.Join(t.TempDir(), "anxin.db"), "127.0.0.1:0"
//	if err := m.Open(ctx); err != nil { ... }
//	defer m.Close()
type Main struct {
	Config Config
	Clock  anxin.Clock
	Logger *slog.Logger

	DB         *sqlstore.DB
	HTTPServer *anxinhttp.Server
	Jobs       *sqlstore.JobRunner

	// Addr is the address the server listens on, set once Run has bound it.
	Addr net.Addr

	wg     sync.WaitGroup
	cancel context.CancelFunc
}

// NewMain returns a Main with defaults.
func NewMain() *Main {
	return &Main{
		Config: Config{Addr: "127.0.0.1:8080", SecureCookies: true},
		Clock:  anxin.SystemClock{},
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
}

// Open opens the database, checks or applies the schema and wires every
// service. It does not start serving; Run does.
func (m *Main) Open(ctx context.Context) error {
	db, err := sqlstore.Open(ctx, m.Config.DSN, m.Clock)
	if err != nil {
		return err
	}
	m.DB = db
	if m.Config.Migrate {
		applied, err := db.Migrate(ctx)
		if err != nil {
			return err
		}
		if len(applied) > 0 {
			m.Logger.Info("migrated", "applied", len(applied))
		}
	} else if err := db.CheckSchema(ctx); err != nil {
		return err
	}

	m.Jobs = &sqlstore.JobRunner{DB: db, Logger: m.Logger}

	s := anxinhttp.NewServer()
	s.Clock = m.Clock
	s.Logger = m.Logger
	s.SecureCookies = m.Config.SecureCookies
	s.Keys = sqlstore.NewKeyService(db)
	s.Ready = db.Ping
	s.Stats = sqlstore.NewStatsService(db)
	s.Reports = sqlstore.NewReportService(db)
	m.HTTPServer = s

	return m.wireCapabilities(ctx)
}

// wireCapabilities assigns each capability's services. One block per
// capability, in the order of the README.
func (m *Main) wireCapabilities(ctx context.Context) error {
	// privacy: sealed personal data, masked views, waybills with virtual
	// numbers, audited decrypts and exfiltration alerts.
	kek, err := openKEK(m.Config.VaultKEKFile, m.Config.DSN)
	if err != nil {
		return err
	}
	m.HTTPServer.Privacy = sqlstore.NewVaultService(m.DB, vault.New(kek), sqlstore.PrivacyConfig{VirtualNumbers: sqlstore.DefaultVirtualNumbers})

	return nil
}

// Run serves HTTP and runs the background workers until ctx is done, then
// drains. ready, when not nil, receives the bound address.
func (m *Main) Run(ctx context.Context, ready chan<- net.Addr) error {
	ctx, m.cancel = context.WithCancel(ctx)
	if !m.Config.NoJobs {
		m.startWorkers(ctx)
	}
	bound := make(chan net.Addr, 1)
	errc := make(chan error, 1)
	go func() { errc <- m.HTTPServer.ListenAndServe(ctx, m.Config.Addr, bound) }()
	select {
	case a := <-bound:
		m.Addr = a
		if ready != nil {
			ready <- a
		}
	case err := <-errc:
		return err
	}
	err := <-errc
	m.cancel()
	m.wg.Wait()
	return err
}

// startWorkers starts the job runner and the other background loops.
func (m *Main) startWorkers(ctx context.Context) {
	m.wg.Add(1)
	go func() { defer m.wg.Done(); m.Jobs.Run(ctx) }()
}

// Close releases everything Open opened.
func (m *Main) Close() error {
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
	if m.DB != nil {
		return m.DB.Close()
	}
	return nil
}
