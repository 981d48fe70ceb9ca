package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"

	"github.com/vodq/vodq/internal/bench"
)

// runBenchWorker is one worker process of `vodq bench`, started by it with
// flags from bench.WorkerOptions.Args and its Redis in VODQ_REDIS_URL. It
// prints the ready line on stdout once it is about to serve.
func runBenchWorker(ctx context.Context, e *env, args []string) error {
	o, err := bench.ParseWorkerArgs(args, e.Err)
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	if err != nil {
		return usageError{err}
	}
	rdb, err := bench.OpenRedis(ctx, e.cfg.Redis.URL)
	if err != nil {
		return err
	}
	defer rdb.Close()

	id, key := emulatorCredentials()
	return bench.RunWorker(ctx, rdb, common.NewCredential(id, key), e.cfg.Tencent.Region, o,
		e.log.With("component", "bench_worker"), func() { fmt.Fprintln(e.Out, bench.ReadyLine) })
}
