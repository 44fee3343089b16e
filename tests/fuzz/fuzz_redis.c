/* fuzz_redis.c - libFuzzer target: the Redis output's two parsers of
 * outside text, rec_fields_scan() (sensor/redis_out.c) and redis_url_parse()
 * (sensor/redis_conn.c).
 *
 * Input layout: byte 0 selects, the rest is the text.
 *  - byte 0 even: the rest is one record, scanned from a malloc'd copy of
 *    exactly its size (so AddressSanitizer reports any read past it). Checks:
 *    the result is 0 or -1; -1 when the first byte that is not white space is
 *    not '{' (and then nothing is found); every field found (len != 0) lies
 *    inside the input, after at least "{" and its key; a string value's
 *    bytes sit between two quotes and hold no unescaped quote and no
 *    dangling backslash; any other value is a scalar: after ':' or white
 *    space, not starting with a quote or bracket, holding no separator, and
 *    ending at one or at the input's end; the value follows its own key,
 *    "KEY" ws ':' ws, written as the field's name, after '{' or ','; and a
 *    second, simpler walk of the bytes before the value (depth_at()) puts it
 *    in the top-level object, or for signature_id in the top level's
 *    `alert` object (nested keys of the same name are never taken).
 *  - byte 0 odd: the rest, up to a NUL, is a URL for redis_url_parse().
 *    Checks: the result is 0 or -1; on -1 a NUL-terminated, non-empty
 *    message; on 0 host, user and password NUL-terminated in their arrays,
 *    host non-empty (unix: an absolute path, port 0; redis: port 1-65535),
 *    db 0-1000000, has_auth exactly when there is a password or a user; and
 *    redis_url_describe() gives no copy of the password: its output is the
 *    same whatever the password is (a plain search for the password would
 *    fire on passwords like "0" that are also the db), names the scheme, and
 *    has "***" for it. For URLs without user info whose host (or socket
 *    path) is made of plain bytes, parsing the description gives the same
 *    URL back.
 * A violation prints what failed and abort()s: libFuzzer saves the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_conn.h"
#include "redis_out.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NAME "fuzz_redis"
#include "fuzz_invariant.h"

static const char *const key_name[RF__COUNT] = {
	[RF_TIMESTAMP] = "timestamp", [RF_EVENT_TYPE] = "event_type", [RF_SRC_IP] = "src_ip",
	[RF_DEST_IP] = "dest_ip", [RF_DEST_PORT] = "dest_port", [RF_APP_PROTO] = "app_proto",
	[RF_SIGNATURE_ID] = "signature_id",
};

static int is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int ends_scalar(int c)
{
	return c == ',' || c == '}' || c == ']' || is_ws(c);
}

/* Where a value starting at `at` sits, found by a second, simpler walk of
 * buf[0, at) (which the scanner walked before taking the value, so it is
 * well-formed): returns the number of open objects and arrays, and sets
 * *in_alert when the innermost is an object that is the value of a key
 * "alert" of the top-level object. -1 when the walk does not stop exactly
 * at `at` (the two walks disagree on the bytes). */
static int depth_at(const char *b, size_t at, int *in_alert)
{
	enum { MAXD = 64 };
	enum { AFTER, KEY, VALUE } want = VALUE; /* what comes next: the record */
	char type[MAXD];
	int alert[MAXD];
	int d = 0;
	size_t ks = 0, kn = 0, i = 0;
	*in_alert = 0;
	for (;;) {
		while (i < at && is_ws((unsigned char)b[i]))
			i++;
		if (i == at)
			break;
		char c = b[i];
		if (c == '}' || c == ']') {
			if (d == 0)
				return -1;
			d--;
			want = AFTER;
			i++;
		} else if (want == AFTER) {
			/* ',' or ':' between members and values */
			if (c == ':' && d > 0 && type[d - 1] == '{')
				want = VALUE;
			else if (c == ',' && d > 0)
				want = type[d - 1] == '{' ? KEY : VALUE;
			else
				return -1;
			i++;
		} else if (c == '"') {
			size_t s = ++i;
			while (i < at && b[i] != '"')
				i += b[i] == '\\' ? 2 : 1;
			if (i >= at)
				return -1;
			if (want == KEY) {
				ks = s;
				kn = i - s;
			}
			want = AFTER;
			i++;
		} else if (want == VALUE && (c == '{' || c == '[')) {
			if (d == MAXD)
				return -1;
			alert[d] = c == '{' && d == 1 && kn == 5 && memcmp(b + ks, "alert", 5) == 0;
			type[d++] = c;
			want = c == '{' ? KEY : VALUE;
			i++;
		} else if (want == VALUE) {
			/* a scalar: up to a separator, whatever it holds */
			size_t s = i;
			while (i < at && !ends_scalar((unsigned char)b[i]))
				i++;
			if (i >= at || i == s)
				return -1;
			want = AFTER;
		} else {
			return -1;
		}
	}
	*in_alert = d > 0 && alert[d - 1];
	return d;
}

