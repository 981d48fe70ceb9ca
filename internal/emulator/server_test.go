package emulator

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/vodq/vodq/internal/testutil"
)

func TestListenAndServe(t *testing.T) {
	t.Parallel()

	var logs testutil.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- ListenAndServe(ctx, "127.0.0.1:0", Config{
			Credentials: map[string]string{testSecretID: testSecretKey},
			Logger:      logger,
		})
	}()

	// The bound port is only known from the start-up log record.
	addr := waitForAddr(t, &logs)
	f := &fixture{srv: &Server{Addr: addr}, transport: newTestTransport(t)}
	mustExecute(t, f.client(t), named("ExampleFunc", "never-logged-arg"))

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ListenAndServe = %v, want nil after cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ListenAndServe did not return after cancel")
	}

	out := logs.String()
	for _, want := range []string{"emulator listening", "call answered",
		"function_name=ExampleFunc", "request_id=", "emulator stopped"} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{testSecretKey, "TC3-HMAC-SHA256", "never-logged-arg"} {
		if strings.Contains(out, secret) {
			t.Errorf("logs contain %q:\n%s", secret, out)
		}
	}
}

func TestServerClose(t *testing.T) {
	t.Parallel()
	srv, err := Listen("", Config{Credentials: map[string]string{"id": "key"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(srv.Addr, "127.0.0.1:") || strings.HasSuffix(srv.Addr, ":0") {
		t.Errorf("Addr = %q, want a bound loopback port", srv.Addr)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := net.Dial("tcp", srv.Addr); err == nil {
		t.Error("the port still accepts connections after Close")
	}
}

func TestListenRefusesBadInput(t *testing.T) {
	t.Parallel()
	if _, err := Listen("127.0.0.1:0", Config{}); err == nil {
		t.Error("Listen accepted a config without credentials")
	}
	_, err := Listen("127.0.0.1:notaport", Config{Credentials: map[string]string{"id": "k"}})
	if err == nil || !strings.Contains(err.Error(), "notaport") {
		t.Errorf("Listen on a bad address = %v, want an error naming it", err)
	}
}

// waitForAddr returns the address from the "emulator listening" record.
func waitForAddr(t *testing.T, logs *testutil.Buffer) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for line := range strings.Lines(logs.String()) {
			_, addr, ok := strings.Cut(line, `msg="emulator listening" addr=`)
			if ok {
				return strings.TrimSpace(addr)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the emulator did not log its address:\n%s", logs.String())
	return ""
}
