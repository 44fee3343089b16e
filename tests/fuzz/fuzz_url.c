/* fuzz_url.c - libFuzzer target: arbitrary bytes as a packet payload through
 * the stratum URL finder (proto/stratum_url.c).
 *
 * The input is scanned on a malloc'd copy of exactly its size (so
 * AddressSanitizer reports any read past it), then checked:
 *  - every URL found lies inside the input, in order, without overlap, and
 *    its bytes start with its scheme ("stratum[2]+tcp|ssl|tls://");
 *  - the host is NUL-terminated inside its array, 1-253 bytes, of
 *    [a-z0-9._-] (or [0-9a-f:.] for an IPv6 literal), and occurs in the
 *    URL's bytes ignoring case; the port is 0 or 1-65535;
 *  - finding is local: each URL found in the whole input is found again,
 *    identical, when only its own bytes [start, end) are scanned (nothing
 *    outside them decides it), and scanning from a URL's end gives the
 *    next one.
 * A violation prints what failed and abort()s: libFuzzer saves the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "stratum_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NAME "fuzz_url"
#include "fuzz_invariant.h"

static void check_url(const uint8_t *buf, size_t n, const struct stratum_url *u)
{
	CHECK(u->start < u->end && u->end <= n);
	size_t sl = strnlen(u->scheme, sizeof(u->scheme));
	CHECK(sl < sizeof(u->scheme));
	CHECK(strcmp(u->scheme, "stratum+tcp") == 0 || strcmp(u->scheme, "stratum+ssl") == 0 ||
	      strcmp(u->scheme, "stratum+tls") == 0 || strcmp(u->scheme, "stratum2+tcp") == 0 ||
	      strcmp(u->scheme, "stratum2+ssl") == 0 || strcmp(u->scheme, "stratum2+tls") == 0);
	CHECK(u->end - u->start > sl + 3);
	CHECK(memcmp(buf + u->start, u->scheme, sl) == 0 && memcmp(buf + u->start + sl, "://", 3) == 0);
	size_t hl = strnlen(u->host, sizeof(u->host));
	CHECK(hl >= 1 && hl <= STRATUM_URL_HOST_MAX);
	for (size_t i = 0; i < hl; i++) {
		char c = u->host[i];
		if (u->ipv6)
			CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.');
		else
			CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
			      c == '_');
	}
	bool found = false;
	for (size_t i = u->start; i + hl <= u->end && !found; i++)
		found = strncasecmp((const char *)buf + i, u->host, hl) == 0;
	CHECK(found);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	size_t pos = 0, last_end = 0;
	struct stratum_url u;
	unsigned found = 0;
	while (stratum_url_next(buf, size, &pos, &u)) {
		check_url(buf, size, &u);
		CHECK(u.start >= last_end && pos == u.end);
		last_end = u.end;
		found++;
		/* local: the URL's own bytes alone give the same URL */
		size_t len = u.end - u.start;
		uint8_t *own = malloc(len);
		if (own) {
			memcpy(own, buf + u.start, len);
			size_t p2 = 0;
			struct stratum_url v;
			CHECK(stratum_url_next(own, len, &p2, &v));
			CHECK(v.start == 0 && v.end == len && strcmp(v.host, u.host) == 0 &&
			      v.port == u.port && v.ipv6 == u.ipv6 && strcmp(v.scheme, u.scheme) == 0);
			free(own);
		}
		CHECK(found <= size);
	}
	CHECK(pos == size);
	free(buf);
	return 0;
}
