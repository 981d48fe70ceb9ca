// Command vodq runs Tencent Cloud VOD ExecuteFunction calls as queued jobs.
// Run `vodq help` for the subcommands and settings.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/vodq/vodq/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(code)
}
