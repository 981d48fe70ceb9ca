package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/schollz/progressbar/v3"

	"github.com/vodq/vodq/enqueue"
	"github.com/vodq/vodq/internal/config"
	"github.com/vodq/vodq/tasks"
)

// maxLine is the longest JSON line accepted by enqueue and dev.
const maxLine = 1 << 20

const redisTimeout = 5 * time.Second

func runEnqueue(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "enqueue", "[flags] [FILE|-]")
	var spec tasks.Spec
	var subApp uint64
	var retries int
	var timeout, in time.Duration
	var at string
	file := fs.String("f", "", "JSON Lines `file` of jobs, one object per line ('-' for stdin)")
	fs.StringVar(&spec.FunctionName, "function", "", "FunctionName of a single job")
	fs.StringVar(&spec.FunctionArg, "arg", "", "FunctionArg of a single job")
	fs.Uint64Var(&subApp, "sub-app-id", 0, "SubAppId (0 leaves it out)")
	fs.StringVar(&spec.SessionContext, "session-context", "", "SessionContext (at most 1000 characters)")
	fs.StringVar(&spec.SessionId, "session-id", "",
		"SessionId for deduplication at Tencent Cloud (at most 50 characters)")
	fs.StringVar(&spec.ExtInfo, "ext-info", "", "ExtInfo")
	fs.StringVar(&spec.JobID, "id", "", "job ID (default: a new UUIDv7)")
	fs.StringVar(&spec.Queue, "queue", "", "queue (default $VODQ_QUEUE)")
	fs.IntVar(&retries, "max-retries", -1, "retries after transient errors, 0-100 (-1: $VODQ_MAX_RETRIES)")
	fs.DurationVar(&timeout, "timeout", 0, "timeout of one attempt (default $VODQ_TASK_TIMEOUT)")
	fs.DurationVar(&in, "in", 0, "run the job after this delay")
	fs.StringVar(&at, "at", "", "run the job at this RFC 3339 time")
	wait := fs.Bool("wait", false, "wait for the jobs to end and print their records instead")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usageError{errors.New("give at most one FILE")}
	}
	if fs.NArg() == 1 {
		if *file != "" {
			return usageError{errors.New("give the file either with -f or as an argument")}
		}
		*file = fs.Arg(0)
	}
	single := spec.FunctionName != "" || spec.FunctionArg != ""
	if single == (*file != "") {
		return usageError{errors.New("give either -function and -arg for one job, " +
			"or a JSON Lines file (-f FILE, '-' for stdin)")}
	}

	if single {
		if subApp != 0 {
			spec.SubAppId = &subApp
		}
		if retries != -1 {
			spec.MaxRetries = &retries
		}
		spec.Timeout, spec.ProcessIn = tasks.Duration(timeout), tasks.Duration(in)
		if at != "" {
			t, err := time.Parse(time.RFC3339, at)
			if err != nil {
				return usageError{fmt.Errorf("-at must be an RFC 3339 time such as 2026-12-04T15:00:00Z: %w", err)}
			}
			spec.ProcessAt = t
		}
		// Bad input is refused before Redis is needed.
		if err := spec.Validate(); err != nil {
			return usageError{err}
		}
		return withProducer(ctx, e, func(c *enqueue.Client) error {
			return submitOne(ctx, e, c, spec, *wait)
		})
	}
	if flagsSet(fs, "function", "arg", "id", "sub-app-id", "session-context", "session-id",
		"ext-info", "queue", "max-retries", "timeout", "in", "at") {
		return usageError{errors.New("job flags apply to a single job; in a file, put the options on each line")}
	}
	r, closeFn, err := openInput(e, *file)
	if err != nil {
		return err
	}
	defer closeFn()
	return withProducer(ctx, e, func(c *enqueue.Client) error {
		return submitFile(ctx, e, c, r, *wait)
	})
}

// newProducer returns an enqueue.Client with the configured defaults.
func newProducer(cfg *config.Config, rdb redis.UniversalClient) *enqueue.Client {
	return enqueue.New(rdb,
		enqueue.WithQueue(cfg.Queue),
		enqueue.WithMaxRetries(cfg.Worker.MaxRetries),
		enqueue.WithTimeout(cfg.Worker.TaskTimeout),
		enqueue.WithRetention(cfg.Retention),
		enqueue.WithTaskRetention(cfg.TaskRetention))
}

func flagsSet(fs *flag.FlagSet, names ...string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		for _, n := range names {
			if f.Name == n {
				set = true
			}
		}
	})
	return set
}

func openInput(e *env, name string) (io.Reader, func(), error) {
	if name == "-" {
		return e.In, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, usageError{err}
	}
	return f, func() { f.Close() }, nil
}

// submitLine is what enqueue prints for each job it was given.
type submitLine struct {
	Line      int         `json:"line,omitempty"`
	ID        string      `json:"id,omitempty"`
	State     tasks.State `json:"state,omitempty"`
	Duplicate bool        `json:"duplicate,omitempty"`
	Error     *lineError  `json:"error,omitempty"`
}

