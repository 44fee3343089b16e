/* feed.h - the line parser of indicator feed files (plain and Zeek Intel
 * formats; the formats, directives and normalisation are described in
 * ioc.h). Pure: no I/O, no allocation, no global state; every byte is read
 * through struct cursor. sensor/ioc.c drives it and stores what it returns.
 *
 * Invariants:
 *  - All state of one file is in the caller's struct feed_state: the format
 *    (decided by the first non-empty line), the Zeek columns and separator,
 *    the directive defaults, the line count, and the splitter's "skipping
 *    an over-long line" flag. One feed_state per file.
 *  - feed_split() hands out each line once, '\n' excluded, and counts it in
 *    `line`; a line longer than IOC_LINE_MAX bytes is reported once as
 *    FEED_SPLIT_LONG however it is cut into buffers, and its bytes are
 *    skipped up to its '\n'. So splitting a file at any byte boundaries gives
 *    the same lines and the same line numbers.
 *  - A struct feed_entry's text slices point into the line passed to
 *    feed_line() or into the feed_state: valid until the next feed_line()
 *    call on that state. Its value[] is NUL-terminated.
 */
#ifndef DAVY_FEED_H
#define DAVY_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "ioc.h"

#define FEED_ZEEK_COLUMNS 64   /* columns of a #fields line that are read */
#define FEED_TEXT_MAX 255      /* a directive's source/description */
#define FEED_VALUE_BUF (IOC_LINE_MAX + 64)
#define FEED_ZEEK_NAMES 16     /* unknown Zeek types remembered per file */
#define FEED_WHY_MAX 160       /* a message's text, excerpt included */

enum feed_format { FEED_FMT_UNKNOWN = 0, FEED_FMT_PLAIN, FEED_FMT_ZEEK };

enum feed_split_result {
	FEED_SPLIT_MORE = 0, /* no complete line left: feed more bytes */
	FEED_SPLIT_LINE,     /* *line is the next line */
	FEED_SPLIT_LONG,     /* the next line is longer than IOC_LINE_MAX */
};

enum feed_result {
	FEED_SKIP = 0,     /* blank, comment, directive or header line */
	FEED_ENTRY,        /* *e holds an indicator */
	FEED_BAD,          /* why says what is wrong */
	FEED_UNSUPPORTED,  /* a Zeek type davy does not use (e->zeek_type) */
};

/* Zeek columns davy reads */
enum feed_col {
	FEED_COL_INDICATOR = 0,
	FEED_COL_TYPE,
	FEED_COL_SOURCE,
	FEED_COL_DESC,
	FEED_COL_CONFIDENCE,
	FEED_COL_CATEGORY,
	FEED_COL_SEVERITY,
	FEED_COL__COUNT
};

struct feed_text {
	const char *p;
	size_t n; /* 0: not given */
};

struct feed_state {
	uint64_t line;          /* lines handed out by feed_split() */
	bool skipping;          /* inside an over-long line */
	uint8_t format;         /* enum feed_format */
	uint8_t sep;            /* Zeek field separator */
	bool have_fields;       /* a #fields line was seen */
	int16_t col[FEED_COL__COUNT]; /* column index of each, -1 absent */
	/* directive defaults; lengths 0 when not given */
	uint8_t def_type;       /* enum ioc_type, IOC_NONE: detect */
	uint8_t def_severity;   /* 0: not given */
	char def_category[IOC_CATEGORY_MAX + 1];
	char def_source[FEED_TEXT_MAX + 1];
	char def_desc[FEED_TEXT_MAX + 1];
	size_t def_category_len, def_source_len, def_desc_len;
	/* Zeek types already reported in this file */
	uint32_t unsupported_seen;            /* bits of the known ones */
	uint32_t unknown_seen[FEED_ZEEK_NAMES]; /* hashes of other names */
	unsigned n_unknown_seen;
};

struct feed_entry {
	uint8_t type;      /* enum ioc_type */
	uint8_t severity;  /* 0: not given */
	uint8_t family;    /* ip/cidr: 4 or 6 */
	uint8_t prefix;    /* ip/cidr */
	uint16_t port;
	uint8_t addr[16];
	size_t value_len;
	char value[FEED_VALUE_BUF];               /* normalised, NUL-terminated */
	char category[IOC_CATEGORY_MAX + 1];      /* lower-case; "" not given */
	struct feed_text source, description;     /* n 0: not given */
	struct feed_text zeek_type;               /* FEED_UNSUPPORTED: the name */
	bool first_of_type;                       /* FEED_UNSUPPORTED: first in file */
};

/* Zeroes the state for a new file. */
void feed_init(struct feed_state *fs);

/* Takes the next line out of buf (which moves past it and its '\n'). With
 * final false, a last line without its '\n' stays in buf (FEED_SPLIT_MORE)
 * unless it is already longer than IOC_LINE_MAX; with final true it is the
 * file's last line. */
enum feed_split_result feed_split(struct feed_state *fs, struct cursor *buf, bool final,
				  struct cursor *line);

/* Parses one line (as feed_split() gave it). FEED_BAD: why holds the
 * reason (without "file:line: "). */
enum feed_result feed_line(struct feed_state *fs, struct cursor *line, struct feed_entry *e,
			   char *why, size_t whylen);

/* Parses s[0..n) as a feed value of that type (IOC_NONE: detect), filling
 * e's type, value and address fields. 0, or -1 with why filled. */
int feed_parse_value(int type, const char *s, size_t n, struct feed_entry *e, char *why,
		     size_t whylen);

/* The type named s[0..n) ("ip", "subnet", ..., any case), or IOC_NONE. */
int feed_type_by_name(const char *s, size_t n);
/* The category a feed name implies ("c2-feodo" -> "c2"), or NULL. */
const char *feed_name_category(const char *feed);
/* The default category and severity of a type. */
const char *feed_type_category(int type);
int feed_type_severity(int type);
/* Where an image reference's canonical part starts: after a Docker Hub
 * registry ("docker.io/", "index.docker.io/", "registry-1.docker.io/",
 * any case) and then "library/", so "docker.io/library/nginx:1" and
 * "nginx:1" compare equal. */
size_t feed_image_skip(const char *s, size_t n);

#endif
