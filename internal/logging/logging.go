// Package logging builds vodq's slog loggers and adapts them to Asynq.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"golang.org/x/term"
)

// Attribute keys used across vodq's logs.
const (
	KeyJobID        = "job_id"
	KeyQueue        = "queue"
	KeyFunctionName = "function_name"
	KeyAttempt      = "attempt"
	KeyRequestID    = "request_id"
	KeyErrorCode    = "error_code"
	KeyState        = "state"
	KeyComponent    = "component"
	KeyError        = "error"
	KeyWait         = "wait"
)

// New returns a logger writing to w at level ("debug", "info", "warn",
// "error") in format ("json", "text", or "auto": text when w is a terminal).
func New(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "auto" {
		format = "json"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// Discard returns a logger that writes nothing.
func Discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// Asynq adapts a slog.Logger to asynq's Logger interface. Asynq's info
// chatter (start, stop, "waiting for workers") goes out at debug level;
// its warnings and errors keep their level.
type Asynq struct{ L *slog.Logger }

// Debug logs at debug level.
func (a Asynq) Debug(args ...any) { a.L.Debug(fmt.Sprint(args...)) }

// Info logs at debug level: asynq's info messages are loop chatter to vodq.
func (a Asynq) Info(args ...any) { a.L.Debug(fmt.Sprint(args...)) }

// Warn logs at warn level.
func (a Asynq) Warn(args ...any) { a.L.Warn(fmt.Sprint(args...)) }

// Error logs at error level.
func (a Asynq) Error(args ...any) { a.L.Error(fmt.Sprint(args...)) }

// Fatal logs at error level and exits, as asynq expects.
func (a Asynq) Fatal(args ...any) {
	a.L.Error(fmt.Sprint(args...))
	os.Exit(1)
}

// Redis adapts a slog.Logger to go-redis's logger: its messages (dial
// retries, pool trouble) go out at debug level.
type Redis struct{ L *slog.Logger }

// Printf logs one go-redis message at debug level.
func (r Redis) Printf(ctx context.Context, format string, v ...any) {
	r.L.DebugContext(ctx, fmt.Sprintf(format, v...), KeyComponent, "redis")
}