/* One field found at [off, off + len) of buf[n]. */
static void check_field(const char *buf, size_t n, int f, size_t off, size_t len)
{
	CHECK(off >= 1 && off + len <= n);
	size_t vstart; /* where the value starts: its quote, or its first byte */
	if (buf[off - 1] == '"') {
		/* a string: closed by a quote right after, nothing unescaped inside */
		CHECK(off + len < n && buf[off + len] == '"');
		for (size_t i = off; i < off + len; i++) {
			CHECK(buf[i] != '"');
			if (buf[i] == '\\') {
				CHECK(i + 1 < off + len);
				i++;
			}
		}
		vstart = off - 1;
	} else {
		CHECK(buf[off - 1] == ':' || is_ws((unsigned char)buf[off - 1]));
		CHECK(buf[off] != '"' && buf[off] != '{' && buf[off] != '[');
		for (size_t i = off; i < off + len; i++)
			CHECK(!ends_scalar((unsigned char)buf[i]));
		CHECK(off + len == n || ends_scalar((unsigned char)buf[off + len]));
		vstart = off;
	}
	/* back over ws ':' ws to the key's closing quote */
	size_t p = vstart;
	while (p > 0 && is_ws((unsigned char)buf[p - 1]))
		p--;
	CHECK(p > 0 && buf[p - 1] == ':');
	p--;
	while (p > 0 && is_ws((unsigned char)buf[p - 1]))
		p--;
	size_t kl = strlen(key_name[f]);
	CHECK(p >= kl + 2 && buf[p - 1] == '"');
	CHECK(memcmp(buf + p - 1 - kl, key_name[f], kl) == 0 && buf[p - 2 - kl] == '"');
	/* the key is a member's: after '{' or ',' (and white space) */
	size_t q = p - 2 - kl;
	while (q > 0 && is_ws((unsigned char)buf[q - 1]))
		q--;
	CHECK(q > 0 && (buf[q - 1] == '{' || buf[q - 1] == ','));
	/* at the top level; signature_id one level down, in `alert` */
	int in_alert, d = depth_at(buf, vstart, &in_alert);
	if (f == RF_SIGNATURE_ID)
		CHECK(d == 2 && in_alert);
	else
		CHECK(d == 1);
}

static void fuzz_record(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return;
	memcpy(buf, data, size);
	struct rec_fields rf;
	memset(&rf, 0xA5, sizeof(rf));
	int rc = rec_fields_scan(buf, size, &rf);
	CHECK(rc == 0 || rc == -1);
	size_t s = 0;
	while (s < size && is_ws((unsigned char)buf[s]))
		s++;
	if (s == size || buf[s] != '{') {
		CHECK(rc == -1);
		for (int f = 0; f < RF__COUNT; f++)
			CHECK(rf.len[f] == 0);
	}
	for (int f = 0; f < RF__COUNT; f++)
		if (rf.len[f])
			check_field(buf, size, f, rf.off[f], rf.len[f]);
	free(buf);
}

static int plain_host(const struct redis_url *u)
{
	for (const char *c = u->host; *c; c++) {
		int ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			 (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' ||
			 (u->is_unix ? *c == '/' || *c == '_' : *c == ':');
		if (!ok)
			return 0;
	}
	return 1;
}

static void fuzz_url(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	struct redis_url u;
	char err[512];
	memset(err, 'E', sizeof(err));
	int rc = redis_url_parse(&u, s, err, sizeof(err));
	CHECK(rc == 0 || rc == -1);
	if (rc == -1) {
		CHECK(memchr(err, 0, sizeof(err)) != NULL && err[0] != '\0');
		free(s);
		return;
	}
	CHECK(memchr(u.host, 0, sizeof(u.host)) != NULL && u.host[0] != '\0');
	CHECK(memchr(u.user, 0, sizeof(u.user)) != NULL);
	CHECK(memchr(u.password, 0, sizeof(u.password)) != NULL);
	if (u.is_unix)
		CHECK(u.port == 0 && u.host[0] == '/');
	else
		CHECK(u.port >= 1 && u.port <= 65535);
	CHECK(u.db >= 0 && u.db <= 1000000);
	CHECK(u.has_auth == (u.password[0] != '\0' || u.user[0] != '\0'));

	char out[1024], other[1024];
	memset(out, 'D', sizeof(out));
	redis_url_describe(&u, out, sizeof(out));
	CHECK(memchr(out, 0, sizeof(out)) != NULL);
	CHECK(strncmp(out, u.is_unix ? "unix://" : "redis://", u.is_unix ? 7 : 8) == 0);
	if (u.has_auth || u.user[0])
		CHECK(strstr(out, ":***@") != NULL);
	if (u.password[0]) {
		/* the same with any other password */
		struct redis_url v = u;
		memset(v.password, 0, sizeof(v.password));
		v.password[0] = u.password[0] == 'x' ? 'y' : 'x';
		redis_url_describe(&v, other, sizeof(other));
		CHECK(strcmp(out, other) == 0);
		memset(v.password, 'Q', sizeof(v.password) - 1);
		redis_url_describe(&v, other, sizeof(other));
		CHECK(strcmp(out, other) == 0);
	}
	if (!u.has_auth && !u.user[0] && plain_host(&u)) {
		struct redis_url w;
		char err2[512];
		if (redis_url_parse(&w, out, err2, sizeof(err2)) != 0) {
			fprintf(stderr, "fuzz_redis: '%s' described as '%s': %s\n", s, out, err2);
			CHECK(!"the description parses");
		}
		CHECK(w.is_unix == u.is_unix && strcmp(w.host, u.host) == 0 && w.port == u.port &&
		      w.db == u.db && !w.has_auth && !w.user[0]);
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		fuzz_url(data + 1, size - 1);
	else
		fuzz_record(data + 1, size - 1);
	return 0;
}
