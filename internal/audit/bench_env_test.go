package audit_test

import (
	"os"
	"syscall"
	"time"
)

func engineFromEnv() string { return os.Getenv("MASHANG_BENCH_ENGINE") }

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
