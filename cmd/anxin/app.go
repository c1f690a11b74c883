package main

import (
	"context"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"

	"anxin"
	"anxin/dsa/submit"
	anxinhttp "anxin/http"
	"anxin/sqlstore"
	"anxin/stream"
	"anxin/vault"
	"anxin/webhook"
)

// Config is what Main needs to open.
type Config struct {
	DSN           string // postgres://… or a SQLite path
	Addr          string // listen address
	Migrate       bool   // apply pending migrations instead of refusing to start
	SecureCookies bool   // console cookies marked Secure (off for plain-HTTP loopback)
	NoJobs        bool   // do not run the job runner and webhook sender (tests)
	VaultKEKFile  string // the vault's KEK file (default vault.kek beside the SQLite file); ANXIN_VAULT_KEK overrides

	// EventsURL (nats://host:port) consumes marketplace events from NATS
	// JetStream on EventsSubject; DecisionsSubject, when set, publishes the
	// outbox (decisions and actions) to that subject prefix on the same broker.
	// With EventsURL kafka://broker1:9092,broker2:9092 events come from
	// EventsTopic and DecisionsTopic, when set, receives the outbox.
	EventsURL        string
	EventsSubject    string
	EventsStream     string // JetStream stream name; "" means stream.NATSConsumer's default
	EventsTopic      string
	DecisionsSubject string
	DecisionsTopic   string

	// DSA, when DSA.Endpoint is set, submits statements of reasons to the
	// DSA Transparency Database.
	DSA DSAConfig
}

