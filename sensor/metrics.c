/* metrics.c - /metrics (Prometheus text 0.0.4) and /healthz over
 * libmicrohttpd; the address parser and the text writer (see metrics.h).
 *
 * Format reference: Prometheus "Exposition formats", text format 0.0.4:
 *   metric_name [ "{" label_name "=" `"` label_value `"` { "," ... } "}" ] value
 *   # HELP metric_name docstring      (docstring escapes \\ and \n)
 *   # TYPE metric_name counter|gauge|histogram|summary|untyped
 * label_value escapes \\, \" and \n. Numbers as Go's ParseFloat reads them,
 * with NaN, +Inf and -Inf.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "metrics.h"

/* ========================================================================
 * The address
 * ====================================================================== */

#define ADDR_FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)
#define ADDR_EXAMPLE "expected ADDR:PORT, e.g. 127.0.0.1:9477, 0.0.0.0:9477 or [::]:9477"

/* Reads a port: decimal digits only, 0..65535. */
static int parse_port(const char *in, const char *s, uint16_t *port, char *err, size_t errlen)
{
	if (!*s)
		ADDR_FAIL("'%s': missing port after ':' (%s)", in, ADDR_EXAMPLE);
	unsigned long v = 0;
	for (const char *q = s; *q; q++) {
		if (*q < '0' || *q > '9')
			ADDR_FAIL("'%s': port '%s' is not a number (0..65535)", in, s);
		v = v * 10 + (unsigned long)(*q - '0');
		if (v > 65535)
			ADDR_FAIL("'%s': port %s is out of range (0..65535)", in, s);
	}
	*port = (uint16_t)v;
	return 0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int metrics_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len, char *err,
		       size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port_s;
	bool v6 = false;

	if (!s || !*s)
		ADDR_FAIL("empty address (%s)", ADDR_EXAMPLE);
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close)
			ADDR_FAIL("'%s': missing ']' after the IPv6 address (%s)", s, ADDR_EXAMPLE);
		size_t n = (size_t)(close - s - 1);
		if (n == 0)
			ADDR_FAIL("'%s': empty IPv6 address between the brackets (all addresses: [::])", s);
		if (memchr(s + 1, '%', n))
			ADDR_FAIL("'%s': IPv6 zone ids ('%%eth0') are not accepted", s);
		if (n >= sizeof(host))
			ADDR_FAIL("'%s': bad IPv6 address '%.*s'", s, (int)n, s + 1);
		memcpy(host, s + 1, n);
		host[n] = 0;
		if (close[1] == 0)
			ADDR_FAIL("'%s': missing port after ']' (e.g. [%s]:9477)", s, host);
		if (close[1] != ':')
			ADDR_FAIL("'%s': expected ':PORT' after ']' (e.g. [%s]:9477)", s, host);
		port_s = close + 2;
		v6 = true;
	} else {
		const char *colon = strrchr(s, ':');
		size_t n;
		if (!colon && all_digits(s)) { /* PORT alone: every IPv4 address */
			n = 0;
			port_s = s;
		} else {
			if (colon && memchr(s, ':', (size_t)(colon - s)))
				ADDR_FAIL("'%s': an IPv6 address needs brackets, e.g. [::1]:9477 or "
					  "[::]:9477", s);
			/* without a port, say first what is wrong with the address */
			n = colon ? (size_t)(colon - s) : strlen(s);
			for (size_t i = 0; i < n; i++)
				if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))
					ADDR_FAIL("'%s': host names are not accepted (no DNS lookups "
						  "here): give an IP address, e.g. 127.0.0.1:9477 or "
						  "[::1]:9477", s);
			if (n >= sizeof(host))
				ADDR_FAIL("'%s': bad IPv4 address '%.*s'", s, (int)n, s);
			if (!colon)
				ADDR_FAIL("'%s': missing port (%s)", s, ADDR_EXAMPLE);
			port_s = colon + 1;
		}
		memcpy(host, s, n);
		host[n] = 0;
	}
	uint16_t port;
	if (parse_port(s, port_s, &port, err, errlen) < 0)
		return -1;

	memset(ss, 0, sizeof(*ss));
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			ADDR_FAIL("'%s': bad IPv6 address '%s'", s, host);
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		if (!host[0])
			a->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			ADDR_FAIL("'%s': bad IPv4 address '%s' (four numbers 0..255, e.g. 127.0.0.1)", s,
				  host);
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		*len = sizeof(*a);
	}
	return 0;
}

