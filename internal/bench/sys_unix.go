//go:build unix

package bench

import (
	"os"
	"runtime"
	"syscall"
	"time"
)

// terminate asks a worker process to drain and exit, as a service manager
// would.
func terminate(p *os.Process) error { return p.Signal(syscall.SIGTERM) }

// maxRSSMiB returns the process's peak resident set size. Linux reports
// ru_maxrss in KiB, macOS in bytes.
func maxRSSMiB(st *os.ProcessState) float64 {
	ru, ok := st.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	rss := float64(ru.Maxrss)
	if runtime.GOOS == "darwin" {
		return rss / (1 << 20)
	}
	return rss / (1 << 10)
}

// selfCPU returns the CPU time this process has used, user and system.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
