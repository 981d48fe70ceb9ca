//go:build !unix

package bench

import (
	"os"
	"syscall"
	"time"
)

// terminate stops a worker process. Without SIGTERM it cannot drain, but
// by then every job has ended.
func terminate(p *os.Process) error { return p.Kill() }

// maxRSSMiB is not measured here.
func maxRSSMiB(*os.ProcessState) float64 { return 0 }

// selfCPU is not measured here.
func selfCPU() time.Duration { return 0 }

func childAttr() *syscall.SysProcAttr { return nil }
