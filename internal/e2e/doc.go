// Package e2e tests the vodq binary as users run it: real worker processes
// killed and stopped mid-job, the CLI's exit codes and output, and the
// quick-start command on the shipped examples. It has no code of its own.
package e2e
