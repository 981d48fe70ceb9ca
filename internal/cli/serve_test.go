package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vodq/vodq/internal/config"
	"github.com/vodq/vodq/internal/ops"
	"github.com/vodq/vodq/internal/redistest"
	"github.com/vodq/vodq/internal/testutil"
)

// serveEnv returns a command environment with the default settings, as
// changed by change, logging JSON to the returned sink.
func serveEnv(t *testing.T, change func(*config.Config)) (*env, *testutil.Buffer) {
	t.Helper()
	cfg, err := config.Load()
	if err != nil {
		t.Fatalf("load defaults: %v", err)
	}
	cfg.Server.Tokens, cfg.Server.TokensFile = nil, ""
	change(cfg)
	logs := &testutil.Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return &env{IO: IO{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard},
		cfg: cfg, log: log}, logs
}

func TestServeRefusesToListenBeyondLoopbackWithoutAToken(t *testing.T) {
	t.Parallel()
	e, _ := serveEnv(t, func(c *config.Config) { c.Server.Addr = "0.0.0.0:0" })
	err := runServe(context.Background(), e, nil)
	var ue usageError
	if !errors.As(err, &ue) {
		t.Fatalf("runServe = %v, want a usage error", err)
	}
	for _, name := range []string{"VODQ_HTTP_ADDR", "VODQ_API_TOKENS"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestServeServesTheAPIWithTokensFromAFile(t *testing.T) {
	t.Parallel()
	const token = "serve-t0ken-Vb8-from-file"
	rs := redistest.Start(t)
	file := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(file, []byte("# ops team\n"+token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e, logs := serveEnv(t, func(c *config.Config) {
		c.Redis.URL = rs.URL(0)
		c.Server.Addr = "127.0.0.1:0"
		c.Server.TokensFile = file
	})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, e, nil) }()
	base := "http://" + listeningAddr(t, logs, done)

	if s := serveGet(t, base+"/healthz", ""); s != http.StatusOK {
		t.Errorf("/healthz = %d", s)
	}
	if s := serveGet(t, base+"/v1/jobs/x", ""); s != http.StatusUnauthorized {
		t.Errorf("without the token: %d, want 401", s)
	}
	if s := serveGet(t, base+"/v1/jobs/x", token); s != http.StatusNotFound {
		t.Errorf("with the token: %d, want 404", s)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("runServe = %v after ctx ended, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("runServe did not return after ctx ended")
	}
	if strings.Contains(logs.String(), token) {
		t.Errorf("the log holds the token:\n%s", logs)
	}
}

func TestDevServerTakesAFreePortWhenTheConfiguredOneIsBusy(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	e, _ := serveEnv(t, func(c *config.Config) {
		c.Server.Addr = busy.Addr().String()
		c.Server.Tokens = []string{"ignored-in-dev"}
	})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url, err := startDevServer(ctx, e, e.cfg, rs.Client(t), ops.NewRegistry())
	if err != nil {
		t.Fatalf("startDevServer: %v", err)
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") || strings.HasSuffix(url, busy.Addr().String()) {
		t.Errorf("url = %s, want 127.0.0.1 on another port than %s", url, busy.Addr())
	}
	if s := serveGet(t, url+"/v1/jobs/x", ""); s != http.StatusNotFound {
		t.Errorf("dev asks for no token: status %d, want 404", s)
	}
}

func TestListenDevUsesTheConfiguredPortOnLoopback(t *testing.T) {
	t.Parallel()
	port, err := redistest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := listenDev(net.JoinHostPort("0.0.0.0", strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	want := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if got := ln.Addr().String(); got != want {
		t.Errorf("listening on %s, want %s", got, want)
	}
}

// listeningAddr waits for the server's "listening" log line and returns
// its address.
func listeningAddr(t *testing.T, logs *testutil.Buffer, done <-chan error) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		sc := bufio.NewScanner(strings.NewReader(logs.String()))
		for sc.Scan() {
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "listening" {
				return rec.Addr
			}
		}
		select {
		case err := <-done:
			t.Fatalf("runServe returned early: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("the server never logged its address:\n%s", logs)
	return ""
}

// serveGet sends a GET, with a bearer token when one is given, and
// returns the status.
func serveGet(t *testing.T, url, token string) int {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
