package bench

import "syscall"

// childAttr makes the kernel stop a child (a worker or the private Redis)
// when this process dies without stopping it, so a killed benchmark leaves
// nothing running.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
