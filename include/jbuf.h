/* jbuf.h - a JSON writer into a caller-owned, fixed-size buffer.
 *
 * Records are written field by field without building a tree (json-c would
 * allocate per field on the output path). Keys are trusted literals, written
 * as they are (never pass a key that needs escaping); string values are escaped per RFC 8259 (control characters as \u00XX, invalid
 * UTF-8 bytes as \u00XX of the byte so the line stays valid JSON).
 *
 * Invariants: `buf` always holds a prefix of valid output; once the buffer
 * would overflow `overflow` is set and nothing more is written, so the caller
 * checks once at the end. Nesting is bounded by JB_MAX_DEPTH.
 */
#ifndef DAVY_JBUF_H
#define DAVY_JBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JB_MAX_DEPTH 16

struct jbuf {
	char *buf;
	size_t len, cap;
	bool overflow;
	int depth;
	bool first[JB_MAX_DEPTH]; /* no member written yet at this depth */
	char closer[JB_MAX_DEPTH]; /* the character that closes this depth */
};

/* Starts a top-level object in buf[cap]. */
void jb_init(struct jbuf *j, char *buf, size_t cap);
/* Closes the top-level object and appends '\n'. Returns the length, or 0 on
 * overflow. */
size_t jb_finish(struct jbuf *j);

void jb_obj_open(struct jbuf *j, const char *key);   /* key NULL inside arrays */
void jb_obj_close(struct jbuf *j);
void jb_arr_open(struct jbuf *j, const char *key);
void jb_arr_close(struct jbuf *j);
void jb_str(struct jbuf *j, const char *key, const char *val);
void jb_strn(struct jbuf *j, const char *key, const char *val, size_t n);
void jb_u64(struct jbuf *j, const char *key, uint64_t v);
void jb_i64(struct jbuf *j, const char *key, int64_t v);
void jb_bool(struct jbuf *j, const char *key, bool v);

#endif
