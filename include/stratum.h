/* stratum.h - a resumable parser of crypto-mining Stratum dialects seen on
 * the two directions of a TCP flow; fills a struct stratum_info per flow.
 *
 * Invariants:
 *  - All state is in the caller's structs (struct stratum_parser, one per
 *    flow, and struct stratum_info, the flow's "stratum" object). There is
 *    no global mutable state and no I/O. The parser holds one json-c
 *    tokener, allocated on the first complete line: stratum_release() frees
 *    it. Without stratum_release() a parser leaks nothing else.
 *  - Every string in struct stratum_info is NUL-terminated inside its array
 *    at all times; values longer than the array are truncated (a multi-byte
 *    UTF-8 character may be cut: the record writer escapes). Strings are
 *    kept as received, UTF-8 or not; a JSON "\u0000" inside a value ends the
 *    C string there.
 *  - accepted + rejected <= submits: a result is only counted as accepted
 *    or rejected when its id matches a submit request seen in the other
 *    direction, and each request is matched at most once.
 *  - A line is at most STRATUM_LINE_MAX - 1 bytes before its '\n'; a longer
 *    one is counted in overlong_lines and skipped up to its newline.
 *
 * Framing. Each direction is a stream of '\n'-terminated lines (a trailing
 * '\r' is whitespace to JSON). Bytes may arrive in any chunks, one at a time
 * included: a partial line waits in the direction's buffer. At the start of
 * a direction, and after stratum_gap(), the parser may be in the middle of a
 * line: at the start it parses from the first non-whitespace byte only when
 * that byte is '{' (otherwise it skips to the next newline, counted in
 * resyncs); after a gap it always skips to the next newline. Lines holding
 * only whitespace are ignored. A line that is not one JSON object (with
 * nothing but whitespace after it) is counted in garbage_lines.
 *
 * Recognition (dialect, and which side spoke). Method names are compared
 * exactly; members are read by name from the parsed JSON, so key order and
 * whitespace do not matter. Only these count:
 *  - Stratum v1, client: mining.subscribe, mining.authorize,
 *    mining.configure, mining.extranonce.subscribe, mining.submit,
 *    mining.suggest_difficulty. Server: mining.notify (params an array),
 *    mining.set_difficulty (params[0] a number or a numeric string),
 *    mining.set_extranonce, mining.set_version_mask; a result shaped like a
 *    subscribe result: an array whose first element is a non-empty array of
 *    [ "mining.*", id ] pairs, or a 3-element array [ subscriptions (an array
 *    or null), extranonce1 (2..32 hex digits, even count), extranonce2_size
 *    (an integer 1..32) ].
 *    A generic JSON-RPC "method" is not enough: only these mining.* names.
 *  - EthereumStratum/1.0.0 (NiceHash): as v1, upgraded from v1 when a
 *    mining.subscribe param starts with "EthereumStratum/", when a result is
 *    [ [ "mining.notify", ..., "EthereumStratum/..." ], extranonce ], or when
 *    mining.notify params are [ job_id, 64 hex, 64 hex, clean ] (4 items).
 *  - eth-proxy: eth_submitLogin, eth_getWork, eth_submitWork,
 *    eth_submitHashrate (client); a result array of 3 or 4 strings whose
 *    first two are "0x" + 64 hex digits and the third "0x" + 1..64 hex
 *    digits (work pushed by the server, or the answer to eth_getWork).
 *  - CryptoNote / XMRig. Server: method "job" whose params object has "blob"
 *    (at least 64 hex digits) and "job_id" strings; a result object whose
 *    "job" member is such an object (the login result). Client: "submit"
 *    whose params object has "job_id", "nonce" and "result"; "login" under
 *    the rule below; "keepalived" and "getjob" only once the flow is
 *    already CryptoNote (the names are too generic to decide on their own).
 *
 * The CryptoNote login rule (the hard case). JSON-RPC services other than
 * pools have a "login" method too, so a "login" request counts only when its
 * params is an object with a non-empty string member "login" and its score
 * reaches 3, where "pass", "agent", "algo" and "rigid" members score 1 each
 * and a login whose wallet part is a recognisable address (below) scores 2.
 * {"method":"login","params":{"username":..,"password":..}} (no "login"
 * member), params as an array, or {"login":"bob","pass":"x"} (score 1) stay
 * unrecognised. A login with a "login" member that scores 1 or 2 is held
 * as tentative and recognised only if the response to it (by id, from the
 * other direction) carries a job as above.
 *
 * Responses are matched to their requests by id (an integer, or a string
 * of which the first STRATUM_ID_MAX - 2 bytes are compared) through a table
 * of STRATUM_PENDING_MAX outstanding requests per parser; the oldest
 * entry falls out when it is full (counted in pending_dropped). A response
 * whose id matches nothing is counted in unmatched and judged by its shape
 * alone. Responses to submit, eth_submitWork and CryptoNote submit count as
 * accepted (error absent or null, and result true or an object whose
 * "status" is "OK") or rejected (error not null, or result false).
 *
 * Roles: STRATUM_ROLE_CLIENT is set by a recognised client message,
 * STRATUM_ROLE_SERVER by a recognised server message or a response matched
 * to a recognised request. client_dir is the direction the last client
 * message came from (-1 before any).
 *
 * Login fields. login is the wallet or account exactly as sent (v1
 * mining.authorize params[0], eth_submitLogin params[0], CryptoNote
 * params.login), suffix included; the last login seen wins. The wallet part
 * is the login up to the first '.', '+' or '/' (wallet_len bytes; pools
 * such as nanopool take "wallet/worker/email"); worker is what follows that
 * separator (or, for eth-proxy, the message's "worker" member
 * when the login has no suffix). wallet_type classifies the wallet part by
 * its shape only (no checksum): Monero (95 or 106 base58 characters starting
 * with 4 or 8), Bitcoin (base58 starting with 1 or 3, 26..35 characters, or
 * "bc1" + 11..71 lower-case bech32 characters), Ethereum ("0x" + 40 hex).
 * agent: CryptoNote params.agent, or v1/EthereumStratum mining.subscribe
 * params[0]. host: the pool host a v1 miner names in mining.subscribe
 * params[2] ([agent, session, host, port]), or a pool's client.reconnect
 * params[0] (client.reconnect alone is not Stratum evidence); the first one
 * seen is kept. algo: CryptoNote params.algo (a list joined with ','), or the
 * job's "algo" when none was sent. difficulty: the last mining.set_difficulty
 * params[0] (diff_kind DIFFICULTY) or the last CryptoNote job target or
 * eth-proxy work target (diff_kind TARGET), as text.
 *
 * Verdicts. stratum_verdict() says STRATUM_IS once a dialect is recognised;
 * until then STRATUM_NOT_FRAMED once a direction has carried
 * STRATUM_FRAME_MAX bytes without any newline from its start, and
 * STRATUM_NOT after STRATUM_NOT_LINES complete non-empty lines (garbage,
 * over-long or JSON without a Stratum message) in the two directions
 * together. These are not sticky: a later Stratum message wins.
 */
