package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable writes reports as an aligned table for people, with a line
// under it saying whether every limiter run met the bar.
func WriteTable(w io.Writer, reports []Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.Join([]string{
		"strategy", "P", "conc/P", "latency", "jobs",
		"API/s", "util", "e2e/s", "max 1s", "sent 1s", "throttled", "extra att",
		"p50 ms", "p95 ms", "p99 ms", "CPU s/P avg", "max", "RSS MiB max",
		"redis CPU s", "bar", ""}, "\t"))
	for _, r := range reports {
		cpuAvg, cpuMax, rssMax := workerUsage(r.Workers)
		fmt.Fprintln(tw, strings.Join([]string{
			string(r.Strategy), fmt.Sprint(r.Procs), fmt.Sprint(r.Concurrency), r.Latency,
			fmt.Sprint(r.Jobs),
			fmt.Sprintf("%.1f", r.APIRate), fmt.Sprintf("%.3f", r.Utilization),
			fmt.Sprintf("%.1f", r.E2ERate), fmt.Sprint(r.MaxWindow), fmt.Sprint(r.SentMaxWindow),
			fmt.Sprint(r.APIThrottled), fmt.Sprint(r.ExtraAttempts),
			fmt.Sprintf("%.0f", r.P50Ms), fmt.Sprintf("%.0f", r.P95Ms),
			fmt.Sprintf("%.0f", r.P99Ms),
			fmt.Sprintf("%.2f", cpuAvg), fmt.Sprintf("%.2f", cpuMax),
			fmt.Sprintf("%.0f", rssMax), fmt.Sprintf("%.2f", r.RedisCPUSeconds),
			verdict(r), r.Note}, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, summaryLine(reports))
	return err
}

// verdict is "ok" or "FAIL" for limiter runs against the bar, and for the
// others whether they stayed within the quota.
func verdict(r Report) string {
	switch {
	case r.Strategy == StrategyLimiter && r.MeetsBar:
		return "ok"
	case r.Strategy == StrategyLimiter:
		return "FAIL"
	case r.WithinQuota:
		return "within"
	default:
		return "over"
	}
}

func summaryLine(reports []Report) string {
	runs, failed := 0, 0
	for _, r := range reports {
		if r.Strategy != StrategyLimiter {
			continue
		}
		runs++
		if !r.MeetsBar {
			failed++
		}
	}
	bar := fmt.Sprintf("utilization >= %.2f, 0 throttled, max 1s window <= quota", MinUtilization)
	switch {
	case runs == 0:
		return "no limiter run; bar (" + bar + ") not checked"
	case failed == 0:
		return fmt.Sprintf("limiter: all %d runs meet the bar (%s)", runs, bar)
	default:
		return fmt.Sprintf("limiter: %d of %d runs MISS the bar (%s)", failed, runs, bar)
	}
}

// workerUsage returns the mean and highest CPU seconds of the processes and
// the highest peak RSS.
func workerUsage(ws []ProcUsage) (cpuAvg, cpuMax, rssMax float64) {
	for _, w := range ws {
		cpu := w.UserCPU + w.SysCPU
		cpuAvg += cpu
		cpuMax = max(cpuMax, cpu)
		rssMax = max(rssMax, w.MaxRSSMiB)
	}
	if len(ws) > 0 {
		cpuAvg /= float64(len(ws))
	}
	return cpuAvg, cpuMax, rssMax
}
