package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sandbox/mail"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox"
)

// options are the sandbox's settings. Each flag defaults from an
// environment variable, which a Deployment sets more easily than
// arguments, and then from sandbox.DefaultConfig.
type options struct {
	addr   string
	config sandbox.Config
	// The mailbox (package mail): off without a password.
	smtpAddr, imapAddr string
	mail               mail.Config
}

// parseOptions reads flags from args and variables through getenv.
func parseOptions(args []string, getenv func(string) string) (options, error) {
	def := sandbox.DefaultConfig()
	opts := options{config: def}
	env := &envDefaults{getenv: getenv}
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&opts.addr, "addr", env.string("SANDBOX_ADDR", ":8080"), "listen address (SANDBOX_ADDR)")
	fs.Uint64Var(&opts.config.Seed, "seed", env.uint("SANDBOX_SEED", def.Seed),
		"seed of the generated data (SANDBOX_SEED)")
	fs.IntVar(&opts.config.MoveIns, "move-ins", env.int("SANDBOX_MOVE_INS", def.MoveIns),
		"move-in events to generate (SANDBOX_MOVE_INS)")
	fs.IntVar(&opts.config.Certificates, "certificates", env.int("SANDBOX_CERTIFICATES", def.Certificates),
		"certificates to generate (SANDBOX_CERTIFICATES)")
	fs.IntVar(&opts.config.ForeignCitizens, "foreign-citizens", env.int("SANDBOX_FOREIGN_CITIZENS", def.ForeignCitizens),
		"foreign citizens to generate (SANDBOX_FOREIGN_CITIZENS)")
	fs.IntVar(&opts.config.Cases, "cases", env.int("SANDBOX_CASES", def.Cases),
		"persons with ESDH cases to generate (SANDBOX_CASES)")
	fs.IntVar(&opts.config.OilTanks, "oil-tanks", env.int("SANDBOX_OIL_TANKS", def.OilTanks),
		"BBR units with outdated oil tanks to generate (SANDBOX_OIL_TANKS)")
	fs.IntVar(&opts.config.OilTankExceptionsFrom, "oil-tank-exceptions-from", env.int("SANDBOX_OIL_TANK_EXCEPTIONS_FROM", def.OilTankExceptionsFrom),
		"the first oil-tank unit whose owner may be an exception (SANDBOX_OIL_TANK_EXCEPTIONS_FROM)")
	fs.IntVar(&opts.config.SewerProperties, "sewer-properties", env.int("SANDBOX_SEWER_PROPERTIES", def.SewerProperties),
		"properties in sewer separation areas to generate (SANDBOX_SEWER_PROPERTIES)")
	fs.DurationVar(&opts.config.LetterDelay, "letter-delay", env.duration("SANDBOX_LETTER_DELAY", def.LetterDelay),
		"how long Digital Post takes to answer a letter it sent (SANDBOX_LETTER_DELAY)")
	fs.Float64Var(&opts.config.JournalRate, "journal-rate", env.float("SANDBOX_JOURNAL_RATE", def.JournalRate),
		"ESDH journal requests per second (SANDBOX_JOURNAL_RATE)")
	fs.IntVar(&opts.config.JournalBurst, "journal-burst", env.int("SANDBOX_JOURNAL_BURST", def.JournalBurst),
		"ESDH journal requests at once (SANDBOX_JOURNAL_BURST)")
	opts.mail = mail.DefaultConfig()
	fs.StringVar(&opts.smtpAddr, "smtp-addr", env.string("SANDBOX_SMTP_ADDR", ":2525"), "the mailbox's SMTP listen address (SANDBOX_SMTP_ADDR)")
	fs.StringVar(&opts.imapAddr, "imap-addr", env.string("SANDBOX_IMAP_ADDR", ":1143"), "the mailbox's IMAP listen address (SANDBOX_IMAP_ADDR)")
	fs.StringVar(&opts.mail.Address, "mail-address", env.string("SANDBOX_MAIL_ADDRESS", opts.mail.Address),
		"the mailbox's address and IMAP user (SANDBOX_MAIL_ADDRESS)")
	// The password only from the environment (a Secret), never a flag.
	opts.mail.Password = getenv("SANDBOX_MAIL_PASSWORD")
	systems := fs.String("systems", env.string("SANDBOX_SYSTEMS", ""), "monitored systems as name[=latency][:down], comma-separated (SANDBOX_SYSTEMS)")
	if env.err != nil {
		return options{}, env.err
	}
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if err := checkConfig(opts.config); err != nil {
		return options{}, err
	}
	if *systems != "" {
		list, err := parseSystems(*systems)
		if err != nil {
			return options{}, err
		}
		opts.config.Systems = list
	}
	return opts, nil
}

// checkConfig refuses settings the sandbox cannot seed or serve.
func checkConfig(c sandbox.Config) error {
	if c.Seed == 0 || c.MoveIns < 0 || c.Certificates < 0 || c.ForeignCitizens < 0 || c.Cases < 0 || c.JournalRate <= 0 || c.JournalBurst < 1 {
		return errors.New("seed, journal rate and burst must be positive, and counts not negative")
	}
	if c.OilTanks < 0 || c.OilTankExceptionsFrom < 0 || c.SewerProperties < 0 || c.LetterDelay < 0 {
		return errors.New("oil tanks, sewer properties, the first exception and the letter delay must not be negative")
	}
	return nil
}

// envDefaults reads flag defaults from variables, keeping the first error.
type envDefaults struct {
	getenv func(string) string
	err    error
}

func (e *envDefaults) string(name, def string) string {
	if v := e.getenv(name); v != "" {
		return v
	}
	return def
}

func (e *envDefaults) int(name string, def int) int {
	return parseEnv(e, name, def, strconv.Atoi)
}

func (e *envDefaults) uint(name string, def uint64) uint64 {
	return parseEnv(e, name, def, func(v string) (uint64, error) { return strconv.ParseUint(v, 10, 64) })
}

func (e *envDefaults) float(name string, def float64) float64 {
	return parseEnv(e, name, def, func(v string) (float64, error) { return strconv.ParseFloat(v, 64) })
}

func (e *envDefaults) duration(name string, def time.Duration) time.Duration {
	return parseEnv(e, name, def, time.ParseDuration)
}

func parseEnv[T any](e *envDefaults, name string, def T, parse func(string) (T, error)) T {
	v := e.getenv(name)
	if v == "" {
		return def
	}
	out, err := parse(v)
	if err != nil && e.err == nil {
		e.err = fmt.Errorf("%s=%q: not a number", name, v)
	}
	if err != nil {
		return def
	}
	return out
}

// parseSystems reads a list such as "sbsys=40ms,opus:down,acadre".
func parseSystems(spec string) ([]sandbox.System, error) {
	var list []sandbox.System
	for _, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		sys := sandbox.System{Up: true}
		if rest, down := strings.CutSuffix(entry, ":down"); down {
			sys.Up, entry = false, rest
		}
		name, latency, hasLatency := strings.Cut(entry, "=")
		sys.Name = name
		if hasLatency {
			d, err := time.ParseDuration(latency)
			if err != nil || d < 0 {
				return nil, fmt.Errorf("system %s: latency %q is not a duration such as 40ms", name, latency)
			}
			sys.Latency = d
		}
		list = append(list, sys)
	}
	return list, nil
}
