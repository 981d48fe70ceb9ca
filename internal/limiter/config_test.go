package limiter

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	var rdb noRedis

	for _, tc := range []struct {
		name  string
		cfg   Config
		field string // "" when the config is valid
	}{
		{"a rate alone is enough", Config{Rate: 100}, ""},
		{"every field may be set", Config{
			Name: "vod", Rate: 100, Burst: 5, MaxWait: time.Second, MinRate: 1,
			RecoverAfter: time.Nanosecond, RecoverPerSecond: 1000,
		}, ""},
		{"the rate is required", Config{}, "Rate"},
		{"a negative rate is refused", Config{Rate: -1}, "Rate"},
		{"an infinite rate is refused", Config{Rate: math.Inf(1)}, "Rate"},
		{"a NaN rate is refused", Config{Rate: math.NaN()}, "Rate"},
		{"a rate above MaxRate is refused", Config{Rate: MaxRate + 1}, "Rate"},
		{"a name with a brace is refused", Config{Name: "a{b}", Rate: 1}, "Name"},
		{"a negative burst is refused", Config{Rate: 1, Burst: -1}, "Burst"},
		{"a negative MaxWait is refused", Config{Rate: 1, MaxWait: -time.Second}, "MaxWait"},
		{"a MaxWait under 1ms is refused", Config{Rate: 1, MaxWait: time.Microsecond}, "MaxWait"},
		{"a MaxWait over an hour is refused", Config{Rate: 1, MaxWait: 2 * time.Hour}, "MaxWait"},
		{"a MinRate above Rate is refused", Config{Rate: 10, MinRate: 11}, "MinRate"},
		{"a negative MinRate is refused", Config{Rate: 10, MinRate: -1}, "MinRate"},
		{"a negative RecoverAfter is refused", Config{Rate: 1, RecoverAfter: -1}, "RecoverAfter"},
		{"a negative RecoverPerSecond is refused", Config{Rate: 1, RecoverPerSecond: -1},
			"RecoverPerSecond"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(rdb, tc.cfg)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("New = %v, want an error wrapping ErrInvalidConfig", err)
			}
			if !strings.Contains(err.Error(), tc.field+" must be") {
				t.Errorf("New = %q, want it to name %s and its range", err, tc.field)
			}
		})
	}
}

func TestNewFillsDefaults(t *testing.T) {
	t.Parallel()
	l, err := New(noRedis{}, Config{Rate: 100})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Name: DefaultName, Rate: 100, Burst: 1, MaxWait: 5 * time.Second, MinRate: 10,
		RecoverAfter: 2 * time.Second, RecoverPerSecond: 10,
	}
	if got := l.Config(); got != want {
		t.Errorf("Config() mismatch (-want +got):\n-%+v\n+%+v", want, got)
	}
	if l.key != "vodq:limiter:{default}" {
		t.Errorf("key = %q, want vodq:limiter:{default}", l.key)
	}
}

func TestNewRefusesNilClient(t *testing.T) {
	t.Parallel()
	if _, err := New(nil, Config{Rate: 1}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("New(nil) = %v, want ErrInvalidConfig", err)
	}
}

// noRedis is a Scripter for tests that must not reach Redis.
type noRedis struct{}

func (noRedis) Eval(ctx context.Context, _ string, _ []string, _ ...any) *redis.Cmd {
	return redis.NewCmd(ctx)
}

func (noRedis) EvalSha(ctx context.Context, _ string, _ []string, _ ...any) *redis.Cmd {
	return redis.NewCmd(ctx)
}
