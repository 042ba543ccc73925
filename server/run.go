package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"
)

// ErrShutdownTimeout is returned by Serve and Run when the graceful
// shutdown did not finish within Config.ShutdownTimeout: connections were
// closed and running handlers cancelled, their tasks given back to the
// queue without using a retry. Nothing is lost; main exits 0 on it.
var ErrShutdownTimeout = errors.New("server: graceful shutdown timed out")

// maxHeaderBytes bounds the request line and headers (431 beyond).
const maxHeaderBytes = 64 << 10

// Run opens the backends of cfg, listens on cfg.Addr and serves until ctx
// ends; then it shuts down gracefully (see Serve) and closes the backends.
// A clean shutdown returns nil.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	deps, err := OpenBackends(ctx, cfg, log)
	if err != nil {
		return err
	}
	tp, shutdownTracing, err := TracingFromEnv(ctx, os.Getenv)
	if err != nil {
		_ = deps.Close()
		return fmt.Errorf("tracing: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdownTracing(sctx); err != nil {
			log.Warn("flushing traces", "error", err)
		}
	}()
	if tp != nil {
		deps.TracerProvider = tp
		log.Info("tracing on: spans go to the OTLP endpoint of the OTEL_* settings")
	}
	defer func() {
		if err := deps.Close(); err != nil {
			log.Warn("closing backends", "error", err)
		}
	}()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	return Serve(ctx, cfg, deps, ln)
}

// Serve builds a Server from cfg and deps, starts its background work and
// serves HTTP (HTTPS with cfg.TLSCertFile) on ln until ctx ends. Then it
// stops accepting connections, lets in-flight requests finish and drains
// the worker, all within cfg.ShutdownTimeout, and returns nil when that
// went cleanly. It does not close deps' backends.
func Serve(ctx context.Context, cfg Config, deps Deps, ln net.Listener) error {
	return serveOn(ctx, cfg, deps, ln, nil)
}

// serveOn is Serve; onListen, when set, receives the connection limiter
// before serving starts (tests).
func serveOn(ctx context.Context, cfg Config, deps Deps, ln net.Listener, onListen func(*connLimiter)) error {
	cfg = cfg.withDefaults()
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s, err := New(cfg, deps)
	if err != nil {
		_ = ln.Close()
		return err
	}
	if err := s.Start(ctx); err != nil {
		_ = ln.Close()
		return err
	}
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ConnContext:       connContext,
	}
	lim := newConnLimiter(ln, cfg.MaxConns, cfg.MaxConnsPerIP, s.guard, cfg.TrustedProxies, cfg.TLSCertFile == "",
		func(reason string) { log.Debug("connection refused: over the cap", "cap", reason) })
	if onListen != nil {
		onListen(lim)
	}
	ln = lim
	errc := make(chan error, 1)
	go func() {
		if cfg.TLSCertFile != "" {
			errc <- hs.ServeTLS(ln, cfg.TLSCertFile, cfg.TLSKeyFile)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	scheme := "http"
	if cfg.TLSCertFile != "" {
		scheme = "https"
	}
	log.Info("taskq server listening", "addr", ln.Addr().String(), "url", scheme+"://"+ln.Addr().String(), "deployment", s.deployment)

	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down: no new connections; draining requests and the worker", "timeout", cfg.ShutdownTimeout)
	case serveErr = <-errc:
		log.Error("HTTP server failed; shutting down", "error", serveErr)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	httpErr := hs.Shutdown(sctx)
	if httpErr != nil {
		log.Warn("in-flight requests did not finish in time", "error", httpErr)
		_ = hs.Close()
	}
	stopErr := s.Stop(sctx)
	if stopErr != nil {
		log.Warn("worker drain timed out: running tasks were given back to the queue", "error", stopErr)
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	if httpErr != nil || stopErr != nil {
		return fmt.Errorf("%w: %w", ErrShutdownTimeout, errors.Join(httpErr, stopErr))
	}
	log.Info("shutdown complete")
	return nil
}