void metrics_format_addr(const struct sockaddr *sa, char *out, size_t outlen)
{
	char a[INET6_ADDRSTRLEN];
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		snprintf(out, outlen, "%s:%u", a, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		snprintf(out, outlen, "[%s]:%u", a, ntohs(in6->sin6_port));
	} else {
		snprintf(out, outlen, "(address family %d)", sa->sa_family);
	}
}

/* ========================================================================
 * The text writer
 * ====================================================================== */

void prom_init(struct prom *p, char *buf, size_t cap)
{
	memset(p, 0, sizeof(*p));
	p->buf = buf;
	p->cap = cap;
	p->overflow = cap == 0; /* not even room for the NUL */
	if (cap)
		buf[0] = 0;
}

bool prom_ok(const struct prom *p)
{
	return !p->overflow && !p->invalid;
}

__attribute__((format(printf, 2, 3)))
static void refuse(struct prom *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
	p->invalid = true;
}

static void put(struct prom *p, const char *s, size_t n)
{
	if (p->overflow)
		return;
	if (p->cap - p->len < n + 1) {
		p->overflow = true;
		return;
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = 0;
}

static void puts_(struct prom *p, const char *s)
{
	put(p, s, strlen(s));
}

/* A unit (one sample line, or a family's two lines) is all or nothing. */
static void unit_end(struct prom *p, size_t mark)
{
	if (p->overflow) {
		p->len = mark;
		p->buf[mark] = 0;
	}
}

/* The length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s, const unsigned char *end)
{
	unsigned char c = s[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf; /* bounds of the second byte */
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if ((size_t)(end - s) < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Writes s escaped: backslash and newline always, double quote when
 * `quote` (label values); invalid UTF-8 bytes as U+FFFD. */
static void put_escaped(struct prom *p, const char *str, bool quote)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + strlen(str);
	while (s < end && !p->overflow) {
		const unsigned char *run = s;
		while (s < end && *s < 0x80 && *s != '\\' && *s != '\n' && !(quote && *s == '"'))
			s++;
		put(p, (const char *)run, (size_t)(s - run));
		if (s >= end)
			break;
		if (*s == '\\') {
			put(p, "\\\\", 2);
			s++;
		} else if (*s == '\n') {
			put(p, "\\n", 2);
			s++;
		} else if (*s == '"') {
			put(p, "\\\"", 2);
			s++;
		} else {
			size_t n = utf8_len(s, end);
			if (n) {
				put(p, (const char *)s, n);
				s += n;
			} else {
				put(p, "\xef\xbf\xbd", 3); /* U+FFFD */
				s++;
			}
		}
	}
}

static bool name_char(char c, bool first, bool colon)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
	       (!first && c >= '0' && c <= '9');
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* for metric names (colon), [a-zA-Z_][a-zA-Z0-9_]* for labels. */
static bool valid_name(const char *s, bool colon)
{
	if (!s || !*s)
		return false;
	for (size_t i = 0; s[i]; i++)
		if (!name_char(s[i], i == 0, colon))
			return false;
	return true;
}

static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h ? h : 1;
}

/* Records family `name`; false if it was opened before. */
static bool family_new(struct prom *p, const char *name)
{
	const size_t mask = sizeof(p->seen) / sizeof(p->seen[0]) - 1;
	uint64_t h = name_hash(name);
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		if (p->seen[i] == h)
			return false;
		if (p->seen[i] == 0) {
			p->seen[i] = h;
			return true;
		}
	}
}

void prom_family(struct prom *p, const char *name, enum prom_type type, const char *help)
{
	if (!prom_ok(p))
		return;
	if (!valid_name(name, true)) {
		refuse(p, "invalid metric name '%.64s'", name ? name : "(null)");
		return;
	}
	if (strlen(name) > PROM_NAME_MAX) {
		refuse(p, "metric name '%.64s...' longer than %d bytes", name, PROM_NAME_MAX);
		return;
	}
	if (type != PROM_COUNTER && type != PROM_GAUGE) {
		refuse(p, "family '%s': unknown type %d", name, (int)type);
		return;
	}
	if (p->nfamilies >= PROM_FAMILIES_MAX) {
		refuse(p, "more than %d families", PROM_FAMILIES_MAX);
		return;
	}
	if (!family_new(p, name)) {
		refuse(p, "family '%s' opened twice (a family's samples go together)", name);
		return;
	}
	p->nfamilies++;
	strcpy(p->family, name);

	size_t mark = p->len;
	if (help) {
		puts_(p, "# HELP ");
		puts_(p, name);
		put(p, " ", 1);
		put_escaped(p, help, false);
		put(p, "\n", 1);
	}
	puts_(p, "# TYPE ");
	puts_(p, name);
	puts_(p, type == PROM_COUNTER ? " counter\n" : " gauge\n");
	unit_end(p, mark);
}

