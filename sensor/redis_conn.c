/* redis_conn.c - Redis URLs and connections (see include/redis_conn.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_conn.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Copies s[0..n) into out[cap], percent-decoded. -1: bad escape or too long. */
static int pct_copy(char *out, size_t cap, const char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n)
				return -1;
			int a = hexval((unsigned char)s[i + 1]), b = hexval((unsigned char)s[i + 2]);
			if (a < 0 || b < 0)
				return -1;
			c = a * 16 + b;
			i += 2;
		}
		if (c == 0 || o + 1 >= cap)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

static int parse_int(const char *s, size_t n, long lo, long hi, long *out)
{
	if (n == 0 || n > 9)
		return -1;
	long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

int redis_url_parse(struct redis_url *u, const char *s, char *err, size_t errlen)
{
	memset(u, 0, sizeof(*u));
	size_t len = strlen(s);
	const char *p, *end = s + len;
	if (len >= 8 && strncmp(s, "redis://", 8) == 0) {
		p = s + 8;
	} else if (len >= 7 && strncmp(s, "unix://", 7) == 0) {
		p = s + 7;
		u->is_unix = true;
	} else {
		/* the URL itself is not quoted: it may hold a password */
		size_t sl = strcspn(s, ":/@");
		FAIL("Redis URL: scheme '%.*s' is not understood; expected "
		     "redis://[[user]:password@]host[:port][/db] or unix:///path/to/socket",
		     (int)(sl > 16 ? 16 : sl), s);
	}
	/* userinfo: up to the last '@' before the path (a password may hold '@'
	 * only encoded, but the last one is the separator either way; a socket
	 * path may hold '@') */
	const char *at = NULL;
	for (const char *q = p; q < end && *q != '/'; q++)
		if (*q == '@')
			at = q;
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		if (!colon)
			FAIL("Redis URL: the part before '@' must be [user]:password");
		if (pct_copy(u->user, sizeof(u->user), p, (size_t)(colon - p)) != 0)
			FAIL("Redis URL: bad or over-long user name");
		if (pct_copy(u->password, sizeof(u->password), colon + 1,
			     (size_t)(at - colon - 1)) != 0)
			FAIL("Redis URL: bad or over-long password");
		/* a user without a password is still sent: AUTH user "" is how
		 * an ACL user marked nopass logs in */
		u->has_auth = u->password[0] != '\0' || u->user[0] != '\0';
		p = at + 1;
	}
	if (u->is_unix) {
		const char *q = memchr(p, '?', (size_t)(end - p));
		const char *pend = q ? q : end;
		if (pend == p || *p != '/')
			FAIL("Redis URL: unix:// needs an absolute socket path (unix:///path/to/socket)");
		if ((size_t)(pend - p) >= sizeof(u->host))
			FAIL("Redis URL: socket path too long");
		memcpy(u->host, p, (size_t)(pend - p));
		if (q) {
			long db;
			if (strncmp(q, "?db=", 4) != 0 ||
			    parse_int(q + 4, (size_t)(end - q - 4), 0, 1000000, &db) != 0)
				FAIL("Redis URL: after the socket path only ?db=N is understood");
			u->db = (int)db;
		}
		return 0;
	}
	const char *slash = memchr(p, '/', (size_t)(end - p));
	const char *hend = slash ? slash : end;
	const char *pcolon = NULL, *hstart = p, *hstop;
	if (p < hend && *p == '[') {
		const char *rb = memchr(p, ']', (size_t)(hend - p));
		if (!rb)
			FAIL("Redis URL: '[' without ']' around an IPv6 address");
		hstart = p + 1;
		hstop = rb;
		if (rb + 1 < hend) {
			if (rb[1] != ':')
				FAIL("Redis URL: unexpected text after ']'");
			pcolon = rb + 1;
		}
	} else {
		pcolon = memchr(p, ':', (size_t)(hend - p));
		hstop = pcolon ? pcolon : hend;
	}
	if (hstop == hstart)
		FAIL("Redis URL: no host");
	for (const char *q = hstart; q < hstop; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
		      *q == '.' || *q == '-' || *q == '_' || (*q == ':' && *p == '[')))
			FAIL("Redis URL: the host holds a character that no host name has ('%c')", *q);
	if ((size_t)(hstop - hstart) >= sizeof(u->host))
		FAIL("Redis URL: host name too long");
	memcpy(u->host, hstart, (size_t)(hstop - hstart));
	u->port = 6379;
	if (pcolon) {
		long port;
		if (parse_int(pcolon + 1, (size_t)(hend - pcolon - 1), 1, 65535, &port) != 0)
			FAIL("Redis URL: port must be a number from 1 to 65535");
		u->port = (int)port;
	}
	if (slash && slash + 1 < end) {
		long db;
		if (parse_int(slash + 1, (size_t)(end - slash - 1), 0, 1000000, &db) != 0)
			FAIL("Redis URL: the database after '/' must be a number");
		u->db = (int)db;
	}
	return 0;
}

