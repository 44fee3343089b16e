/* fuzz_config.c - libFuzzer target: the configuration file reader
 * (sensor/config.c, config_load_buffer()) and --print-config (config_print()).
 *
 * Input: the bytes of one configuration file, read into a fresh struct
 * davy_config (defaults) with its messages going to a memory stream.
 * Checks: the result is 0 or -1; on -1 exactly one message line, starting
 * "davy: fuzz.yaml"; on 0 no message, and config_print() renders the
 * config; when no Redis URL is set, that rendering read back into
 * another fresh config succeeds and renders identically (the --print-config
 * round trip; a Redis URL is written as messages describe it: password
 * "***", user name decoded, so it need not read back the same). Both configs are released (LeakSanitizer sees what they keep).
 * A violation prints what failed and abort()s: libFuzzer saves the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NAME "fuzz_config"
#include "fuzz_invariant.h"

/* Loads buf into a fresh *cfg; returns the result, the messages in *msg. */
static int load(struct davy_config *cfg, const char *buf, size_t len, char **msg, size_t *msglen)
{
	davy_config_default(cfg);
	FILE *m = open_memstream(msg, msglen);
	CHECK(m != NULL);
	int rc = config_load_buffer(cfg, "fuzz.yaml", buf, len, m);
	fclose(m);
	return rc;
}

static char *render(const struct davy_config *cfg, size_t *len)
{
	char *out = NULL;
	FILE *f = open_memstream(&out, len);
	CHECK(f != NULL);
	CHECK(config_print(cfg, f) == 0);
	fclose(f);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct davy_config *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	char *buf = malloc(size ? size : 1);
	CHECK(a && b && buf);
	memcpy(buf, data, size); /* exactly its size: ASan sees any read past it */
	char *msg = NULL;
	size_t msglen = 0;
	int rc = load(a, buf, size, &msg, &msglen);
	CHECK(rc == 0 || rc == -1);
	if (rc == -1) {
		CHECK(msglen > 0 && strncmp(msg, "davy: fuzz.yaml", 15) == 0);
		CHECK(msg[msglen - 1] == '\n' && memchr(msg, '\n', msglen) == msg + msglen - 1);
	} else {
		CHECK(msglen == 0);
		size_t n1, n2, m2len = 0;
		char *r1 = render(a, &n1), *m2 = NULL;
		CHECK(n1 > 0 && r1[n1 - 1] == '\n');
		int rc2 = a->redis_on ? -1 : load(b, r1, n1, &m2, &m2len);
		if (rc2 != 0 && !a->redis_on) {
			fprintf(stderr, "fuzz_config: the rendering does not read back: %s\n%s", m2, r1);
			CHECK(!"the rendering reads back");
		}
		if (rc2 == 0) {
			char *r2 = render(b, &n2);
			if (n1 != n2 || memcmp(r1, r2, n1) != 0) {
				fprintf(stderr, "fuzz_config: first rendering:\n%s\nsecond:\n%s", r1, r2);
				CHECK(!"the round trip renders the same");
			}
			free(r2);
		}
		free(m2);
		free(r1);
		davy_config_free(b);
	}
	free(msg);
	davy_config_free(a);
	free(a);
	free(b);
	free(buf);
	return 0;
}