static void sample(struct prom *p, const char *name, const char *const *labels, const char *val)
{
	if (!prom_ok(p))
		return;
	if (!name || !p->family[0]) {
		refuse(p, "sample '%.64s' before any family (call prom_family first)",
		       name ? name : "(null)");
		return;
	}
	if (strcmp(name, p->family) != 0) {
		refuse(p, "sample '%.64s' in family '%s' (a sample's name is its family's)", name,
		       p->family);
		return;
	}
	size_t n = 0;
	for (; labels && labels[n]; n += 2) {
		const char *k = labels[n];
		if (!valid_name(k, false) || (k[0] == '_' && k[1] == '_')) {
			refuse(p, "%s: invalid label name '%.64s'%s", name, k,
			       k[0] == '_' && k[1] == '_' ? " (names starting with __ are reserved)" : "");
			return;
		}
		if (!labels[n + 1]) {
			refuse(p, "%s: label '%s' has no value", name, k);
			return;
		}
		for (size_t j = 0; j < n; j += 2)
			if (strcmp(labels[j], k) == 0) {
				refuse(p, "%s: label '%s' given twice", name, k);
				return;
			}
	}

	size_t mark = p->len;
	puts_(p, name);
	for (size_t i = 0; i < n; i += 2) {
		put(p, i ? "," : "{", 1);
		puts_(p, labels[i]);
		put(p, "=\"", 2);
		put_escaped(p, labels[i + 1], true);
		put(p, "\"", 1);
	}
	if (n)
		put(p, "}", 1);
	put(p, " ", 1);
	puts_(p, val);
	put(p, "\n", 1);
	unit_end(p, mark);
}

void prom_u64(struct prom *p, const char *name, const char *const *labels, uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "%" PRIu64, v);
	sample(p, name, labels, b);
}

void prom_f64(struct prom *p, const char *name, const char *const *labels, double v)
{
	char b[32];
	if (isnan(v))
		strcpy(b, "NaN");
	else if (isinf(v))
		strcpy(b, v > 0 ? "+Inf" : "-Inf");
	else {
		/* %g and strtod follow LC_NUMERIC; davy never changes it from "C". */
		snprintf(b, sizeof(b), "%.15g", v);
		if (strtod(b, NULL) != v)
			snprintf(b, sizeof(b), "%.17g", v);
	}
	sample(p, name, labels, b);
}

/* ========================================================================
 * The server
 * ====================================================================== */

struct metrics_server {
	struct MHD_Daemon *d;
	int port;
	metrics_render_fn render;
	metrics_health_fn health;
	void *ctx;
	char where[64]; /* the address, for messages */

	/* used by the MHD thread only (one request at a time: see metrics.h) */
	char *buf;
	size_t buf_size;
	struct prom prom;
	char mark[2]; /* *con_cls: &mark[0] headers seen, &mark[1] answered */

	struct {
		_Atomic uint64_t requests, metrics_served, health_served, health_failed, not_found,
			bad_method, overflows, errors, bytes_max, log_messages;
	} c;

	pthread_mutex_t log_lock; /* last_log: written by whichever thread MHD logs from */
	char last_log[256];
};

#define COUNT(s, field) atomic_fetch_add_explicit(&(s)->c.field, 1, memory_order_relaxed)

static const char CT_PROM[] = "text/plain; version=0.0.4; charset=utf-8";
static const char CT_TEXT[] = "text/plain; charset=utf-8";
static const char BODY_404[] = "not found: this server answers /metrics (Prometheus) and "
			       "/healthz\n";
static const char BODY_405[] = "method not allowed: GET or HEAD\n";

__attribute__((format(printf, 2, 0)))
static void on_log(void *cls, const char *fmt, va_list ap)
{
	struct metrics_server *s = cls;
	char msg[256];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = 0;
	pthread_mutex_lock(&s->log_lock);
	memcpy(s->last_log, msg, n + 1);
	pthread_mutex_unlock(&s->log_lock);
	uint64_t k = atomic_fetch_add_explicit(&s->c.log_messages, 1, memory_order_relaxed) + 1;
	if (k <= METRICS_LOG_MAX)
		fprintf(stderr, "davy: metrics: %s%s\n", msg,
			k == METRICS_LOG_MAX ? " (later libmicrohttpd messages are only counted)" : "");
}