#ifndef DAVY_STRATUM_H
#define DAVY_STRATUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STRATUM_LINE_MAX 4096    /* line buffer, '\n' excluded, NUL included */
#define STRATUM_FRAME_MAX 4096   /* bytes without a newline: not line-framed */
#define STRATUM_NOT_LINES 4      /* non-Stratum lines: not Stratum */
#define STRATUM_PENDING_MAX 16   /* outstanding requests per parser */
#define STRATUM_ID_MAX 24        /* stored request id (type byte + text) */
#define STRATUM_JSON_DEPTH 16    /* json-c nesting limit */

enum stratum_dialect {
	STRATUM_NONE = 0,
	STRATUM_V1,
	STRATUM_ETHSTRATUM, /* EthereumStratum/1.0.0 (NiceHash) */
	STRATUM_ETHPROXY,
	STRATUM_CRYPTONOTE,
	STRATUM__COUNT
};

enum { STRATUM_ROLE_CLIENT = 1, STRATUM_ROLE_SERVER = 2 };

enum stratum_wallet {
	STRATUM_WALLET_NONE = 0,
	STRATUM_WALLET_MONERO,
	STRATUM_WALLET_BITCOIN,
	STRATUM_WALLET_ETHEREUM,
};

enum stratum_diff_kind { STRATUM_DIFF_NONE = 0, STRATUM_DIFF_DIFFICULTY, STRATUM_DIFF_TARGET };

/* What has been seen (info->seen bits). */
enum {
	STRATUM_SEEN_SUBSCRIBE = 1 << 0,   /* mining.subscribe */
	STRATUM_SEEN_AUTHORIZE = 1 << 1,   /* mining.authorize */
	STRATUM_SEEN_LOGIN = 1 << 2,       /* eth_submitLogin, CryptoNote login */
	STRATUM_SEEN_SUBMIT = 1 << 3,
	STRATUM_SEEN_JOB = 1 << 4,         /* notify, job, work push, login job */
	STRATUM_SEEN_SUB_RESULT = 1 << 5,  /* a subscribe-shaped result */
	STRATUM_SEEN_DIFFICULTY = 1 << 6,  /* set_difficulty */
};

/* stratum_evidence() flags */
enum {
	STRATUM_EV_NONE = 0,
	STRATUM_EV_CLIENT = 1, /* a login, subscribe or authorize was seen */
	STRATUM_EV_SERVER = 2, /* a job, notify or work push was seen */
};

enum stratum_verdict {
	STRATUM_UNDECIDED = 0,
	STRATUM_IS,
	STRATUM_NOT,        /* lines, but none of them Stratum */
	STRATUM_NOT_FRAMED, /* not line-framed JSON */
};

