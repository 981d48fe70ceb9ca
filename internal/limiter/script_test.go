package limiter

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/vodq/vodq/internal/redistest"
)

// Every go-redis client type can carry a limiter.
var (
	_ Scripter = (*redis.Client)(nil)
	_ Scripter = (*redis.ClusterClient)(nil)
	_ Scripter = (*redis.Ring)(nil)
)

func TestScript(t *testing.T) {
	t.Parallel()
	bg := context.Background()

	t.Run("a flushed script cache falls back to EVAL and keeps the schedule", func(t *testing.T) {
		t.Parallel()
		l, rdb := setup(t, Config{Name: "flush", Rate: 5})
		if _, err := l.Wait(bg); err != nil {
			t.Fatal(err)
		}
		if err := rdb.ScriptFlush(bg).Err(); err != nil {
			t.Fatal(err)
		}

		g, err := l.wait(bg)
		if err != nil {
			t.Fatalf("wait after SCRIPT FLUSH: %v", err)
		}
		if g.sleep < 150*time.Millisecond {
			t.Errorf("second grant slept %s, want about the 200ms interval", g.sleep)
		}
	})

	t.Run("a reservation sets the key to expire once idle", func(t *testing.T) {
		t.Parallel()
		l, rdb := setup(t, Config{Name: "ttl", Rate: 100})
		if _, err := l.Wait(bg); err != nil {
			t.Fatal(err)
		}
		ttl := rdb.PTTL(bg, l.key).Val()
		if ttl <= idleTTL-time.Second || ttl > idleTTL+time.Second {
			t.Errorf("PTTL %s = %s, want about %s", l.key, ttl, idleTTL)
		}
	})

	t.Run("a cluster client reaches the key through its hash tag", func(t *testing.T) {
		t.Parallel()
		rdb := startCluster(t)
		l, err := New(rdb, Config{Name: "cluster", Rate: 100})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if _, err := l.Wait(bg); err != nil {
				t.Fatalf("Wait through the cluster: %v", err)
			}
		}
		if _, err := l.Throttled(bg); err != nil {
			t.Fatalf("Throttled through the cluster: %v", err)
		}
		wantRate(t, l, 50)
	})
}

// startCluster starts a one-node Redis Cluster that owns every slot.
func startCluster(t *testing.T) *redis.ClusterClient {
	t.Helper()
	srv := redistest.Start(t, "--cluster-enabled", "yes")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	node := srv.Client(t)
	if err := node.ClusterAddSlotsRange(ctx, 0, 16383).Err(); err != nil {
		t.Fatalf("CLUSTER ADDSLOTSRANGE: %v", err)
	}
	for {
		info, err := node.ClusterInfo(ctx).Result()
		if err != nil {
			t.Fatalf("CLUSTER INFO: %v", err)
		}
		if strings.Contains(info, "cluster_state:ok") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}

	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{srv.Addr}})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}