type lineError struct {
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func newLineError(err error) *lineError {
	var fe *tasks.FieldError
	if errors.As(err, &fe) {
		return &lineError{Field: fe.Field, Message: fe.Error()}
	}
	return &lineError{Message: err.Error()}
}

func submitOne(ctx context.Context, e *env, c *enqueue.Client, spec tasks.Spec, wait bool) error {
	job, err := c.SubmitSpec(ctx, spec)
	out := submitLine{}
	switch {
	case errors.Is(err, enqueue.ErrDuplicate):
		out.ID, out.State, out.Duplicate = job.ID, job.State, true
	case err != nil:
		var fe *tasks.FieldError
		if errors.As(err, &fe) {
			return usageError{err}
		}
		return err
	default:
		out.ID, out.State = job.ID, job.State
	}
	if wait {
		return waitAndPrint(ctx, e, c, []string{out.ID})
	}
	return writeJSON(e.Out, out)
}

// submitFile submits every line of r. Bad lines are reported and skipped;
// the command exits 1 if any line was not accepted.
func submitFile(ctx context.Context, e *env, c *enqueue.Client, r io.Reader, wait bool) error {
	specs := make(chan tasks.Spec)
	var mu sync.Mutex
	var lines []int // line number of each spec sent, by stream index
	var bad []submitLine
	var readErr error
	var bar *progressbar.ProgressBar
	if stderrIsTerminal(e) {
		bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(e.Err),
			progressbar.OptionSetDescription("submitting"), progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionClearOnFinish())
	}

	results := c.SubmitStream(ctx, specs)
	go func() {
		defer close(specs)
		readErr = readLines(r, func(n int, line []byte, tooLong bool) bool {
			if tooLong {
				bad = append(bad, submitLine{Line: n, Error: &lineError{
					Message: fmt.Sprintf("line is longer than %d bytes", maxLine)}})
				return true
			}
			spec, err := tasks.DecodeSpec(line)
			if err != nil {
				bad = append(bad, submitLine{Line: n, Error: newLineError(err)})
				return true
			}
			mu.Lock()
			lines = append(lines, n)
			mu.Unlock()
			select {
			case specs <- spec:
				return true
			case <-ctx.Done():
				return false
			}
		})
	}()

	var ids []string
	failed := false
	refused := 0
	for res := range results {
		mu.Lock()
		out := submitLine{Line: lines[res.Index]}
		mu.Unlock()
		switch {
		case errors.Is(res.Err, enqueue.ErrDuplicate):
			out.ID, out.State, out.Duplicate = res.Job.ID, res.Job.State, true
		case res.Err != nil:
			out.Error, failed = newLineError(res.Err), true
			refused++
		default:
			out.ID, out.State = res.Job.ID, res.Job.State
		}
		if out.ID != "" {
			ids = append(ids, out.ID)
		}
		if bar != nil {
			_ = bar.Add(1)
		}
		if !wait || out.Error != nil {
			if err := writeJSON(e.Out, out); err != nil {
				return err
			}
		}
	}
	if bar != nil {
		_ = bar.Finish()
	}
	for _, b := range bad {
		failed = true
		if err := writeJSON(e.Out, b); err != nil {
			return err
		}
	}
	if readErr != nil {
		return fmt.Errorf("read jobs: %w", readErr)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	fmt.Fprintf(e.Err, "submitted %d jobs, refused %d lines\n", len(ids), len(bad)+refused)
	if wait {
		if err := waitAndPrint(ctx, e, c, ids); err != nil {
			return err
		}
	}
	if failed {
		return errJobFailed
	}
	return nil
}

// readLines calls fn for each non-blank line of r with its 1-based number.
// A line longer than maxLine is passed as tooLong with no content. fn
// returns false to stop.
func readLines(r io.Reader, fn func(n int, line []byte, tooLong bool) bool) error {
	br := bufio.NewReaderSize(r, 64<<10)
	// A byte order mark at the start of a file (editors on Windows write
	// one) is not part of the first line.
	if b, err := br.Peek(3); err == nil && string(b) == "\xef\xbb\xbf" {
		_, _ = br.Discard(3)
	}
	for n := 1; ; n++ {
		var line []byte
		tooLong := false
		for {
			chunk, err := br.ReadSlice('\n')
			if !tooLong {
				line = append(line, chunk...)
				if len(line) > maxLine+1 {
					tooLong, line = true, nil
				}
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == io.EOF {
				if len(line) > 0 || tooLong {
					fn(n, trimSpace(line), tooLong)
				}
				return nil
			}
			if err != nil {
				return err
			}
			break
		}
		line = trimSpace(line)
		if len(line) == 0 && !tooLong {
			continue
		}
		if !fn(n, line, tooLong) {
			return nil
		}
	}
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