// Publisher publishes the outbox to a broker (stream.NATSPublisher,
// stream.KafkaPublisher).
type Publisher interface {
	Run(ctx context.Context) error
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
	Sender     *webhook.Sender   // delivers the outbox to the marketplace's webhooks
	Submitter  *submit.Submitter // with --dsa-endpoint: files statements of reasons

	Consumer  *stream.NATSConsumer  // with --events nats://
	Kafka     *stream.KafkaConsumer // with --events kafka://
	Publisher Publisher             // with --decisions-subject or --decisions-topic

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
	if err := m.Config.checkStreams(); err != nil {
		return err // before anything is opened or created
	}
	sub, err := m.Config.DSA.submitter()
	if err != nil {
		return err
	}
	db, err := sqlstore.Open(ctx, m.Config.DSN, m.Clock)
	if err != nil {
		return err
	}
	m.DB = db
	fresh, err := db.IsEmpty(ctx)
	if err != nil {
		return err
	}
	// A brand-new database has nothing to protect from a surprise
	// migration, so it is created whole; an older schema still needs
	// --migrate (or "anxin migrate"), deliberately.
	if m.Config.Migrate || fresh {
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
	s.ClassifyError = sqlstore.MapError
	s.Stats = sqlstore.NewStatsService(db)
	s.Reports = sqlstore.NewReportService(db)
	m.HTTPServer = s

	if err := m.wireCapabilities(ctx); err != nil {
		return err
	}
	return m.wireDSA(ctx, sub)
}

// wireCapabilities assigns each capability's services. One block per
// capability, in the order of the README.
func (m *Main) wireCapabilities(ctx context.Context) error {
	// Buyer protection and the guarantee-fund ledger.
	prot := sqlstore.NewProtectionService(m.DB)
	if err := prot.InstallDefaultProgrammes(ctx); err != nil {
		return err
	}
	m.HTTPServer.Protection = prot
	m.HTTPServer.Ledger = sqlstore.NewLedgerService(m.DB)
	m.HTTPServer.Metrics.MustRegister(sqlstore.NewProtectionCollector(m.DB))
	m.HTTPServer.Metrics.MustRegister(sqlstore.NewSanctionCollector(m.DB))
	m.DB.AddEventHook(prot.OnEvents)
	prot.RegisterJobs(m.Jobs)

	// Governance: checks, lexicons, policies, review queue, enforcement.
	// The default pack is loaded on first start.
	gov := sqlstore.NewGovernanceService(m.DB)
	if err := gov.Seed(ctx); err != nil {
		return err
	}
	m.HTTPServer.Governance, m.HTTPServer.Reviews, m.HTTPServer.Enforcement = gov, gov, gov
	m.HTTPServer.Evals = sqlstore.EvalService{DB: m.DB, Governance: gov}
	m.HTTPServer.Backtests = gov
	m.HTTPServer.Sanctions = gov
	m.Jobs.Handle(sqlstore.JobSanctionEnd, gov.HandleSanctionEnd)
	s := m.HTTPServer

	// Marketplace mirror and event ingestion. Capabilities that react to
	// events register hooks with m.DB.AddEventHook in their own blocks.
	s.Marketplace = sqlstore.NewMarketplaceService(m.DB)
	s.Events = sqlstore.NewEventService(m.DB)

	// Webhooks: operators manage endpoints and see deliveries and jobs; the
	// sender delivers the outbox (started in startWorkers).
	webhooks := sqlstore.NewWebhookService(m.DB)
	s.Webhooks = webhooks
	s.Jobs = sqlstore.NewJobService(m.DB)
	s.Streams = m.DB
	m.Sender = &webhook.Sender{Store: webhooks, Clock: m.Clock, Logger: m.Logger}
	s.Metrics.MustRegister(m.Sender)

	// Streams: events in from NATS JetStream or Kafka, decisions out to the
	// same broker (the flags were checked by checkStreams).
	if c := m.Config; c.EventsURL != "" {
		var healthy func(context.Context) error
		if strings.HasPrefix(c.EventsURL, "nats://") {
			m.Consumer = &stream.NATSConsumer{URL: c.EventsURL, Subject: c.EventsSubject, Stream: c.EventsStream, Sink: s.Events, Logger: m.Logger}
			s.Metrics.MustRegister(m.Consumer)
			healthy = m.Consumer.Healthy
			s.EventStream = func(ctx context.Context) *anxin.EventStream {
				lag, _ := m.Consumer.Lag(ctx)
				return &anxin.EventStream{Source: "nats", Name: c.EventsSubject, Connected: m.Consumer.Healthy(ctx) == nil, Lag: lag}
			}
			if c.DecisionsSubject != "" {
				p := &stream.NATSPublisher{URL: c.EventsURL, Subject: c.DecisionsSubject, Logger: m.Logger,
					Outbox: sqlstore.NewOutboxCursor(m.DB, "nats:"+c.DecisionsSubject, anxin.NewID("replica"))}
				s.Metrics.MustRegister(p)
				m.Publisher = p
			}
		} else {
			brokers := kafkaBrokers(c.EventsURL)
			m.Kafka = &stream.KafkaConsumer{Brokers: brokers, Topic: c.EventsTopic, Sink: s.Events, Logger: m.Logger}
			s.Metrics.MustRegister(m.Kafka)
			healthy = m.Kafka.Healthy
			s.EventStream = func(ctx context.Context) *anxin.EventStream {
				return &anxin.EventStream{Source: "kafka", Name: c.EventsTopic, Connected: m.Kafka.Healthy(ctx) == nil, Lag: m.Kafka.Lag()}
			}
			if c.DecisionsTopic != "" {
				p := &stream.KafkaPublisher{Brokers: brokers, Topic: c.DecisionsTopic, Logger: m.Logger,
					Outbox: sqlstore.NewOutboxCursor(m.DB, "kafka:"+c.DecisionsTopic, anxin.NewID("replica"))}
				s.Metrics.MustRegister(p)
				m.Publisher = p
			}
		}
		dbReady := s.Ready
		s.Ready = func(ctx context.Context) error {
			if err := dbReady(ctx); err != nil {
				return err
			}
			return healthy(ctx)
		}
	}

	// Anti-counterfeit and IP protection.
	relations := sqlstore.NewRelationService(m.DB)
	hashBank := sqlstore.NewHashBankService(m.DB)
	ip := sqlstore.NewIPService(m.DB)
	s.Relations = relations
	s.HashBank = hashBank
	s.HashLists = hashBank
	s.IP = ip
	counterfeit := sqlstore.NewCounterfeitService(m.DB, relations, hashBank)
	s.Counterfeit = counterfeit
	s.ContentModels = gov
	gov.Counterfeit = counterfeit // publish-time checks see the counterfeit signals
	m.Jobs.Handle(sqlstore.JobIPReinstate, ip.HandleReinstate)

	// privacy: sealed personal data, masked views, waybills with virtual
	// numbers, audited decrypts and exfiltration alerts.
	kek, err := openKEK(m.Config.VaultKEKFile, m.Config.DSN)
	if err != nil {
		return err
	}
	privacySvc := sqlstore.NewVaultService(m.DB, vault.New(kek), sqlstore.PrivacyConfig{VirtualNumbers: sqlstore.DefaultVirtualNumbers})
	m.HTTPServer.Privacy = privacySvc
	// A signed checkpoint of the audit chain's head goes out as an
	// audit.checkpoint webhook every hour.
	m.Jobs.Handle(sqlstore.JobAuditCheckpoint, privacySvc.HandleCheckpointJob)
	if err := privacySvc.ScheduleCheckpoints(ctx, sqlstore.DefaultCheckpointEvery); err != nil {
		return err
	}

	// Customer care: tickets, SLA clocks fired by the job runner, CSAT.
	careSvc := sqlstore.NewCareService(m.DB)
	m.HTTPServer.Care = careSvc
	m.Jobs.Handle(sqlstore.JobCareSLA, careSvc.HandleSLAJob)

	// Quality sampling: plans, labs, results and interceptions.
	m.HTTPServer.Sampling = sqlstore.NewSamplingService(m.DB)

	// Category quality watch: monitors evaluated daily by the job runner, campaigns.
	qualitySvc := sqlstore.NewQualityService(m.DB)
	m.HTTPServer.Quality = qualitySvc
	m.Jobs.Handle(sqlstore.JobQualityEvaluate, qualitySvc.HandleEvaluateJob)

	return nil
}

// checkStreams refuses an unusable combination of the broker flags.
func (c Config) checkStreams() error {
	if c.EventsURL == "" {
		if c.DecisionsSubject != "" || c.DecisionsTopic != "" {
			return anxin.Errorf(anxin.Invalid, "--decisions-subject and --decisions-topic publish to the broker of --events: give --events nats://… or kafka://….")
		}
		return nil
	}
	switch {
	case strings.HasPrefix(c.EventsURL, "nats://"):
		if c.EventsSubject == "" {
			return anxin.Errorf(anxin.Invalid, "--events-subject is required with --events nats://.")
		}
		if c.DecisionsTopic != "" {
			return anxin.Errorf(anxin.Invalid, "--decisions-topic is for Kafka; with --events nats:// use --decisions-subject.")
		}
	case strings.HasPrefix(c.EventsURL, "kafka://"):
		if c.EventsTopic == "" || kafkaBrokers(c.EventsURL)[0] == "" {
			return anxin.Errorf(anxin.Invalid, "--events kafka://HOST:PORT[,HOST:PORT] needs brokers and --events-topic.")
		}
		if c.DecisionsSubject != "" {
			return anxin.Errorf(anxin.Invalid, "--decisions-subject is for NATS; with --events kafka:// use --decisions-topic.")
		}
		if t := c.DecisionsTopic; t != "" {
			if err := checkTopic(t); err != nil {
				return err
			}
			if t == c.EventsTopic || t == c.EventsTopic+".dlq" {
				return anxin.Errorf(anxin.Invalid, "--decisions-topic must differ from the events topic and its dead-letter topic.")
			}
		}
	default:
		return anxin.Errorf(anxin.Invalid, "--events must be a nats:// or kafka:// URL.")
	}
	return nil
}

// kafkaBrokers returns the seed brokers of kafka://HOST:PORT[,HOST:PORT].
func kafkaBrokers(url string) []string {
	return strings.Split(strings.TrimPrefix(url, "kafka://"), ",")
}

// checkTopic refuses a name Kafka would reject: 1 to 249 of [A-Za-z0-9._-],
// not "." or "..".
func checkTopic(t string) error {
	ok := len(t) > 0 && len(t) <= 249 && t != "." && t != ".."
	for _, c := range t {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			ok = false
		}
	}
	if !ok {
		return anxin.Errorf(anxin.Invalid, "--decisions-topic %q is not a Kafka topic name (1 to 249 letters, digits, '.', '_' or '-').", t)
	}
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
	if m.Consumer != nil {
		m.wg.Add(1)
		go func() { defer m.wg.Done(); m.Consumer.Run(ctx) }()
	}
	if m.Kafka != nil {
		m.wg.Add(1)
		go func() { defer m.wg.Done(); m.Kafka.Run(ctx) }()
	}
	if m.Publisher != nil {
		m.wg.Add(1)
		go func() { defer m.wg.Done(); m.Publisher.Run(ctx) }()
	}
	if m.Sender != nil {
		m.wg.Add(1)
		// On shutdown the sender stops claiming and finishes its in-flight
		// attempts before Run returns.
		go func() { defer m.wg.Done(); m.Sender.Run(ctx) }()
	}
	if m.Submitter != nil {
		m.wg.Add(1)
		// Like the sender, it finishes and records a batch in flight.
		go func() { defer m.wg.Done(); m.Submitter.Run(ctx) }()
	}
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