/* Queues one answer. body is copied unless `persistent` (static text). */
static enum MHD_Result answer(struct metrics_server *s, struct MHD_Connection *conn,
			      unsigned status, const char *ctype, const char *body, size_t len,
			      bool persistent)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		len, (void *)body, persistent ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_COPY);
	if (!r) {
		COUNT(s, errors);
		return MHD_NO;
	}
	enum MHD_Result rc = MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (rc == MHD_YES && status == MHD_HTTP_METHOD_NOT_ALLOWED)
		rc = MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (rc == MHD_YES)
		rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	if (rc != MHD_YES)
		COUNT(s, errors);
	return rc;
}

static enum MHD_Result serve_metrics(struct metrics_server *s, struct MHD_Connection *conn)
{
	struct prom *p = &s->prom;
	char msg[400];
	prom_init(p, s->buf, s->buf_size);
	if (s->render(s->ctx, p) != 0) {
		COUNT(s, errors);
		snprintf(msg, sizeof(msg), "metrics: nothing to serve now (the sensor's render failed)\n");
	} else if (p->overflow) {
		COUNT(s, overflows);
		snprintf(msg, sizeof(msg), "metrics: the exposition exceeds its %zu-byte buffer\n",
			 s->buf_size);
	} else if (p->invalid) {
		COUNT(s, errors);
		snprintf(msg, sizeof(msg), "metrics: %s\n", p->why);
	} else {
		COUNT(s, metrics_served);
		if (p->len > atomic_load_explicit(&s->c.bytes_max, memory_order_relaxed))
			atomic_store_explicit(&s->c.bytes_max, p->len, memory_order_relaxed);
		return answer(s, conn, MHD_HTTP_OK, CT_PROM, p->buf, p->len, false);
	}
	return answer(s, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, CT_TEXT, msg, strlen(msg), false);
}

static enum MHD_Result serve_health(struct metrics_server *s, struct MHD_Connection *conn)
{
	char why[256] = "";
	COUNT(s, health_served);
	if (!s->health || s->health(s->ctx, why, sizeof(why)))
		return answer(s, conn, MHD_HTTP_OK, CT_TEXT, "ok\n", 3, true);
	COUNT(s, health_failed);
	why[sizeof(why) - 1] = 0;
	char body[sizeof(why) + 1];
	size_t n = 0;
	for (const char *q = why[0] ? why : "unhealthy"; *q; q++) /* one line */
		body[n++] = *q == '\n' || *q == '\r' ? ' ' : *q;
	body[n++] = '\n';
	return answer(s, conn, MHD_HTTP_SERVICE_UNAVAILABLE, CT_TEXT, body, n, false);
}

/* libmicrohttpd calls this once when the headers are in, again for each
 * piece of a request body, and a last time (*upload_data_size 0) when the
 * request is complete. GET and HEAD are answered on that last call, which
 * keeps HTTP/1.1 connections open between scrapes; a method we refuse is
 * answered on the first call, so its body is never read (the connection
 * is closed after the answer). *con_cls says where a request stands. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct metrics_server *s = cls;
	void *const seen = &s->mark[0], *const answered = &s->mark[1];

	if (*con_cls == NULL) { /* the headers */
		*con_cls = seen;
		if (strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)
			return MHD_YES;
		*con_cls = answered;
		COUNT(s, requests);
		if (strcmp(url, "/metrics") != 0 && strcmp(url, "/healthz") != 0) {
			COUNT(s, not_found);
			return answer(s, conn, MHD_HTTP_NOT_FOUND, CT_TEXT, BODY_404,
				      sizeof(BODY_404) - 1, true);
		}
		COUNT(s, bad_method);
		return answer(s, conn, MHD_HTTP_METHOD_NOT_ALLOWED, CT_TEXT, BODY_405,
			      sizeof(BODY_405) - 1, true);
	}
	if (*upload_data_size) { /* a body: not wanted, dropped */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*con_cls == answered)
		return MHD_YES;
	*con_cls = answered; /* the request is complete: GET or HEAD */
	COUNT(s, requests);
	/* HEAD: libmicrohttpd sends the headers of the same answer, no body */
	if (strcmp(url, "/metrics") == 0)
		return serve_metrics(s, conn);
	if (strcmp(url, "/healthz") == 0)
		return serve_health(s, conn);
	COUNT(s, not_found);
	return answer(s, conn, MHD_HTTP_NOT_FOUND, CT_TEXT, BODY_404, sizeof(BODY_404) - 1, true);
}

static const char *bind_hint(int e)
{
	switch (e) {
	case EADDRINUSE:
		return " (another process, or another davy, listens on this port)";
	case EACCES:
		return " (ports below 1024 need CAP_NET_BIND_SERVICE)";
	case EADDRNOTAVAIL:
		return " (no local interface has this address)";
	default:
		return "";
	}
}