void redis_url_describe(const struct redis_url *u, char *out, size_t len)
{
	char auth[160] = "";
	if (u->has_auth)
		snprintf(auth, sizeof(auth), "%s:***@", u->user);
	if (u->is_unix)
		snprintf(out, len, "unix://%s%s?db=%d", auth, u->host, u->db);
	else if (strchr(u->host, ':'))
		snprintf(out, len, "redis://%s[%s]:%d/%d", auth, u->host, u->port, u->db);
	else
		snprintf(out, len, "redis://%s%s:%d/%d", auth, u->host, u->port, u->db);
}

/* Runs one set-up command; -1 with a message on an I/O or error reply. */
static int setup_cmd(redisContext *c, const char *where, const char *what, int argc,
		     const char **argv, char *err, size_t errlen)
{
	redisReply *r = redisCommandArgv(c, argc, argv, NULL);
	if (!r) {
		snprintf(err, errlen, "Redis %s: %s failed: %s", where, what,
			 c->errstr[0] ? c->errstr : "connection lost");
		return -1;
	}
	int rc = 0;
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(err, errlen, "Redis %s: %s refused: %.*s", where, what, (int)r->len, r->str);
		rc = -1;
	}
	freeReplyObject(r);
	return rc;
}

redisContext *redis_url_connect(const struct redis_url *u, struct timeval connect_timeout,
				struct timeval io_timeout, char *err, size_t errlen)
{
	char where[512];
	redis_url_describe(u, where, sizeof(where));
	redisContext *c = u->is_unix ? redisConnectUnixWithTimeout(u->host, connect_timeout)
				     : redisConnectWithTimeout(u->host, u->port, connect_timeout);
	if (!c) {
		snprintf(err, errlen, "Redis %s: cannot allocate a connection", where);
		return NULL;
	}
	if (c->err) {
		snprintf(err, errlen, "Redis %s: cannot connect: %s", where, c->errstr);
		redisFree(c);
		return NULL;
	}
	if (redisSetTimeout(c, io_timeout) != REDIS_OK) {
		snprintf(err, errlen, "Redis %s: cannot set the I/O timeout: %s", where, c->errstr);
		redisFree(c);
		return NULL;
	}
	if (!u->is_unix)
		redisEnableKeepAlive(c);
	if (u->has_auth) {
		const char *a3[] = { "AUTH", u->user, u->password };
		const char *a2[] = { "AUTH", u->password };
		bool named = u->user[0] != '\0';
		if (setup_cmd(c, where, "AUTH", named ? 3 : 2, named ? a3 : a2, err, errlen) != 0) {
			redisFree(c);
			return NULL;
		}
	}
	if (u->db) {
		char db[16];
		snprintf(db, sizeof(db), "%d", u->db);
		const char *a[] = { "SELECT", db };
		if (setup_cmd(c, where, "SELECT", 2, a, err, errlen) != 0) {
			redisFree(c);
			return NULL;
		}
	}
	return c;
}
