package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vodq/vodq/internal/store"
)

// redisServer is a redis-server process started for one benchmark. It
// keeps nothing on disk and listens on loopback only.
type redisServer struct {
	URL string
	cmd *exec.Cmd
	dir string
}

// RedisServerAvailable reports whether redis-server is on PATH, so that a
// benchmark without a Redis URL can start its own.
func RedisServerAvailable() bool {
	_, err := exec.LookPath("redis-server")
	return err == nil
}

// startRedis starts a private redis-server on a free loopback port. The
// port is free when asked for but may be taken before redis-server binds
// it, hence the few tries.
func startRedis(ctx context.Context) (*redisServer, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("find redis-server: %w", err)
	}
	var lastErr error
	for range 5 {
		s, err := tryStartRedis(ctx, bin)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func tryStartRedis(ctx context.Context, bin string) (*redisServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "vodq-bench-redis-")
	if err != nil {
		return nil, fmt.Errorf("make redis directory: %w", err)
	}
	cmd := exec.Command(bin,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir,
		"--logfile", filepath.Join(dir, "redis.log"))
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start redis-server: %w", err)
	}

	s := &redisServer{URL: fmt.Sprintf("redis://127.0.0.1:%d/0", port), cmd: cmd, dir: dir}
	if err := s.waitReady(ctx); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func (s *redisServer) waitReady(ctx context.Context) error {
	opt, _ := redis.ParseURL(s.URL)
	opt.MaxRetries = -1
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		err := rdb.Ping(pctx).Err()
		cancel()
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case time.Now().After(deadline):
			return fmt.Errorf("redis-server at %s not ready: %w", s.URL, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends the server and removes its directory.
func (s *redisServer) stop() {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	_ = os.RemoveAll(s.dir)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// redisCPU returns the CPU seconds the Redis server has used since it
// started, user and system, from INFO cpu. On a cluster it reads the node
// that answers, which is not the whole cluster.
func redisCPU(ctx context.Context, rdb redis.UniversalClient) (float64, error) {
	info, err := rdb.Info(ctx, "cpu").Result()
	if err != nil {
		return 0, fmt.Errorf("read redis cpu: %w", err)
	}
	var total float64
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			f, _ := strconv.ParseFloat(v, 64)
			total += f
		}
	}
	return total, nil
}

// cleanup deletes what a run left in a Redis it did not start: its job
// records, every key of its queue (Asynq hash-tags them with the queue's
// name), the queue's entry in Asynq's set of queues, and its limiter key.
func cleanup(ctx context.Context, rdb redis.UniversalClient, n names, ids []string) error {
	var errs []error
	for chunk := range slices.Chunk(ids, 500) {
		// One DEL per key: on a cluster, the records hash to many slots.
		pipe := rdb.Pipeline()
		for _, id := range chunk {
			pipe.Del(ctx, store.Key(id))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			errs = append(errs, fmt.Errorf("delete job records: %w", err))
			break
		}
	}

	queueKeys, err := scanKeys(ctx, rdb, "asynq:{"+n.queue()+"}:*")
	if err != nil {
		errs = append(errs, err)
	}
	for _, k := range append(queueKeys, n.limiterKey()) {
		if err := rdb.Del(ctx, k).Err(); err != nil {
			errs = append(errs, fmt.Errorf("delete %s: %w", k, err))
		}
	}
	if err := rdb.SRem(ctx, "asynq:queues", n.queue()).Err(); err != nil {
		errs = append(errs, fmt.Errorf("forget queue %s: %w", n.queue(), err))
	}
	return errors.Join(errs...)
}

// scanKeys lists the keys matching pattern with SCAN, on every master of a
// cluster.
func scanKeys(ctx context.Context, rdb redis.UniversalClient, pattern string) ([]string, error) {
	var (
		mu   sync.Mutex
		keys []string
	)
	scan := func(ctx context.Context, c *redis.Client) error {
		it := c.Scan(ctx, 0, pattern, 1000).Iterator()
		for it.Next(ctx) {
			mu.Lock()
			keys = append(keys, it.Val())
			mu.Unlock()
		}
		return it.Err()
	}

	var err error
	switch c := rdb.(type) {
	case *redis.Client:
		err = scan(ctx, c)
	case *redis.ClusterClient:
		// The masters are scanned at once, hence the mutex.
		err = c.ForEachMaster(ctx, scan)
	default:
		return nil, fmt.Errorf("list keys %s: unsupported Redis client %T", pattern, rdb)
	}
	if err != nil {
		return nil, fmt.Errorf("list keys %s: %w", pattern, err)
	}
	return keys, nil
}