/* Closes fd unless it no longer is the socket we made (libmicrohttpd may have
 * closed it on some failure paths, and the number may be reused since). */
static void close_if_ours(int fd, const struct stat *was)
{
	struct stat st;
	if (fstat(fd, &st) == 0 && st.st_dev == was->st_dev && st.st_ino == was->st_ino)
		close(fd);
}

static void server_free(struct metrics_server *s)
{
	pthread_mutex_destroy(&s->log_lock);
	free(s->buf);
	free(s);
}

struct metrics_server *metrics_start(const struct sockaddr *sa, socklen_t len, size_t buf_size,
				     metrics_render_fn render, metrics_health_fn health, void *ctx,
				     char *err, size_t errlen)
{
	bool v6 = sa && sa->sa_family == AF_INET6;
	if (!sa || (sa->sa_family != AF_INET && !v6) ||
	    len < (v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in))) {
		snprintf(err, errlen, "metrics: not an IPv4 or IPv6 socket address");
		return NULL;
	}
	if (!render) {
		snprintf(err, errlen, "metrics: no render function");
		return NULL;
	}
	if (buf_size == 0)
		buf_size = METRICS_BUF_DEFAULT;

	struct metrics_server *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "metrics: out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->log_lock, NULL);
	s->render = render;
	s->health = health;
	s->ctx = ctx;
	s->buf_size = buf_size;
	metrics_format_addr(sa, s->where, sizeof(s->where));
	s->buf = malloc(buf_size);
	if (!s->buf) {
		snprintf(err, errlen, "metrics %s: cannot allocate the %zu-byte render buffer",
			 s->where, buf_size);
		server_free(s);
		return NULL;
	}

	/* Our own listening socket rather than MHD_OPTION_SOCK_ADDR: the error
	 * says which call failed with which errno (libmicrohttpd 0.9.75 only logs
	 * "Failed to bind to port 0" when given an address), and IPV6_V6ONLY is
	 * set explicitly. */
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "metrics %s: socket: %s", s->where, strerror(errno));
		server_free(s);
		return NULL;
	}
	int one = 1, zero = 0;
	const char *what = NULL;
	struct stat st;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		what = "setsockopt(SO_REUSEADDR)";
	else if (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0)
		what = "setsockopt(IPV6_V6ONLY)";
	else if (bind(fd, sa, len) < 0)
		what = "cannot bind";
	else if (listen(fd, 64) < 0)
		what = "cannot listen";
	else if (fstat(fd, &st) < 0)
		what = "fstat";
	if (what) {
		int e = errno;
		snprintf(err, errlen, "metrics %s: %s: %s%s", s->where, what, strerror(e),
			 bind_hint(e));
		close(fd);
		server_free(s);
		return NULL;
	}

	/* One internal polling thread (epoll on Linux), no pool: the callbacks
	 * run one at a time, so s->buf and s->prom need no lock. */
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
				MHD_OPTION_EXTERNAL_LOGGER, on_log, s,
				MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_CONN_LIMIT,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)METRICS_CONN_PER_IP,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_CONN_TIMEOUT_S,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)METRICS_CONN_MEMORY,
				MHD_OPTION_END);
	if (!s->d) {
		pthread_mutex_lock(&s->log_lock);
		snprintf(err, errlen, "metrics %s: libmicrohttpd could not start%s%s", s->where,
			 s->last_log[0] ? ": " : "", s->last_log);
		pthread_mutex_unlock(&s->log_lock);
		close_if_ours(fd, &st);
		server_free(s);
		return NULL;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : 0;
	if (s->port == 0) { /* not expected; the socket knows */
		struct sockaddr_storage b;
		socklen_t bl = sizeof(b);
		if (getsockname(fd, (struct sockaddr *)&b, &bl) == 0)
			s->port = ntohs(b.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&b)->sin6_port
								: ((struct sockaddr_in *)&b)->sin_port);
	}
	return s;
}

int metrics_port(const struct metrics_server *s)
{
	return s->port;
}

void metrics_counters(const struct metrics_server *s, struct metrics_counters *out)
{
#define LOAD(f) out->f = atomic_load_explicit(&s->c.f, memory_order_relaxed)
	LOAD(requests);
	LOAD(metrics_served);
	LOAD(health_served);
	LOAD(health_failed);
	LOAD(not_found);
	LOAD(bad_method);
	LOAD(overflows);
	LOAD(errors);
	LOAD(bytes_max);
	LOAD(log_messages);
#undef LOAD
}

void metrics_stop(struct metrics_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d); /* joins the thread, closes the connections and the socket */
	server_free(s);
}
