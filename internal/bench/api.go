package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/vodq/vodq/internal/emulator"
)

// api is the emulator a run calls: its address, and its counters.
type api interface {
	addr() string
	// reset zeroes the counters once the quota window holds no call of an
	// earlier run, so runs neither share a window nor throttle each other.
	reset(ctx context.Context) error
	stats(ctx context.Context) (emulator.Stats, error)
	close() error
}

// localAPI is an emulator served by this process, one per run.
type localAPI struct{ srv *emulator.Server }

func startLocalAPI(cfg *Config, lat emulator.Latency) (*localAPI, error) {
	srv, err := emulator.Listen("127.0.0.1:0", emulator.Config{
		Credentials: map[string]string{cfg.SecretID: cfg.SecretKey},
		Quota:       cfg.Quota,
		Latency:     lat,
	})
	if err != nil {
		return nil, fmt.Errorf("start emulator: %w", err)
	}
	return &localAPI{srv: srv}, nil
}

func (a *localAPI) addr() string { return a.srv.Addr }

// reset has nothing to wait for: the emulator is new.
func (a *localAPI) reset(context.Context) error {
	a.srv.Emulator.Reset()
	return nil
}

func (a *localAPI) stats(context.Context) (emulator.Stats, error) {
	return a.srv.Emulator.Stats(), nil
}

func (a *localAPI) close() error { return a.srv.Close() }

// remoteAPI is an emulator run elsewhere, reached over its control routes.
type remoteAPI struct {
	endpoint string
	client   *http.Client
}

func newRemoteAPI(endpoint string) *remoteAPI {
	return &remoteAPI{endpoint: endpoint, client: &http.Client{Timeout: 10 * time.Second}}
}

func (a *remoteAPI) addr() string { return a.endpoint }

func (a *remoteAPI) reset(ctx context.Context) error {
	// Another run may have called it within the last second.
	st, err := a.stats(ctx)
	if err != nil {
		return err
	}
	if quiet := time.Until(st.LastAt.Add(time.Second + 100*time.Millisecond)); quiet > 0 {
		select {
		case <-time.After(quiet):
		case <-ctx.Done():
			return ctx.Err()
		}
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		"http://"+a.endpoint+"/_emulator/reset", nil)
	if err != nil {
		return fmt.Errorf("reset emulator: %w", err)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return fmt.Errorf("reset emulator: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("reset emulator: %s", resp.Status)
	}
	return nil
}

func (a *remoteAPI) stats(ctx context.Context) (emulator.Stats, error) {
	var st emulator.Stats
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		"http://"+a.endpoint+"/_emulator/stats", nil)
	if err != nil {
		return st, fmt.Errorf("read emulator stats: %w", err)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return st, fmt.Errorf("read emulator stats: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("read emulator stats: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return st, fmt.Errorf("decode emulator stats: %w", err)
	}
	return st, nil
}

func (a *remoteAPI) close() error { return nil }
