/* metrics.h - the `--metrics ADDR:PORT` HTTP endpoint: /metrics in the
 * Prometheus text exposition format 0.0.4, /healthz for Kubernetes probes.
 *
 * Three parts, usable apart:
 *   metrics_parse_addr()  the option's value -> a socket address (no DNS);
 *   struct prom           a writer of the text format into a caller-owned,
 *                         fixed-size buffer (no allocation);
 *   metrics_start/stop    a libmicrohttpd server answering scrapes and probes.
 *
 * The module keeps no global state: everything lives in the caller's
 * `struct prom` or in the `struct metrics_server` metrics_start() returns.
 */
#ifndef DAVY_METRICS_H
#define DAVY_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* ---- the address ----------------------------------------------------------
 *
 * Accepted forms (numeric only: nothing is looked up, a host name is an error
 * that says so):
 *   A.B.C.D:PORT      an IPv4 address           127.0.0.1:9477, 0.0.0.0:9477
 *   [V6]:PORT         an IPv6 address in brackets  [::1]:9477, [::]:9477
 *   :PORT  or  PORT   every IPv4 address (0.0.0.0:PORT); for IPv4 and IPv6
 *                     both, say [::]:PORT (the socket is dual-stack)
 * PORT is decimal, 0..65535; 0 lets the system pick one (metrics_port() says
 * which). IPv6 zone ids ([fe80::1%eth0]) are not accepted.
 *
 * Returns 0 with *ss and *len filled, or -1 with a message in err naming the
 * input and what is wrong (missing port, port out of range, bad address,
 * host name, IPv6 without brackets). */
int metrics_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len, char *err,
		       size_t errlen);

/* "127.0.0.1:9477" or "[::1]:9477" (for messages). */
void metrics_format_addr(const struct sockaddr *sa, char *out, size_t outlen);

/* ---- the Prometheus text writer ---------------------------------------------
 *
 * Output is a sequence of families, each one HELP line (when help is not
 * NULL), one TYPE line, then its samples:
 *   # HELP davy_packets_total Packets read.
 *   # TYPE davy_packets_total counter
 *   davy_packets_total{worker="0"} 1234
 *
 * Invariants:
 *  - `buf` always holds whole lines (a family's HELP and TYPE lines count as
 *    one unit) and is NUL-terminated when cap > 0; `len` excludes the NUL.
 *  - When a line does not fit, `overflow` is set, the line is left out and
 *    every later call writes nothing: check once at the end.
 *  - Every call is checked against the format's rules before it writes; a
 *    call that breaks one sets `invalid`, says which rule in `why`, and
 *    nothing is written after it. Rules: metric names match
 *    [a-zA-Z_:][a-zA-Z0-9_:]* and are at most PROM_NAME_MAX bytes; label
 *    names match [a-zA-Z_][a-zA-Z0-9_]* (no colon, per the format) and do
 *    not start with "__" (reserved); a sample's name is its family's name
 *    (call prom_family first); a label appears once per sample; a family
 *    is opened once per exposition (at most PROM_FAMILIES_MAX families).
 *    These are programming errors: the server answers 500 with `why`.
 *  - Label values and HELP text are escaped per the format (label values:
 *    backslash, double quote, newline; HELP: backslash, newline); bytes that
 *    are not valid UTF-8 become U+FFFD, so the output is valid UTF-8 whatever
 *    the input (label values may come from the network).
 *  - Values: u64 in decimal; f64 as the shortest of %.15g/%.17g that reads
 *    back equal, and NaN, +Inf, -Inf.
 *
 * Labels are given as a NULL-terminated array of name, value pairs:
 *   const char *const lb[] = { "worker", "0", "reason", "timeout", NULL };
 *   prom_u64(&p, "davy_flows_ended_total", lb, n);
 * NULL (or { NULL }) for no labels.
 */
#define PROM_NAME_MAX 128
#define PROM_FAMILIES_MAX 512

enum prom_type { PROM_COUNTER, PROM_GAUGE };

struct prom {
	char *buf;
	size_t cap, len;
	bool overflow;                  /* a line did not fit (see above) */
	bool invalid;                   /* a call broke a rule: `why` says which */
	char why[256];
	char family[PROM_NAME_MAX + 1]; /* the open family; "" before the first */
	unsigned nfamilies;
	uint64_t seen[2 * PROM_FAMILIES_MAX]; /* hashes of the families opened; 0 = empty */
};

/* Starts an empty exposition in buf[cap]. */
void prom_init(struct prom *p, char *buf, size_t cap);
/* Opens family `name`: "# HELP name help" (help NULL: no HELP line) and
 * "# TYPE name counter|gauge". */
void prom_family(struct prom *p, const char *name, enum prom_type type, const char *help);
/* One sample of the open family: "name{labels} value". */
void prom_u64(struct prom *p, const char *name, const char *const *labels, uint64_t v);
void prom_f64(struct prom *p, const char *name, const char *const *labels, double v);
/* True while neither overflow nor invalid is set. */
bool prom_ok(const struct prom *p);

