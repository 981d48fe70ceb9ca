package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/vodq/vodq/internal/emulator"
)

// The credentials the emulator accepts when TENCENTCLOUD_SECRET_ID and
// TENCENTCLOUD_SECRET_KEY are not set. They open nothing but the emulator.
const (
	EmulatorSecretID  = "AKIDvodqEmulator"
	EmulatorSecretKey = "vodq-emulator-secret-key"
)

// emulatorCredentials returns the credential pair the emulator accepts:
// the SDK's environment variables when set, else the built-in pair.
func emulatorCredentials() (id, key string) {
	id, key = os.Getenv("TENCENTCLOUD_SECRET_ID"), os.Getenv("TENCENTCLOUD_SECRET_KEY")
	if id == "" || key == "" {
		return EmulatorSecretID, EmulatorSecretKey
	}
	return id, key
}

func runEmulator(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "emulator", "[flags]")
	addr := fs.String("addr", "127.0.0.1:9400", "listen address")
	quota := fs.Int("quota", emulator.DefaultQuota, "calls admitted in any sliding 1-second window (negative: no limit)")
	latency := fs.String("latency", "", `added latency: "20ms", "10ms-30ms" (uniform) or "normal:800ms:100ms"`)
	seed := fs.Int64("seed", 1, "seed of random latencies and random: behaviours")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	lat, err := emulator.ParseLatency(*latency)
	if err != nil {
		return usageError{fmt.Errorf("-latency: %w", err)}
	}
	id, key := emulatorCredentials()
	srv, err := emulator.Listen(*addr, emulator.Config{
		Credentials: map[string]string{id: key},
		Quota:       *quota,
		Latency:     lat,
		Seed:        *seed,
		Logger:      e.log.With("component", "emulator"),
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Err, "emulator listening on http://%s (SecretId %s, quota %d/s, latency %s)\n",
		srv.Addr, id, *quota, lat)
	fmt.Fprintf(e.Err, "point workers at it: VODQ_ENDPOINT=%s VODQ_SCHEME=http; stats: GET http://%s/_emulator/stats\n",
		srv.Addr, srv.Addr)
	<-ctx.Done()
	return srv.Close()
}
