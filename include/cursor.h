/* cursor.h - the one bounds-checked reader every parser of untrusted bytes uses.
 *
 * Invariants:
 *  - `p <= end` always; nothing is ever read at or past `end`.
 *  - Once a read fails (not enough bytes), `failed` stays true and every later
 *    read returns 0 and moves nothing, so a parser may read a whole header and
 *    check `failed` once at the end (tcpdump's ND_TCHECK style, without longjmp).
 *  - A cursor never owns its bytes.
 *
 * Reads are big-endian (network order) unless named `le`.
 */
#ifndef DAVY_CURSOR_H
#define DAVY_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cursor {
	const uint8_t *p;   /* next byte to read */
	const uint8_t *end; /* one past the last readable byte */
	bool failed;        /* a read ran out of bytes */
};

static inline struct cursor cur_make(const uint8_t *buf, size_t len)
{
	struct cursor c = { buf, buf + len, false };
	return c;
}

/* Bytes left to read (0 once failed). */
static inline size_t cur_left(const struct cursor *c)
{
	return c->failed ? 0 : (size_t)(c->end - c->p);
}

/* True when at least n bytes are left; does not fail the cursor. */
static inline bool cur_has(const struct cursor *c, size_t n)
{
	return !c->failed && (size_t)(c->end - c->p) >= n;
}

/* Marks the cursor failed unless n bytes are available; returns the check. */
static inline bool cur_need(struct cursor *c, size_t n)
{
	if (!cur_has(c, n))
		c->failed = true;
	return !c->failed;
}

static inline uint8_t cur_u8(struct cursor *c)
{
	if (!cur_need(c, 1))
		return 0;
	return *c->p++;
}

static inline uint16_t cur_be16(struct cursor *c)
{
	if (!cur_need(c, 2))
		return 0;
	uint16_t v = (uint16_t)(c->p[0] << 8 | c->p[1]);
	c->p += 2;
	return v;
}

static inline uint32_t cur_be24(struct cursor *c)
{
	if (!cur_need(c, 3))
		return 0;
	uint32_t v = (uint32_t)c->p[0] << 16 | (uint32_t)c->p[1] << 8 | c->p[2];
	c->p += 3;
	return v;
}

static inline uint32_t cur_be32(struct cursor *c)
{
	if (!cur_need(c, 4))
		return 0;
	uint32_t v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 |
		     (uint32_t)c->p[2] << 8 | c->p[3];
	c->p += 4;
	return v;
}

static inline uint16_t cur_le16(struct cursor *c)
{
	if (!cur_need(c, 2))
		return 0;
	uint16_t v = (uint16_t)(c->p[1] << 8 | c->p[0]);
	c->p += 2;
	return v;
}

static inline uint32_t cur_le32(struct cursor *c)
{
	if (!cur_need(c, 4))
		return 0;
	uint32_t v = (uint32_t)c->p[3] << 24 | (uint32_t)c->p[2] << 16 |
		     (uint32_t)c->p[1] << 8 | c->p[0];
	c->p += 4;
	return v;
}

/* Copies n bytes into dst (zero-fills dst on failure). */
static inline bool cur_copy(struct cursor *c, void *dst, size_t n)
{
	if (!cur_need(c, n)) {
		memset(dst, 0, n);
		return false;
	}
	memcpy(dst, c->p, n);
	c->p += n;
	return true;
}

static inline bool cur_skip(struct cursor *c, size_t n)
{
	if (!cur_need(c, n))
		return false;
	c->p += n;
	return true;
}

/* Peeks byte i ahead without moving; 0 and failed when absent. */
static inline uint8_t cur_peek(struct cursor *c, size_t i)
{
	if (!cur_need(c, i + 1))
		return 0;
	return c->p[i];
}

/* A sub-cursor over the next n bytes (or fewer if fewer are left: the caller
 * compares cur_left() with what it asked for to tell truncation). The parent
 * does not move. */
static inline struct cursor cur_sub(const struct cursor *c, size_t n)
{
	size_t left = cur_left(c);
	struct cursor s = { c->p, c->p + (n < left ? n : left), c->failed };
	return s;
}

/* Restricts the cursor's end to n bytes from here (never extends it). */
static inline void cur_limit(struct cursor *c, size_t n)
{
	if (!c->failed && (size_t)(c->end - c->p) > n)
		c->end = c->p + n;
}

#endif
