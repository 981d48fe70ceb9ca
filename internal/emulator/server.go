package emulator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// DefaultAddr is where Listen and ListenAndServe bind when given an empty
// address: the loopback interface on a free port. The emulator accepts any
// request signed with a configured key, so it stays off other interfaces
// unless asked.
const DefaultAddr = "127.0.0.1:0"

// shutdownGrace bounds how long ListenAndServe waits for calls in flight
// (a sleep: behaviour may run long) before closing their connections.
const shutdownGrace = 5 * time.Second

// Server is an Emulator serving HTTP on a bound address, started by Listen.
// Its methods are safe for concurrent use.
type Server struct {
	// Addr is the host:port actually bound, with the port filled in when
	// Listen was given port 0. Use it as the SDK's HttpProfile.Endpoint.
	Addr string

	// Emulator is the handler being served, for Stats and Reset.
	Emulator *Emulator

	http *http.Server
	done chan struct{} // closed when Serve returns
	err  error         // Serve's error, readable once done is closed

	closeOnce sync.Once
	closeErr  error
}

// Listen binds addr (DefaultAddr when empty) and serves an Emulator for cfg
// in the background until Close or Shutdown. Tests in other packages use it
// with "127.0.0.1:0" and point the SDK at Server.Addr.
func Listen(addr string, cfg Config) (*Server, error) {
	e, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}

	s := &Server{
		Addr:     ln.Addr().String(),
		Emulator: e,
		http: &http.Server{
			Handler:           e,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
		},
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.err = err
		}
	}()

	e.cfg.Logger.Info("emulator listening", keyAddr, s.Addr)
	return s, nil
}

// Close stops the server at once: the listener and every connection are
// closed, so calls in flight end without an answer. It waits for the serve
// loop to return. Calling it again returns the first result.
func (s *Server) Close() error {
	return s.stop(func() error { return s.http.Close() })
}

// Shutdown stops accepting connections and waits for calls in flight to be
// answered, or for ctx to end, whichever comes first; then it closes what
// remains. Calling it again, or Close, returns the first result.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.stop(func() error {
		err := s.http.Shutdown(ctx)
		if err != nil {
			// Calls still running past the deadline are cut off, so the
			// serve loop can return.
			_ = s.http.Close()
			return fmt.Errorf("shut down emulator: %w", err)
		}
		return nil
	})
}

// stop runs halt once, waits for the serve loop and reports the first error.
func (s *Server) stop(halt func() error) error {
	s.closeOnce.Do(func() {
		err := halt()
		<-s.done
		s.closeErr = errors.Join(err, s.err)
		s.Emulator.cfg.Logger.Info("emulator stopped", keyAddr, s.Addr)
	})
	return s.closeErr
}

// ListenAndServe serves an Emulator for cfg on addr (DefaultAddr when empty)
// until ctx ends, then shuts down gracefully, giving calls in flight five
// seconds to finish. It returns nil after a shutdown caused by ctx, or the
// error that stopped it otherwise.
func ListenAndServe(ctx context.Context, addr string, cfg Config) error {
	s, err := Listen(addr, cfg)
	if err != nil {
		return err
	}

	select {
	case <-ctx.Done():
	case <-s.done:
		// The serve loop failed on its own; Close collects its error.
		return s.Close()
	}

	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	return s.Shutdown(shutdownCtx)
}
