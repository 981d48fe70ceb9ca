package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/vodq/vodq/internal/config"
)

// RedisURLEnv is the variable that hands a worker process its Redis URL:
// the environment keeps a password out of the process list.
const RedisURLEnv = config.Prefix + "_REDIS_URL"

// ReadyLine is what a worker process prints on stdout once it is about to
// serve; see RunWorker.
const ReadyLine = "ready"

// Limits of a worker process's life.
const (
	startTimeout = 30 * time.Second
	stopTimeout  = 20 * time.Second
)

// proc is one running worker process.
type proc struct {
	cmd   *exec.Cmd
	ready chan struct{}  // closed when the ready line arrives
	done  chan struct{}  // closed when the process has exited
	err   error          // Wait's error, readable once done is closed
	out   sync.WaitGroup // the goroutines copying the process's output
}

// startProcs starts n worker processes with args appended to the worker
// command, and returns once all have said they are ready. On error it stops
// those already started.
func startProcs(ctx context.Context, cfg *Config, n int, args []string) ([]*proc, error) {
	procs := make([]*proc, 0, n)
	for i := range n {
		p, err := startProc(cfg, i, args)
		if err != nil {
			stopProcs(procs)
			return nil, err
		}
		procs = append(procs, p)
	}

	timeout := time.NewTimer(startTimeout)
	defer timeout.Stop()
	for i, p := range procs {
		var err error
		select {
		case <-p.ready:
			continue
		case <-p.done:
			err = fmt.Errorf("worker process %d exited before it was ready: %v", i, p.err)
		case <-timeout.C:
			err = fmt.Errorf("worker process %d not ready after %s", i, startTimeout)
		case <-ctx.Done():
			err = ctx.Err()
		}
		stopProcs(procs)
		return nil, err
	}
	return procs, nil
}

func startProc(cfg *Config, i int, args []string) (*proc, error) {
	argv := append(append([]string{}, cfg.WorkerCommand...), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), cfg.WorkerEnv...)
	cmd.Env = append(cmd.Env, RedisURLEnv+"="+cfg.RedisURL)
	cmd.SysProcAttr = childAttr()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start worker process %d: %w", i, err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("start worker process %d: %w", i, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start worker process %d: %w", i, err)
	}

	p := &proc{cmd: cmd, ready: make(chan struct{}), done: make(chan struct{})}
	log := cfg.Logger.With("worker", i, "pid", cmd.Process.Pid)
	p.out.Add(2)
	go p.watchStdout(stdout, log)
	go p.relayStderr(stderr, log)
	go func() {
		// Wait closes the pipes, so the copies must finish first.
		p.out.Wait()
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// watchStdout closes ready at the ready line and logs anything else.
func (p *proc) watchStdout(r io.Reader, log *slog.Logger) {
	defer p.out.Done()
	sc := bufio.NewScanner(r)
	once := sync.OnceFunc(func() { close(p.ready) })
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == ReadyLine {
			once()
			continue
		}
		log.Info("worker output", "line", sc.Text())
	}
}

// relayStderr passes the worker's log lines on at warn level: the workers
// run with VODQ_LOG_LEVEL=warn, so each line is worth seeing.
func (p *proc) relayStderr(r io.Reader, log *slog.Logger) {
	defer p.out.Done()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		log.Warn("worker log", "line", sc.Text())
	}
}

// stop asks the process to drain and exit (SIGTERM, or a kill where there
// is none), and kills it if it has not exited within stopTimeout.
func (p *proc) stop() error {
	if err := terminate(p.cmd.Process); err != nil && !errors.Is(err, os.ErrProcessDone) {
		_ = p.cmd.Process.Kill()
	}
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("worker process %d did not stop within %s; killed",
			p.cmd.Process.Pid, stopTimeout)
	}
	return p.err
}

// usage returns the process's resource use; call it after stop.
func (p *proc) usage() ProcUsage {
	st := p.cmd.ProcessState
	return ProcUsage{
		PID:        st.Pid(),
		UserCPU:    st.UserTime().Seconds(),
		SysCPU:     st.SystemTime().Seconds(),
		MaxRSSMiB:  maxRSSMiB(st),
		ExitStatus: st.ExitCode(),
	}
}

// stopProcs stops every process at once and returns the errors of those
// that did not exit cleanly.
func stopProcs(procs []*proc) error {
	errs := make([]error, len(procs))
	var wg sync.WaitGroup
	for i, p := range procs {
		wg.Go(func() { errs[i] = p.stop() })
	}
	wg.Wait()
	return errors.Join(errs...)
}
