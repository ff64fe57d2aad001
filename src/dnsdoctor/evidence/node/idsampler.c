/* idsampler: how often do musl's A and AAAA queries of one lookup get the same ID here?
 *
 * Linked statically against real musl (musl-gcc -static). musl 1.2.3's name_from_dns
 * (src/network/lookup_name.c) builds the A query and then the AAAA query with two
 * back-to-back calls to __res_mkquery, clearing the AD bit of the first in between; each call
 * encodes the name and then reads clock_gettime(CLOCK_REALTIME) and takes
 *     id = ts.tv_nsec + ts.tv_nsec/65536UL & 0xffff
 * (src/network/res_mkquery.c). 1.2.3 does nothing to make the two IDs differ (1.2.4 does).
 * This program calls the same res_mkquery from musl's libc.a in the same order, so the work
 * between the two clock readings is exactly musl's own, and counts equal ID pairs.
 *
 * It also reports the smallest non-zero step between consecutive CLOCK_REALTIME readings
 * seen over at least 20 ms (by CLOCK_MONOTONIC), the clock granularity behind the result.
 *
 * usage: idsampler SAMPLES [NAME]
 * output (one "key value" a line): samples, same_id, min_step_ns, zero_steps, steps
 */
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define RR_A 1
#define RR_AAAA 28
#define CLASS_IN 1
#define STEP_READS 100000L
#define STEP_MAX_READS 50000000L
#define STEP_MIN_NS 20000000L /* read for at least 20 ms so a clock with 4 ms ticks shows one */

static long nsec_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000000000L + (b->tv_nsec - a->tv_nsec);
}

int main(int argc, char **argv)
{
	long samples = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
	const char *name = argc > 2 ? argv[2] : "loginspub.example-mobile-inc.net";
	unsigned char qa[280], qaaaa[280];
	long same = 0, zero_steps = 0, min_step = -1;
	long steps = 0;
	struct timespec prev, now, start, mono;

	if (samples < 1 || samples > 100000000L) {
		fprintf(stderr, "idsampler: SAMPLES must be 1..100000000\n");
		return 2;
	}
	for (long i = 0; i < samples; i++) {
		if (res_mkquery(0, name, CLASS_IN, RR_A, 0, 0, 0, qa, sizeof qa) < 0)
			return 3;
		qa[3] = 0; /* as name_from_dns: "don't need AD flag" */
		if (res_mkquery(0, name, CLASS_IN, RR_AAAA, 0, 0, 0, qaaaa, sizeof qaaaa) < 0)
			return 3;
		if (qa[0] == qaaaa[0] && qa[1] == qaaaa[1])
			same++;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	clock_gettime(CLOCK_REALTIME, &prev);
	for (steps = 0; steps < STEP_MAX_READS; steps++) {
		if (steps >= STEP_READS && steps % 1024 == 0) {
			clock_gettime(CLOCK_MONOTONIC, &mono);
			if (nsec_between(&start, &mono) >= STEP_MIN_NS)
				break;
		}
		clock_gettime(CLOCK_REALTIME, &now);
		long step = nsec_between(&prev, &now);
		if (step == 0)
			zero_steps++;
		else if (step > 0 && (min_step < 0 || step < min_step))
			min_step = step;
		prev = now;
	}
	printf("samples %ld\nsame_id %ld\nmin_step_ns %ld\nzero_steps %ld\nsteps %ld\n", samples,
	       same, min_step, zero_steps, steps);
	return 0;
}
