/* clockwrap: quantize CLOCK_REALTIME so musl gives A and AAAA queries the same ID.
 *
 * musl 1.2.3 derives each query ID in __res_mkquery from clock_gettime(CLOCK_REALTIME)
 * nanoseconds. On a host with a coarse clock (some VMs, some container runtimes) the A and
 * AAAA queries built back to back read the same value and so carry the same ID. Linking
 * with -Wl,--wrap=clock_gettime and this file reproduces that on any machine: every
 * CLOCK_REALTIME reading is rounded down to a multiple of DNSDOCTOR_CLOCK_QUANTUM_MS
 * milliseconds (default 4). Other clocks are passed through unchanged.
 */
#include <stdlib.h>
#include <time.h>

int __real_clock_gettime(clockid_t clk, struct timespec *ts);

static long quantum_ns = -1;

int __wrap_clock_gettime(clockid_t clk, struct timespec *ts)
{
	int rc = __real_clock_gettime(clk, ts);
	if (rc != 0 || clk != CLOCK_REALTIME)
		return rc;
	if (quantum_ns < 0) {
		const char *env = getenv("DNSDOCTOR_CLOCK_QUANTUM_MS");
		long ms = env && *env ? strtol(env, NULL, 10) : 4;
		if (ms < 1 || ms > 1000)
			ms = 4;
		quantum_ns = ms * 1000000L;
	}
	ts->tv_nsec -= ts->tv_nsec % quantum_ns;
	return rc;
}
