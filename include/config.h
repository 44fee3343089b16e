/* config.h - davy's settings by name: the option table shared by the
 * command line (sensor/cli.c) and the configuration file (sensor/config.c,
 * `davy -c davy.yaml`), and --print-config.
 *
 * One table, one setter. Every setting has one entry in the table
 * (davy_option_find) and is set by davy_option_apply(), whatever wrote it:
 * getopt passes `where` = "option --workers", the file reader
 * "davy.yaml:7: workers". So a bad value gives the same message from both,
 * only the place differs:
 *     davy: option --workers: '0' is not a number from 1 to 64
 *     davy: davy.yaml:7: workers: '0' is not a number from 1 to 64
 *
 * The file (YAML, read by libyaml):
 *  - one document whose top level is a mapping (an empty file, or one of
 *    comments only, sets nothing);
 *  - keys are the long option names without the dashes (`workers: 4`),
 *    or the short ones (`r`, `i`, `o`, `q`); `filter` is the BPF expression (the
 *    trailing arguments of the command line). Not in a file: config, help,
 *    version, print-config;
 *  - a value is a scalar; a repeatable option (read, interface, iocs,
 *    timeout, alert-countries) also takes a sequence of scalars (`iocs: [a, b]`);
 *    a flag (no-iocs, quiet, ...) takes true or false, and false is the
 *    same as leaving the key out; an empty or null value (`workers:`,
 *    `workers: ~`) is an error, a quoted empty string ("") is a value;
 *  - at most CONFIG_MAX_BYTES bytes;
 *  - refused, each with a message "davy: FILE[:LINE]: ..." naming the key
 *    where there is one: a missing or unreadable file, a larger one, what
 *    libyaml cannot parse (its problem, line and column), a top level that
 *    is not a mapping, more than one document, an unknown key, the same
 *    setting twice (naming both lines; `r` and `read` are one setting), a
 *    mapping as a value, a sequence for an option that takes one value or
 *    inside a sequence, anchors and aliases (&a, *a: never expanded, so no
 *    "billion laughs"), a value holding a control character (a NUL, a line
 *    break, a tab: a quoted "a\nb" included), and every value the
 *    option itself refuses. Tags (!!str) are ignored.
 *
 * Precedence (davy_cli_parse): defaults < $NODE_NAME / $DAVY_REDIS_URL
 * < the file < the command line. A repeatable option given on the command
 * line replaces the file's list (`--iocs x` drops the file's iocs; one
 * `--timeout` puts every timeout the file set back to its default first);
 * one that takes a single value is overridden.
 *
 * No global state: everything read goes into the caller's struct
 * davy_config; strings from a file are copies owned by it (released by
 * davy_config_free()).
 */
#ifndef DAVY_CONFIG_H
#define DAVY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "davy.h"

#define CONFIG_MAX_BYTES (1u << 20) /* a configuration file: 1 MiB at most */

/* davy_option.flags */
#define DAVY_OPT_LIST 0x1 /* repeatable: values add up (a sequence in a file) */
#define DAVY_OPT_CLI  0x2 /* command line only (config, print-config, help, version) */
#define DAVY_OPT_FILE 0x4 /* file only (filter) */

