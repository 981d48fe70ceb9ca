package redisconn_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vodq/vodq/internal/config"
	"github.com/vodq/vodq/internal/redisconn"
	"github.com/vodq/vodq/internal/redistest"
)

func TestOpenChoosesTheTopology(t *testing.T) {
	t.Parallel()
	t.Run("a URL alone opens one server with its user, password and database", func(t *testing.T) {
		t.Parallel()
		rdb := mustOpen(t, config.Redis{URL: "redis://vodq:pw@redis.example:6380/3"})
		c, ok := rdb.(*redis.Client)
		if !ok {
			t.Fatalf("got %T, want *redis.Client", rdb)
		}
		o := c.Options()
		if o.Addr != "redis.example:6380" || o.Username != "vodq" || o.Password != "pw" || o.DB != 3 {
			t.Errorf("options: addr %q user %q password %q db %d, want redis.example:6380 vodq pw 3",
				o.Addr, o.Username, o.Password, o.DB)
		}
		if o.TLSConfig != nil {
			t.Errorf("redis:// turned TLS on")
		}
	})

	t.Run("rediss:// turns TLS on and checks the server's name", func(t *testing.T) {
		t.Parallel()
		rdb := mustOpen(t, config.Redis{URL: "rediss://redis.example:6380/0"})
		o := rdb.(*redis.Client).Options()
		if o.TLSConfig == nil || o.TLSConfig.InsecureSkipVerify || o.TLSConfig.ServerName != "redis.example" {
			t.Errorf("TLS config %+v, want verification against redis.example", o.TLSConfig)
		}
	})

	t.Run("Sentinel addresses open a failover client with the URL's credentials", func(t *testing.T) {
		t.Parallel()
		rdb := mustOpen(t, config.Redis{
			URL:              "rediss://vodq:pw@ignored.example/2",
			SentinelAddrs:    []string{"s1.example:26379", "s2.example:26379"},
			SentinelMaster:   "mymaster",
			SentinelPassword: "sentinel-pw",
		})
		c, ok := rdb.(*redis.Client)
		if !ok {
			t.Fatalf("got %T, want the *redis.Client of a failover client", rdb)
		}
		o := c.Options()
		// go-redis names the address of a failover client's master so.
		if o.Addr != "FailoverClient" {
			t.Errorf("addr %q, want FailoverClient", o.Addr)
		}
		if o.Username != "vodq" || o.Password != "pw" || o.DB != 2 || o.TLSConfig == nil {
			t.Errorf("user %q password %q db %d TLS %v, want vodq pw 2 and TLS on",
				o.Username, o.Password, o.DB, o.TLSConfig != nil)
		}
	})

	t.Run("cluster addresses open a cluster client with the URL's credentials", func(t *testing.T) {
		t.Parallel()
		addrs := []string{"n1.example:6379", "n2.example:6379", "n3.example:6379"}
		rdb := mustOpen(t, config.Redis{
			URL:           "rediss://vodq:pw@n1.example:6379/0",
			ClusterAddrs:  addrs,
			SentinelAddrs: []string{"ignored.example:26379"},
		})
		c, ok := rdb.(*redis.ClusterClient)
		if !ok {
			t.Fatalf("got %T, want *redis.ClusterClient (cluster addresses win over Sentinel)", rdb)
		}
		o := c.Options()
		if strings.Join(o.Addrs, ",") != strings.Join(addrs, ",") {
			t.Errorf("seed nodes %v, want %v", o.Addrs, addrs)
		}
		if o.Username != "vodq" || o.Password != "pw" || o.TLSConfig == nil {
			t.Errorf("user %q password %q TLS %v, want vodq pw and TLS on",
				o.Username, o.Password, o.TLSConfig != nil)
		}
	})
}

func TestOpenRefusesABadURLWithoutShowingIt(t *testing.T) {
	t.Parallel()
	for _, url := range []string{
		"http://vodq:hunter2-secret@redis.example:6379/0",
		"redis://vodq:hunter2-secret@redis.example:6379/notadb",
		"hunter2-secret",
	} {
		_, err := redisconn.Open(config.Redis{URL: url})
		if err == nil {
			t.Errorf("Open(%q) succeeded, want an error", url)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("the error for a bad URL shows the password: %v", err)
		}
		if !strings.Contains(err.Error(), "VODQ_REDIS_URL") {
			t.Errorf("the error %q does not name VODQ_REDIS_URL", err)
		}
	}
}

func TestOpenLogsInAsTheURLsACLUser(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := context.Background()
	err := srv.Client(t).Do(ctx, "ACL", "SETUSER", "vodq", "on", ">right-password",
		"~vodq:*", "~asynq:*", "+@all").Err()
	if err != nil {
		t.Fatalf("create ACL user: %v", err)
	}

	rdb := mustOpen(t, config.Redis{URL: "redis://vodq:right-password@" + srv.Addr + "/0"})
	if err := redisconn.Ping(ctx, rdb, 5*time.Second); err != nil {
		t.Fatalf("ping as the ACL user: %v", err)
	}
	who, err := rdb.Do(ctx, "ACL", "WHOAMI").Text()
	if err != nil || who != "vodq" {
		t.Errorf("ACL WHOAMI = %q (%v), want vodq", who, err)
	}

	wrong := mustOpen(t, config.Redis{URL: "redis://vodq:wrong-password@" + srv.Addr + "/0"})
	err = redisconn.Ping(ctx, wrong, 5*time.Second)
	if err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
		t.Errorf("ping with a wrong password: error %v, want WRONGPASS", err)
	}
}

func TestPingFailsWithinItsTimeout(t *testing.T) {
	t.Parallel()
	// A port that was free a moment ago: nothing answers there.
	port, err := redistest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	rdb := mustOpen(t, config.Redis{URL: "redis://" + addr + "/0"})
	start := time.Now()
	err = redisconn.Ping(context.Background(), rdb, 500*time.Millisecond)
	if err == nil {
		t.Fatalf("ping %s succeeded with no server there", addr)
	}
	if !strings.HasPrefix(err.Error(), "ping redis: ") {
		t.Errorf("error %q does not say what failed", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("ping took %s, want about its 500ms timeout", d)
	}
}

func TestConnOptHandsOverTheClient(t *testing.T) {
	t.Parallel()
	rdb := mustOpen(t, config.Redis{URL: "redis://127.0.0.1:1/0"})
	got, ok := redisconn.ConnOpt{Client: rdb}.MakeRedisClient().(redis.UniversalClient)
	if !ok || got != rdb {
		t.Errorf("MakeRedisClient returned %v, want the wrapped client", got)
	}
}

// mustOpen opens a client that is closed when the test ends.
func mustOpen(t *testing.T, cfg config.Redis) redis.UniversalClient {
	t.Helper()
	rdb, err := redisconn.Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := rdb.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
			t.Errorf("close: %v", err)
		}
	})
	return rdb
}
