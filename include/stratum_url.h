/* stratum_url.h - `stratum+tcp://` URLs in cleartext payload: the pool a
 * miner is configured with, seen in a downloaded script or config, a
 * command line sent to a shell, or an API call that starts a pod.
 *
 * Invariants: reads only buf[0, n) (through cursor.h); no global state, no
 * allocation, no I/O. Output strings are NUL-terminated inside their
 * arrays.
 *
 * What is a URL here: "stratum", optionally "2", "+", one of "tcp", "ssl",
 * "tls", then "://" (all lower-case: miners and their configs write them
 * so; another case is not looked for), then an authority of up to
 * STRATUM_URL_AUTH_MAX bytes, ended by the first byte that cannot be in one
 * (not a letter, digit or one of -._~!$&'()*+,;=:@%[]): "/", a quote, a
 * blank, a newline, the end of the buffer. The authority is
 [userinfo@]host[:port]; the host is what follows the last '@': a name or
 * IPv4 address (lower-cased, 1-253 bytes of [a-z0-9._-]), or an IPv6
 * literal in brackets (kept without them, [0-9a-f:.]); a port, when
 * present, is 1-65535 (an empty one, "host:", is allowed). The URL ends
 * there: at the end of the authority or at one of ",;'()" (separators in
 * text, "-o stratum+tcp://a:1,stratum+tcp://b:2"); anything else after the
 * host or port ("ho$t", "host:12a", port 0 or 70000) and the candidate is
 * not taken. Other candidates are skipped. A URL cut by the end of the buffer (no byte after the authority
 * and the buffer full) is still taken: payloads are per packet, and a URL
 * split across two packets is not joined (its first part may still name
 * the host).
 */
#ifndef DAVY_STRATUM_URL_H
#define DAVY_STRATUM_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STRATUM_URL_AUTH_MAX 512
#define STRATUM_URL_HOST_MAX 253

struct stratum_url {
	char host[STRATUM_URL_HOST_MAX + 1];
	bool ipv6;            /* host is an IPv6 literal */
	uint16_t port;        /* 0 when not given */
	char scheme[13];      /* "stratum+tcp", ..., "stratum2+tcp" */
	size_t start, end;    /* the URL's bytes in buf: [start, end) */
};

/* Finds the first URL that starts at or after *pos; fills u and sets *pos
 * past it. Returns false (leaving *pos at n) when there is none. */
bool stratum_url_next(const uint8_t *buf, size_t n, size_t *pos, struct stratum_url *u);

#endif
