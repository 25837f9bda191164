// Command sandbox runs the sandbox (robots/sandbox): one small HTTP
// service standing in for the municipal systems the sample robots work
// against, reached in a cluster as the Service
// sandbox.rpa-sandbox.svc.cluster.local:8080. README.md describes it.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	// The image has no zone database.
	_ "time/tzdata"

	"github.com/rpa-operator/rpa-operator/robots/sandbox/mail"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/mail/samples"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox"
)

// shutdownGrace is how long answers in flight may take after SIGTERM;
// Kubernetes' default grace period is 30 s.
const shutdownGrace = 10 * time.Second

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	opts, err := parseOptions(os.Args[1:], os.Getenv)
	if err != nil {
		log.Error("invalid options", "error", err.Error())
		os.Exit(2)
	}
	if os.Geteuid() == 0 {
		// It needs no privilege; deploy.yaml runs it as 65532.
		log.Warn("running as root: run the sandbox as a non-root user")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := serve(ctx, log, opts); err != nil {
		log.Error("sandbox stopped", "error", err.Error())
		os.Exit(1)
	}
}

// serve runs the sandbox until ctx ends, then lets answers in flight finish.
func serve(ctx context.Context, log *slog.Logger, opts options) error {
	opts.config.Log = log
	systems := sandbox.New(opts.config)
	var handler http.Handler = systems
	var mailbox *mail.Serving
	var mailStopped <-chan struct{} // nil without a mailbox: never ready
	if opts.mail.Password == "" {
		log.Info("no mailbox: SANDBOX_MAIL_PASSWORD is not set")
	} else {
		opts.mail.Departments = sandbox.DepartmentMailboxes
		box, err := mail.New(opts.mail)
		if err != nil {
			return err
		}
		if mailbox, err = box.Listen(opts.smtpAddr, opts.imapAddr, "sandbox.rpa-sandbox"); err != nil {
			return err
		}
		defer func() { _ = mailbox.Close() }()
		log.Info("mailbox listening", "address", opts.mail.Address, "smtp", mailbox.SMTPAddr, "imap", mailbox.IMAPAddr)
		sender := &samples.Sender{
			Writer:   samples.Writer{To: opts.mail.Address, Cases: systems.Cases(), Now: time.Now},
			SMTPAddr: mailbox.SMTPAddr,
		}
		handler, mailStopped = withMail(handler, box, sender), mailbox.Done()
	}
	server := &http.Server{
		Addr:              opts.addr,
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
	}
	log.Info("sandbox listening", "addr", opts.addr, "seed", opts.config.Seed,
		"moveIns", opts.config.MoveIns, "certificates", opts.config.Certificates,
		"foreignCitizens", opts.config.ForeignCitizens,
		"journalRate", opts.config.JournalRate, "journalBurst", opts.config.JournalBurst)
	failed := make(chan error, 1)
	go func() { failed <- server.ListenAndServe() }()
	select {
	case err := <-failed:
		return fmt.Errorf("listen on %s: %w", opts.addr, err)
	case <-mailStopped:
		return fmt.Errorf("the mailbox stopped: %w", mailbox.Err())
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-failed; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// withMail serves the mailbox's state, and the sample mails' sender,
// beside the sandbox's endpoints.
func withMail(sandboxHandler http.Handler, box *mail.Mailbox, sender *samples.Sender) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/mail/", box.Handler())
	mux.Handle("/mail/samples", sender)
	mux.Handle("/", sandboxHandler)
	return mux
}