/* davy_option.id of the options without a short name */
enum davy_option_id {
	DAVY_O_WORKERS = 256, DAVY_O_MAX_FLOWS, DAVY_O_TIMEOUT, DAVY_O_NDPI_PKTS, DAVY_O_RING, DAVY_O_SENSOR,
	DAVY_O_PROGRESS, DAVY_O_NO_PROGRESS, DAVY_O_VXLAN, DAVY_O_GENEVE, DAVY_O_GRE_UDP, DAVY_O_TUN_DEPTH,
	DAVY_O_CARRIERS, DAVY_O_DF_MAX, DAVY_O_DF_TIMEOUT, DAVY_O_FLOW_UPDATE, DAVY_O_STRATUM_FLOWS,
	DAVY_O_REASM_MEM, DAVY_O_DNS_CACHE, DAVY_O_DNS_MIN_TTL, DAVY_O_IOCS, DAVY_O_NO_IOCS, DAVY_O_IOCS_CHECK, DAVY_O_ALERT_RATE, DAVY_O_ALERT_RATE_SOURCES,
	DAVY_O_GEOIP, DAVY_O_ASN, DAVY_O_GEO_CHECK, DAVY_O_ALERT_COUNTRIES, DAVY_O_PODS, DAVY_O_PODS_CHECK, DAVY_O_REDIS, DAVY_O_REDIS_PREFIX, DAVY_O_REDIS_MAXLEN, DAVY_O_REDIS_QUEUE, DAVY_O_REDIS_FULL, DAVY_O_REDIS_TIMEOUT,
	DAVY_O_PRINT_CONFIG, DAVY_O_FILTER, DAVY_O_NO_PROMISC, DAVY_O_SNAPLEN, DAVY_O_BUFFER, DAVY_O_SHUTDOWN_TIMEOUT,
	DAVY_O_STATS_INTERVAL, DAVY_O_METRICS, DAVY_O_USER, DAVY_O_GROUP,
};

struct davy_option {
	const char *name; /* the long option without "--", and the file's key */
	int has_arg;      /* getopt's required_argument or no_argument (a flag) */
	int id;           /* the short option character ('r'), or a number >= 256 */
	unsigned flags;   /* DAVY_OPT_* */
};

/* The table, in --help's order, ended by an entry whose name is NULL. */
extern const struct davy_option davy_options[];

/* The entry of a long name ("workers") or a one-letter short one ("r");
 * NULL when there is none. */
const struct davy_option *davy_option_find(const char *name);
/* The short name of an entry ("r" for read), or NULL. */
const char *davy_option_short(const struct davy_option *o, char buf[2]);

/* Sets option o to value (NULL for a flag: turns it on). A repeatable
 * option adds value to its list. Values are kept by pointer (a file's must
 * outlive cfg: davy_config_keep()). Returns 0, or -1 after one line
 * "davy: WHERE: ..." on msg. */
int davy_option_apply(struct davy_config *cfg, const struct davy_option *o, const char *value,
		      const char *where, FILE *msg);
/* Empties a repeatable option's list (back to its default: no files, no
 * iocs, the default timeouts, no countries). */
void davy_option_reset(struct davy_config *cfg, const struct davy_option *o);

/* A copy of s[0, n) owned by cfg (NUL-terminated), or NULL when out of
 * memory. */
const char *davy_config_keep(struct davy_config *cfg, const char *s, size_t n);
/* Releases what cfg owns (kept strings, the BPF expression); cfg may then
 * be filled again from davy_config_default(). */
void davy_config_free(struct davy_config *cfg);

/* Reads the configuration file at path into cfg, on top of what cfg holds.
 * Returns 0, or -1 after one line "davy: PATH[:LINE[:COL]]: ..." on msg (cfg
 * may then be partly set: do not run with it). */
int config_load(struct davy_config *cfg, const char *path, FILE *msg);
/* The same for a file's bytes already in memory (buf[len], any bytes); name
 * is used in messages. */
int config_load_buffer(struct davy_config *cfg, const char *name, const char *buf, size_t len,
		       FILE *msg);

/* Writes cfg as a configuration file that config_load() reads back into the
 * same settings (--print-config): every setting, in the table's order;
 * settings that are unset (no -o, no --geoip, no filter...) and flags that
 * are off are left out; strings double-quoted. The one exception to the
 * round trip: the Redis URL is written as messages name it
 * (redis_url_describe()): its password as "***", its user name decoded. Values that are
 * not UTF-8 (a command-line argument can be anything) have their bad bytes
 * written as \xNN, which reads back as a different character. Returns 0,
 * or -1 when out could not be written. */
int config_print(const struct davy_config *cfg, FILE *out);

#endif
