/* redis_out_bench - how many records per second one output thread delivers
 * to Redis (issue 6: at least 200,000/s to a local Redis).
 *
 *   redis_out_bench URL RECORDS.json COUNT [PREFIX]
 *
 * Reads the JSON lines of RECORDS.json (records davy wrote: flows, alerts,
 * stats), then, in this one thread, pushes COUNT of them (cycling through
 * the file) through the sensor's own Redis output (redis_out.h: the queue,
 * the adaptive pipelined batches, the replies) exactly as the output thread
 * does, and waits until Redis acknowledged the last one. Prints one line:
 *   redis_out_bench: records=N seconds=S records_per_s=R batches=B batch_max=M
 *   avg_bytes=A errors=E
 * The streams are PREFIX:flow/alert/stats (default davybench); the caller
 * deletes them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "redis_out.h"

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: redis_out_bench URL RECORDS.json COUNT [PREFIX]\n");
		return 2;
	}
	char err[512];
	struct redis_out_cfg cfg = { .maxlen = 1000000, .queue_bytes = 256u << 20,
				     .timeout_s = 30, .sensor = "bench", .log = stderr };
	if (redis_url_parse(&cfg.url, argv[1], err, sizeof(err)) != 0) {
		fprintf(stderr, "redis_out_bench: %s\n", err);
		return 2;
	}
	snprintf(cfg.prefix, sizeof(cfg.prefix), "%s", argc > 4 ? argv[4] : "davybench");
	uint64_t count = strtoull(argv[3], NULL, 10);

	FILE *fp = fopen(argv[2], "r");
	if (!fp) {
		fprintf(stderr, "redis_out_bench: cannot open %s\n", argv[2]);
		return 2;
	}
	size_t n = 0, cap = 1024, total = 0;
	char **rec = malloc(cap * sizeof(*rec));
	size_t *len = malloc(cap * sizeof(*len));
	char *line = NULL;
	size_t lcap = 0;
	ssize_t l;
	while (rec && len && (l = getline(&line, &lcap, fp)) > 1 && l < RECORD_MAX) {
		if (n == cap) {
			cap *= 2;
			rec = realloc(rec, cap * sizeof(*rec));
			len = realloc(len, cap * sizeof(*len));
			if (!rec || !len)
				break;
		}
		rec[n] = malloc((size_t)l);
		if (!rec[n])
			break;
		memcpy(rec[n], line, (size_t)l);
		len[n++] = (size_t)l;
		total += (size_t)l;
	}
	free(line);
	fclose(fp);
	if (!rec || !len || n == 0) {
		fprintf(stderr, "redis_out_bench: no records in %s\n", argv[2]);
		return 2;
	}

	struct redis_out ro;
	if (redis_out_init(&ro, &cfg, err, sizeof(err)) != 0 || redis_out_connect_now(&ro) != 0) {
		fprintf(stderr, "redis_out_bench: %s\n", err[0] ? err : "cannot connect");
		return 2;
	}
	double t0 = now_s();
	for (uint64_t i = 0; i < count; i++) {
		size_t k = i % n;
		while (redis_out_push(&ro, rec[k], len[k]) == RP_FULL)
			redis_out_service(&ro);
		/* the output thread services after each round of draining the
		 * workers' queues (up to 512 records per worker) */
		if ((i & 511) == 511)
			redis_out_service(&ro);
	}
	int rc = redis_out_drain(&ro);
	double dt = now_s() - t0;
	uint64_t got = redis_total(ro.st.delivered);
	printf("redis_out_bench: records=%" PRIu64 " seconds=%.3f records_per_s=%.0f batches=%" PRIu64
	       " batch_max=%" PRIu64 " avg_bytes=%zu errors=%" PRIu64 "\n",
	       got, dt, dt > 0 ? (double)got / dt : 0.0, ro.st.batches, ro.st.batch_max, total / n,
	       ro.st.errors);
	if (rc != 0)
		redis_out_report(&ro, stderr);
	redis_out_free(&ro);
	for (size_t i = 0; i < n; i++)
		free(rec[i]);
	free(rec);
	free(len);
	return rc == 0 ? 0 : 1;
}
