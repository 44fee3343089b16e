/* redis_conn.h - where Redis is (a URL) and a connection to it.
 *
 * Shared by the sensor's Redis output (redis_out.h) and the correlator
 * (`davy correlate`). hiredis 0.14 (Debian bookworm) does the protocol; this
 * file adds what hiredis 0.14 lacks: URLs, AUTH (with an ACL user name, Redis
 * 6+), SELECT, and error messages that name the place.
 *
 * URL forms (RFC 3986 style; user and password may be percent-encoded):
 *   redis://[[user]:password@]host[:port][/db]     port 6379, db 0 by default
 *   redis://[[user]:password@][v6addr]:port/db     an IPv6 address in brackets
 *   unix://[[user]:password@]/path/to/socket[?db=N]
 * Anything else (another scheme, a port outside 1..65535, a db that is not a
 * number, an empty host, an over-long part) is an error naming what is wrong.
 */
#ifndef DAVY_REDIS_CONN_H
#define DAVY_REDIS_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

struct redis_url {
	bool is_unix;      /* unix:// */
	char host[256];    /* host name or address (no brackets); unix: socket path */
	int port;          /* 1..65535; 0 for unix */
	int db;            /* SELECT db; 0 is not sent */
	bool has_auth;     /* a password or a user was given: AUTH is sent */
	char user[128];    /* ACL user; empty: AUTH password only */
	char password[256];
};

/* Parses s. Returns 0, or -1 with a message in err. */
int redis_url_parse(struct redis_url *u, const char *s, char *err, size_t errlen);

/* The URL for messages, with the password replaced by "***". */
void redis_url_describe(const struct redis_url *u, char *out, size_t len);

/* Connects (connect_timeout), then sets io_timeout for every later read and
 * write, enables TCP keep-alive, sends AUTH and SELECT where the URL asks.
 * Returns the context, or NULL with a message in err naming the URL (without
 * its password) and what failed. */
redisContext *redis_url_connect(const struct redis_url *u, struct timeval connect_timeout,
				struct timeval io_timeout, char *err, size_t errlen);

#endif