/* The flow's "stratum" object. */
struct stratum_info {
	uint8_t dialect;     /* enum stratum_dialect */
	uint8_t roles;       /* STRATUM_ROLE_* bits */
	int8_t client_dir;   /* direction of the last client message, or -1 */
	uint8_t wallet_type; /* enum stratum_wallet, of the login's wallet part */
	uint8_t diff_kind;   /* enum stratum_diff_kind */
	uint8_t authorized;  /* 0 unknown, 1 login/authorize accepted, 2 refused */
	uint8_t not_framed;  /* a direction had STRATUM_FRAME_MAX bytes, no '\n' */
	uint16_t wallet_len; /* bytes of login before the worker suffix */
	uint32_t seen;       /* STRATUM_SEEN_* */

	char login[256];
	char worker[64];
	char pass[64];
	char agent[128];
	char host[256];      /* see "Fields" above */
	char algo[128];
	char rigid[64];
	char difficulty[80];

	uint64_t jobs, submits, accepted, rejected;
	uint64_t first_us, last_us; /* first and last JSON object line */
	uint64_t messages;          /* lines holding one JSON object */
	uint64_t stratum_messages;  /* of which recognised as Stratum */
	uint64_t garbage_lines;     /* non-empty lines that are not a JSON object */
	uint64_t text_lines;        /* of which printable text (no control bytes
				     * but tab and CR): HTTP headers, logs */
	uint64_t overlong_lines;
	uint64_t nonstratum_lines;  /* non-empty lines before a dialect was known */
	uint64_t gaps;              /* stratum_gap() calls */
	uint64_t resyncs;           /* starts mid-line skipped to the newline */
	uint64_t unmatched;         /* responses whose id matched no request */
	uint64_t pending_dropped;   /* requests pushed out of the full table */
};

enum stratum_dir_state { STRATUM_DIR_START = 0, STRATUM_DIR_LINE, STRATUM_DIR_SKIP };

/* One direction's line assembly. */
struct stratum_dir {
	char line[STRATUM_LINE_MAX]; /* line[len] == '\0' */
	uint32_t len;
	uint8_t state;         /* enum stratum_dir_state */
	uint8_t newline_seen;  /* a '\n' has been seen in this direction */
	uint64_t bytes;        /* bytes fed in this direction */
};

/* An outstanding request. */
struct stratum_pending {
	char id[STRATUM_ID_MAX]; /* 'i' + decimal, or 's' + string bytes */
	uint8_t idlen;
	uint8_t kind;            /* internal request kind; 0: slot free */
	uint8_t dir;             /* direction the request came from */
	uint64_t seq;            /* age, for evicting the oldest */
};

/* A CryptoNote login held until the server confirms it with a job. */
struct stratum_held {
	char id[STRATUM_ID_MAX];
	uint8_t idlen;
	uint8_t valid;
	uint8_t dir;
	char login[256];
	char pass[64];
	char agent[128];
	char algo[128];
	char rigid[64];
};

struct json_tokener;

struct stratum_parser {
	struct stratum_dir dir[2];
	struct stratum_pending pending[STRATUM_PENDING_MAX];
	uint64_t seq;
	struct stratum_held held;
	struct json_tokener *tok; /* NULL until the first line; owned */
};

/* ---- life cycle ---- */

/* Zeroes both structs; client_dir -1. Allocates nothing. */
void stratum_init(struct stratum_parser *sp, struct stratum_info *info);
/* Frees the tokener; sp may be stratum_init()ed again. */
void stratum_release(struct stratum_parser *sp);

/* ---- feeding ---- */

/* Feeds len bytes sent in direction dir (0: from the flow's source, usually
 * the miner; 1: from its destination; anything else is ignored) at time
 * ts_us, and processes every line they complete. Never fails: what cannot be
 * parsed is counted. If the tokener cannot be allocated, the line is
 * counted as garbage. */
void stratum_feed(struct stratum_parser *sp, struct stratum_info *info, int dir,
		  const uint8_t *data, size_t len, uint64_t ts_us);
/* Bytes were lost in direction dir: drops the partial line and resumes
 * after the next newline (counted in gaps). */
void stratum_gap(struct stratum_parser *sp, struct stratum_info *info, int dir);

/* Both streams ended (the flow ends): a last line still waiting for its
 * newline is processed as a complete line (JSON-RPC peers that do not end
 * their last message with '\n'). */
void stratum_end(struct stratum_parser *sp, struct stratum_info *info, uint64_t ts_us);

/* ---- verdicts and names ---- */

/* Whether the parser could read the stream as text lines: a JSON object
 * line was seen, or most garbage lines are printable text. False for binary
 * or encrypted streams, and for streams without a complete line. */
bool stratum_readable(const struct stratum_info *info);

/* STRATUM_EV_* flags from info->seen. */
unsigned stratum_evidence(const struct stratum_info *info);
enum stratum_verdict stratum_verdict(const struct stratum_info *info);

/* "none", "stratum_v1", "ethereum_stratum", "eth_proxy", "cryptonote";
 * "unknown" out of range. */
const char *stratum_dialect_name(int d);
/* Classifies s[0..n) as a wallet address by shape (rules above). */
enum stratum_wallet stratum_wallet_type(const char *s, size_t n);
/* "", "monero", "bitcoin", "ethereum"; "" out of range. */
const char *stratum_wallet_name(int w);

#endif
