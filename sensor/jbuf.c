/* jbuf.c - JSON writer into a fixed buffer (see jbuf.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "jbuf.h"

static void put(struct jbuf *j, const char *s, size_t n)
{
	if (j->overflow)
		return;
	if (j->cap - j->len < n + 1) {
		j->overflow = true;
		return;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = 0;
}

static void putc_(struct jbuf *j, char c)
{
	put(j, &c, 1);
}

void jb_init(struct jbuf *j, char *buf, size_t cap)
{
	j->buf = buf;
	j->cap = cap;
	j->len = 0;
	j->overflow = cap < 2;
	j->depth = 0;
	j->first[0] = true;
	if (!j->overflow)
		put(j, "{", 1);
}

static void escaped(struct jbuf *j, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	putc_(j, '"');
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end && !j->overflow) {
		const unsigned char *run = p;
		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
			p++;
		put(j, (const char *)run, (size_t)(p - run));
		if (p >= end)
			break;
		unsigned char c = *p;
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			put(j, e, 2);
			p++;
			continue;
		}
		if (c >= 0x80) {
			/* pass valid UTF-8 sequences through; escape stray bytes */
			size_t len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
			bool ok = len && len <= (size_t)(end - p) && c < 0xf5;
			for (size_t i = 1; ok && i < len; i++)
				ok = (p[i] & 0xc0) == 0x80;
			/* no overlong forms, no surrogates, nothing above U+10FFFF */
			if (ok && ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0) ||
				   (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90)))
				ok = false;
			if (ok) {
				put(j, (const char *)p, len);
				p += len;
				continue;
			}
		}
		char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
		switch (c) {
		case '\n': put(j, "\\n", 2); break;
		case '\r': put(j, "\\r", 2); break;
		case '\t': put(j, "\\t", 2); break;
		default: put(j, u, 6); break;
		}
		p++;
	}
	putc_(j, '"');
}

/* Keys are trusted literals (jbuf.h): written without escaping. */
static void member(struct jbuf *j, const char *key)
{
	if (!j->first[j->depth])
		putc_(j, ',');
	j->first[j->depth] = false;
	if (key) {
		putc_(j, '"');
		put(j, key, strlen(key));
		put(j, "\":", 2);
	}
}

static void open_(struct jbuf *j, const char *key, char c)
{
	member(j, key);
	if (j->depth + 1 >= JB_MAX_DEPTH) {
		j->overflow = true;
		return;
	}
	putc_(j, c);
	j->first[++j->depth] = true;
	j->closer[j->depth] = c == '{' ? '}' : ']';
}

/* A close at the top level or of the other kind is a caller bug: the record
 * is marked unusable (overflow) rather than written as invalid JSON. */
static void close_(struct jbuf *j, char c)
{
	if (j->depth == 0 || j->closer[j->depth] != c) {
		j->overflow = true;
		return;
	}
	j->depth--;
	putc_(j, c);
}

void jb_obj_open(struct jbuf *j, const char *key) { open_(j, key, '{'); }
void jb_obj_close(struct jbuf *j) { close_(j, '}'); }
void jb_arr_open(struct jbuf *j, const char *key) { open_(j, key, '['); }
void jb_arr_close(struct jbuf *j) { close_(j, ']'); }

void jb_strn(struct jbuf *j, const char *key, const char *val, size_t n)
{
	member(j, key);
	escaped(j, val, n);
}

void jb_str(struct jbuf *j, const char *key, const char *val)
{
	jb_strn(j, key, val, strlen(val));
}

/* Decimal digits of v, right-aligned in b[24]; returns where they start. */
static char *digits(char b[24], uint64_t v)
{
	char *p = b + 24;
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

void jb_u64(struct jbuf *j, const char *key, uint64_t v)
{
	char b[24];
	char *p = digits(b, v);
	member(j, key);
	put(j, p, (size_t)(b + 24 - p));
}

void jb_i64(struct jbuf *j, const char *key, int64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRId64, v);
	member(j, key);
	put(j, b, (size_t)n);
}

void jb_bool(struct jbuf *j, const char *key, bool v)
{
	member(j, key);
	put(j, v ? "true" : "false", v ? 4 : 5);
}

size_t jb_finish(struct jbuf *j)
{
	if (j->depth != 0) /* unbalanced: a caller bug, never written out */
		j->overflow = true;
	put(j, "}\n", 2);
	return j->overflow ? 0 : j->len;
}
