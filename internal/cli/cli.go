// Package cli implements the vodq command: one binary with a subcommand per
// role. Each subcommand lives in its own file as a function of the parsed
// configuration and its arguments, writing to injected streams so tests
// read its output from buffers.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/vodq/vodq/internal/config"
	"github.com/vodq/vodq/internal/logging"
)

// IO holds a command's standard streams.
type IO struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// Exit codes.
const (
	ExitOK = 0
	// ExitFailure: a job did not succeed (it failed, was canceled or is
	// unknown), or a submitted line was refused.
	ExitFailure = 1
	// ExitUsage: bad flags, arguments or settings.
	ExitUsage = 2
	// ExitError: the command could not do its work (Redis unreachable, a
	// wait timed out, a server failed).
	ExitError = 3
)

// env is what every command gets.
type env struct {
	IO
	cfg *config.Config
	log *slog.Logger
}

type command struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// commands lists the subcommands; each is defined in its own file.
var commands map[string]command

func init() {
	commands = map[string]command{
		"worker":   {"run jobs from the queues (Ctrl-C or SIGTERM drains and stops)", runWorker},
		"enqueue":  {"submit one job from flags, or many from a JSON Lines file or stdin", runEnqueue},
		"get":      {"print the records of jobs by ID, as JSON lines", runGet},
		"wait":     {"wait for jobs to end and print their records; exit 1 if one failed", runWait},
		"cancel":   {"cancel jobs that have not started", runCancel},
		"serve":    {"serve the HTTP API, the web UI, /metrics and health", runServe},
		"emulator": {"run a local stand-in for the Tencent Cloud ExecuteFunction API", runEmulator},
		"dev":      {"everything in one process on an embedded Redis: a first look", runDev},
		"bench":    {"measure throughput against the quota with real worker processes", runBench},
		"version":  {"print the version", runVersion},
		"help":     {"list the subcommands and every setting with its default", runHelp},

		"bench-worker": {"(internal) a worker process started by vodq bench", runBenchWorker},
	}
}

// usageError marks an error in the command line or settings (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// errJobFailed makes a command exit 1 after printing its output.
var errJobFailed = errors.New("a job did not succeed")

// Run runs the subcommand named by args[0] and returns the exit code.
func Run(ctx context.Context, args []string, stdio IO) int {
	if len(args) == 0 {
		_ = runHelp(ctx, &env{IO: stdio}, nil)
		return ExitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help":
		name = "help"
	case "-version", "--version":
		name = "version"
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stdio.Err, "vodq: unknown command %q; run 'vodq help'\n", name)
		return ExitUsage
	}

	e := &env{IO: stdio}
	if name != "help" && name != "version" {
		cfg, err := config.Load()
		if err != nil {
			fmt.Fprintf(stdio.Err, "vodq: %v\n", err)
			return ExitUsage
		}
		e.cfg = cfg
		e.log = logging.New(stdio.Err, cfg.LogLevel, cfg.LogFormat)
		// go-redis prints its own retries in plain text; keep them in the
		// structured log, at debug: the errors reach vodq's callers anyway.
		redis.SetLogger(logging.Redis{L: e.log})
	}

	err := cmd.run(ctx, e, rest)
	var ue usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stdio.Err, "vodq %s: %v\n", name, err)
		return ExitUsage
	case errors.Is(err, errJobFailed):
		return ExitFailure
	}
	fmt.Fprintf(stdio.Err, "vodq %s: %v\n", name, err)
	return ExitError
}

// newFlags returns a FlagSet for a subcommand that writes its usage to e.Err.
func newFlags(e *env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.Err)
	fs.Usage = func() {
		fmt.Fprintf(e.Err, "usage: vodq %s %s\n\n%s\n", name, usage, commands[name].summary)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and wraps a bad flag as a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	return nil
}

// Version is the vodq version, stamped at build time with
// -ldflags "-X github.com/vodq/vodq/internal/cli.Version=…".
var Version = "dev"

func runVersion(_ context.Context, e *env, _ []string) error {
	fmt.Fprintf(e.Out, "vodq %s\n", Version)
	return nil
}

func runHelp(_ context.Context, e *env, _ []string) error {
	fmt.Fprintln(e.Out, "vodq runs Tencent Cloud VOD ExecuteFunction calls as queued jobs.")
	fmt.Fprintln(e.Out, "\nusage: vodq COMMAND [flags]; 'vodq COMMAND -h' describes one.")
	fmt.Fprintln(e.Out, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if strings.HasPrefix(commands[n].summary, "(internal)") {
			continue
		}
		fmt.Fprintf(e.Out, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(e.Out, "\nsettings (environment variables):")
	var b strings.Builder
	if err := config.Usage(&b); err != nil {
		return err
	}
	for _, line := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		fmt.Fprintln(e.Out, "  "+line)
	}
	return nil
}

// stderrIsTerminal reports whether e.Err is a terminal (for progress bars).
func stderrIsTerminal(e *env) bool {
	f, ok := e.Err.(*os.File)
	return ok && isTerminal(f)
}
