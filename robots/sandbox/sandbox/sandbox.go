// Package sandbox stands in for the municipal systems the sample robots
// work against: the CPR register's move-in events and foreign citizens,
// Digital Post, the ESDH case system with its rate limit, a queue of tasks
// for people, and the health endpoints of monitored systems. Its state is
// in memory, seeded deterministically, and readable back (GET /state, or
// the Server's methods in tests), so that tests can check that every letter
// was sent once and every certificate journaled once however often a robot
// retried or was killed. robots/sandbox/README.md lists the
// endpoints.
package sandbox

import (
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// IdempotencyKeyHeader carries the key of a write; every POST needs one.
const IdempotencyKeyHeader = "Idempotency-Key"

// ReplayedHeader is "true" on the answer to a repeated write: the sandbox
// did nothing and answers with what it did the first time.
const ReplayedHeader = "Idempotency-Replayed"

// Config is how a Server is seeded and how it behaves.
type Config struct {
	// Seed makes the generated names and details; the same seed gives the
	// same data.
	Seed uint64
	// MoveIns, Certificates and ForeignCitizens are how many of each to
	// generate.
	MoveIns, Certificates, ForeignCitizens int
	// Cases is how many persons have cases in ESDH (some have two).
	Cases int
	// OilTanks is how many BBR units with an outdated oil tank to
	// generate, each with its owner. OilTankExceptionsFrom is the first
	// unit whose owner may be an exception (protected, no Digital Post
	// mailbox); zero means the first. A test that checks counts through a
	// limit places the exceptions after it.
	OilTanks, OilTankExceptionsFrom int
	// SewerProperties is how many properties in sewer separation areas to
	// generate, each with its ESDH case.
	SewerProperties int
	// LetterDelay is how long Digital Post takes to answer a letter it has
	// sent: a robot stopped meanwhile never hears that it was sent.
	LetterDelay time.Duration
	// Municipalities receive the move-ins in turn; DIGIT's municipalities
	// share the welcome-letters robot.
	Municipalities []string
	// JournalRate is how many journal requests per second ESDH accepts,
	// and JournalBurst how many at once; beyond that it answers 429.
	JournalRate  float64
	JournalBurst int
	// Systems are the systems system-monitor may check.
	Systems []System
	// Now is the sandbox's clock: seed dates, timestamps and the rate
	// limit. Tests pass a fake clock, which the robot's sleeps advance.
	Now func() time.Time
	// Log gets a line per write; nil logs nothing.
	Log *slog.Logger
}

// System is a monitored system as the health endpoint plays it.
type System struct {
	Name string
	// Up false makes its health endpoint answer 503.
	Up bool
	// Latency is how long its health endpoint takes to answer.
	Latency time.Duration
}

// DefaultConfig is the sandbox as cmd starts it without flags.
func DefaultConfig() Config {
	return Config{
		Seed:            1,
		MoveIns:         30,
		Certificates:    50,
		ForeignCitizens: 120,
		Cases:           60,
		OilTanks:        130,
		SewerProperties: 40,
		Municipalities:  []string{"Roskilde", "Lejre", "Køge"},
		JournalRate:     2,
		JournalBurst:    4,
		Systems: []System{
			{Name: "sbsys", Up: true, Latency: 40 * time.Millisecond},
			{Name: "acadre", Up: true, Latency: 60 * time.Millisecond},
			{Name: "kmd-sag", Up: true, Latency: 120 * time.Millisecond},
			{Name: "opus", Up: true, Latency: 80 * time.Millisecond},
			{Name: "digital-post", Up: true, Latency: 30 * time.Millisecond},
		},
		Now: time.Now,
	}
}

// Server is the sandbox: an http.Handler over in-memory state.
type Server struct {
	cfg Config
	log *slog.Logger
	mux *http.ServeMux

	// mu guards everything below: requests are few, and one lock keeps
	// "check the key, then write" atomic.
	mu           sync.Mutex
	moveIns      []*MoveIn
	certificates []*Certificate
	citizens     []*ForeignCitizen
	cases        []*Case
	oilTanks     []*OilTank
	properties   []*SewerProperty
	letters      ledger[Letter]
	journal      ledger[JournalEntry]
	tasks        ledger[Task]
	checks       ledger[ResidenceCheck]
	// checkedInBatch indexes checks by "<batch>/<citizen id>".
	checkedInBatch  map[string]bool
	journalLimit    *tokenBucket
	systems         map[string]*System
	lettersRejected int
	rejected429     int
	systemChecks    int
}

// New seeds a Server from cfg. Zero Seed, Municipalities, JournalRate,
// JournalBurst, Systems (nil) and Now take DefaultConfig's; the counts are
// taken as given, so that a test seeds only what it needs.
func New(cfg Config) *Server {
	cfg = withDefaults(cfg)
	s := &Server{
		cfg:            cfg,
		log:            cfg.Log,
		journalLimit:   newTokenBucket(cfg.JournalRate, cfg.JournalBurst, cfg.Now()),
		systems:        map[string]*System{},
		checkedInBatch: map[string]bool{},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for _, sys := range cfg.Systems {
		s.systems[sys.Name] = &sys
	}
	seed(s, cfg)
	s.mux = s.routes()
	return s
}

func withDefaults(cfg Config) Config {
	def := DefaultConfig()
	if cfg.Seed == 0 {
		cfg.Seed = def.Seed
	}
	if len(cfg.Municipalities) == 0 {
		cfg.Municipalities = def.Municipalities
	}
	if cfg.JournalRate <= 0 {
		cfg.JournalRate = def.JournalRate
	}
	if cfg.JournalBurst <= 0 {
		cfg.JournalBurst = def.JournalBurst
	}
	if cfg.Systems == nil {
		cfg.Systems = def.Systems
	}
	if cfg.Now == nil {
		cfg.Now = def.Now
	}
	return cfg
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// routes maps each endpoint to its handler; README.md describes them.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{keyStatus: "ok"})
	})
	mux.HandleFunc("GET /state", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.State()) })

	mux.HandleFunc("GET /cpr/move-ins", s.listMoveIns)
	mux.HandleFunc("GET /cpr/foreign-citizens", s.listCitizens)
	mux.HandleFunc("POST /cpr/residence-checks", s.recordCheck)
	mux.HandleFunc("GET /cpr/residence-checks", s.listChecks)

	mux.HandleFunc("POST /digital-post/letters", s.sendLetter)
	mux.HandleFunc("GET /digital-post/outbox", s.listOutbox)

	mux.HandleFunc("GET /certificates", s.listCertificates)
	mux.HandleFunc("GET /certificates/{id}", s.getCertificate)
	mux.HandleFunc("POST /esdh/journal", s.journalDocument)
	mux.HandleFunc("GET /esdh/journal", s.listJournal)
	mux.HandleFunc("GET /esdh/cases", s.listCases)

	mux.HandleFunc("GET /bbr/oil-tanks", s.listOilTanks)
	mux.HandleFunc("GET /bbr/oil-tanks/{unitId}", s.getOilTank)
	mux.HandleFunc("GET /sewer/properties", s.listSewerProperties)
	mux.HandleFunc("GET /sewer/properties/{id}", s.getSewerProperty)

	mux.HandleFunc("POST /tasks", s.createTask)
	mux.HandleFunc("GET /tasks", s.listTasks)

	mux.HandleFunc("GET /systems", s.listSystems)
	mux.HandleFunc("GET /systems/{name}/health", s.systemHealth)
	mux.HandleFunc("PUT /systems/{name}", s.setSystem)
	return mux
}

// actor is who made a request: the basic-auth user the robot logs in as,
// so that its work can be found afterwards. The sandbox accepts any
// password, and none.
func actor(r *http.Request) string {
	if user, _, ok := r.BasicAuth(); ok && user != "" {
		return user
	}
	return "anonymous"
}

// timestamp is the sandbox's clock as it records times.
func (s *Server) timestamp() string { return s.cfg.Now().UTC().Format(time.RFC3339) }
