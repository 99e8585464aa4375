"""Memory and descriptor figures of a running process, read from /proc (Linux):
RSS now, peak RSS (VmHWM), open descriptors. For the limits tests and the RSS soak."""
import os

MIB = 1 << 20

# Under a sanitizer (tests/sanitizers/run.sh exports these) memory is the sanitizer's:
# ASan keeps freed blocks in quarantine and shadow memory, so RSS bounds say nothing.
# The tests still print their figures but assert no memory bound then.
SANITIZED = bool(os.environ.get("ASAN_OPTIONS") or os.environ.get("TSAN_OPTIONS"))


def status_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def rss(pid):
    """Resident set size in bytes."""
    return status_kib(pid, "VmRSS") * 1024


def peak_rss(pid):
    """The highest RSS the process has had (VmHWM), in bytes."""
    return status_kib(pid, "VmHWM") * 1024


def open_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def percentile(values, p):
    """The p-th percentile (0..100) of a non-empty list, nearest rank."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1)))))
    return s[k]


def latency_summary(seconds):
    """"p50 …ms p99 …ms max …ms (n)" for a list of durations in seconds."""
    if not seconds:
        return "no samples"
    return "p50 %.1f ms, p99 %.1f ms, max %.1f ms (n=%d)" % (
        percentile(seconds, 50) * 1e3, percentile(seconds, 99) * 1e3, max(seconds) * 1e3,
        len(seconds))