/* ---- the server -------------------------------------------------------------
 *
 * Answers, on the address given:
 *   GET|HEAD /metrics  200, Content-Type: text/plain; version=0.0.4;
 *                      charset=utf-8, the body the render callback wrote;
 *                      500 with a one-line reason if it failed, did not fit
 *                      in the buffer (counted in `overflows`), or broke a
 *                      writer rule
 *   GET|HEAD /healthz  200 "ok\n", or 503 with the health callback's reason
 *   any other path     404, with a body naming the two paths above
 *   other methods      405 with "Allow: GET, HEAD" (on a known path)
 * Query strings are ignored.
 *
 * Threads: libmicrohttpd runs one internal thread (epoll) that accepts,
 * reads, and calls the callbacks; no thread pool and no thread per
 * connection, so requests are answered one at a time and the callbacks are
 * never called concurrently with each other. They ARE called on that
 * thread, concurrently with the rest of the program: `render` and `health`
 * must only read data that is safe to read from another thread (in davy:
 * snapshots the workers publish under a mutex, or atomics), and should be
 * quick (a scrape holds up every other request).
 *
 * Memory: one render buffer of `buf_size` bytes (an exposition of up to
 * buf_size - 1 bytes: the writer keeps a NUL), allocated at start; each
 * /metrics answer is copied out of it into the response (MHD_RESPMEM_MUST_COPY),
 * so the buffer is free for the next scrape while a slow client still reads
 * the previous one. Worst case: METRICS_CONN_LIMIT answers in flight, each up
 * to buf_size bytes.
 *
 * Bounds: METRICS_CONN_LIMIT connections at once (when all are taken, new
 * ones wait in the kernel's backlog), at most METRICS_CONN_PER_IP of them from
 * one address (more are closed at once), so one client holding idle
 * connections cannot starve Prometheus and the kubelet's probes; a
 * connection idle for METRICS_CONN_TIMEOUT_S seconds is closed;
 * METRICS_CONN_MEMORY bytes of request buffer per connection.
 * libmicrohttpd's own messages go to stderr prefixed "davy: metrics: "; the
 * first METRICS_LOG_MAX are printed, all are counted.
 *
 * Signals: the thread inherits the signal mask of the thread that calls
 * metrics_start(): block what the program waits for (SIGHUP) first.
 */
#define METRICS_BUF_DEFAULT ((size_t)4 << 20)
#define METRICS_CONN_LIMIT 16
#define METRICS_CONN_PER_IP 8
#define METRICS_CONN_TIMEOUT_S 10
#define METRICS_CONN_MEMORY (32 * 1024)
#define METRICS_LOG_MAX 20

/* Writes the exposition into p. Returns 0, or -1 when there is nothing to
 * serve (answered 500, counted in `errors`). Overflow needs no special
 * handling: the server checks p->overflow. Called on the server's thread. */
typedef int (*metrics_render_fn)(void *ctx, struct prom *p);
/* Returns true when healthy; otherwise false with a one-line reason in
 * why[whylen] (why[0] is "" on entry; left empty, "unhealthy" is sent).
 * Called on the server's thread. */
typedef bool (*metrics_health_fn)(void *ctx, char *why, size_t whylen);

struct metrics_counters {
	uint64_t requests;       /* requests answered, whatever the answer */
	uint64_t metrics_served; /* /metrics 200 */
	uint64_t health_served;  /* /healthz 200 or 503 */
	uint64_t health_failed;  /* /healthz 503 */
	uint64_t not_found;      /* 404 */
	uint64_t bad_method;     /* 405 */
	uint64_t overflows;      /* /metrics 500: the exposition exceeded buf_size */
	uint64_t errors;         /* /metrics 500 otherwise; answers that could not be queued */
	uint64_t bytes_max;      /* the largest exposition served (sizing buf_size) */
	uint64_t log_messages;   /* libmicrohttpd messages (printed or not) */
};

struct metrics_server;

/* Listens on sa (IPv6: dual-stack, so [::] takes IPv4 too), with SO_REUSEADDR,
 * and starts the server thread. buf_size 0 means METRICS_BUF_DEFAULT; render
 * must not be NULL; health NULL means always healthy; ctx is passed to both.
 * Returns the server, or NULL with a message in err naming the address and
 * what failed (bind: address in use, permission, no such local address). */
struct metrics_server *metrics_start(const struct sockaddr *sa, socklen_t len, size_t buf_size,
				     metrics_render_fn render, metrics_health_fn health, void *ctx,
				     char *err, size_t errlen);

/* The port listened on (the one the system picked when asked for 0). */
int metrics_port(const struct metrics_server *s);

/* A copy of the counters: each one read atomically, not all at one instant.
 * From any thread, the render callback included (so the exposition can
 * carry them). */
void metrics_counters(const struct metrics_server *s, struct metrics_counters *out);

/* Stops the thread, closes every connection and the socket, frees s. After
 * it returns no callback runs. NULL is allowed. */
void metrics_stop(struct metrics_server *s);

#endif
