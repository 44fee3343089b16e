/* stratum_url.c - stratum URLs in payload (stratum_url.h). */
#include <string.h>

#include "cursor.h"
#include "stratum_url.h"

static bool auth_byte(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("-._~!$&'()*+,;=:@%[]", c) != NULL;
}

static bool name_byte(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* The authority in a (len bytes) into u: [userinfo@]host[:port], then the
 * end of the authority or one of ",;'()" (text separators that may also be
 * in an authority). *used: the bytes of a that belong to the URL. */
static bool authority(const uint8_t *a, size_t len, struct stratum_url *u, size_t *used)
{
	struct cursor c = cur_make(a, len);
	size_t h = 0;
	for (size_t i = 0; cur_left(&c); i++)
		if (cur_u8(&c) == '@')
			h = i + 1; /* the host follows the last '@' */
	c = cur_make(a, len);
	cur_skip(&c, h);
	size_t k = 0;
	if (cur_peek(&c, 0) == '[') {
		cur_skip(&c, 1);
		uint8_t b = 0;
		while (cur_left(&c) && (b = lower(cur_u8(&c))) != ']') {
			if (!((b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || b == ':' || b == '.') ||
			    k >= 45)
				return false;
			u->host[k++] = (char)b;
		}
		if (b != ']' || k < 2)
			return false;
		u->ipv6 = true;
	} else {
		while (cur_left(&c) && name_byte(lower(cur_peek(&c, 0)))) {
			if (k >= STRATUM_URL_HOST_MAX)
				return false;
			u->host[k++] = (char)lower(cur_u8(&c));
		}
		if (k == 0)
			return false;
	}
	u->host[k] = 0;
	if (cur_left(&c) && cur_peek(&c, 0) == ':') {
		cur_skip(&c, 1);
		uint32_t port = 0;
		size_t digits = 0;
		while (cur_left(&c) && cur_peek(&c, 0) >= '0' && cur_peek(&c, 0) <= '9') {
			if (++digits > 5)
				return false;
			port = port * 10 + (uint32_t)(cur_u8(&c) - '0');
		}
		if (digits && (port == 0 || port > 65535))
			return false;
		u->port = (uint16_t)port; /* "host:" - an empty port, as URLs allow */
	}
	if (cur_left(&c) && !strchr(",;'()", cur_peek(&c, 0)))
		return false; /* "ho$t", "host:12a": not a host and port */
	*used = len - cur_left(&c);
	return true;
}

/* A URL starting at buf[start] ("stratum[2]+xxx://authority"); fills u. */
static bool url_at(const uint8_t *buf, size_t n, size_t start, struct stratum_url *u)
{
	struct cursor c = cur_make(buf + start, n - start);
	uint8_t s[7], t[6];
	if (!cur_copy(&c, s, sizeof(s)) || memcmp(s, "stratum", 7) != 0)
		return false;
	bool two = cur_peek(&c, 0) == '2';
	cur_skip(&c, two);
	if (cur_u8(&c) != '+' || !cur_copy(&c, t, sizeof(t)) || memcmp(t + 3, "://", 3) != 0 ||
	    (memcmp(t, "tcp", 3) != 0 && memcmp(t, "ssl", 3) != 0 && memcmp(t, "tls", 3) != 0))
		return false;
	struct cursor a = c; /* the authority: up to the first byte that cannot be in one */
	size_t len = 0;
	while (len <= STRATUM_URL_AUTH_MAX && cur_left(&c) && auth_byte(cur_peek(&c, 0))) {
		cur_skip(&c, 1);
		len++;
	}
	if (len == 0 || len > STRATUM_URL_AUTH_MAX)
		return false;
	memset(u, 0, sizeof(*u));
	size_t used;
	if (!authority(a.p, len, u, &used))
		return false;
	memcpy(u->scheme, two ? "stratum2+" : "stratum+", two ? 9 : 8);
	memcpy(u->scheme + (two ? 9 : 8), t, 3);
	u->scheme[two ? 12 : 11] = 0;
	u->start = start;
	u->end = start + (size_t)(a.p - (buf + start)) + used;
	return true;
}

bool stratum_url_next(const uint8_t *buf, size_t n, size_t *pos, struct stratum_url *u)
{
	size_t i = *pos;
	while (i < n) {
		const uint8_t *p = memchr(buf + i, '+', n - i);
		if (!p)
			break;
		size_t plus = (size_t)(p - buf);
		/* "stratum+" or "stratum2+" ends here: the scheme must start at or after *pos */
		for (size_t back = 7; back <= 8; back++)
			if (plus >= *pos + back && url_at(buf, n, plus - back, u)) {
				*pos = u->end;
				return true;
			}
		i = plus + 1;
	}
	*pos = n;
	return false;
}
