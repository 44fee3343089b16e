/* classify.c - nDPI 4.2 glue (see classify.h for the contract). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi_api.h>

#include "classify.h"

int classifier_init(struct classifier *c, unsigned max_pkts, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->max_pkts = max_pkts ? max_pkts : 1;
	if (c->max_pkts > 255)
		c->max_pkts = 255;
	c->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
	if (!c->ndpi) {
		snprintf(err, errlen, "nDPI: ndpi_init_detection_module failed");
		return -1;
	}
	NDPI_PROTOCOL_BITMASK all;
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(c->ndpi, &all);
	ndpi_finalize_initialization(c->ndpi);
	return 0;
}

void classifier_free(struct classifier *c)
{
	void *p = c->pool;
	while (p) {
		void *next = *(void **)p;
		ndpi_free(p); /* its data was released by ndpi_free_flow_data() already */
		p = next;
	}
	c->pool = NULL;
	if (c->ndpi)
		ndpi_exit_detection_module(c->ndpi);
	c->ndpi = NULL;
}

void classify_start(struct classifier *c, struct classify *cls)
{
	struct ndpi_flow_struct *nf;
	if (c->pool) {
		nf = c->pool;
		c->pool = *(void **)c->pool;
	} else {
		nf = ndpi_flow_malloc(sizeof(*nf));
		if (!nf) {
			c->st.no_memory++;
			cls->done = 1;
			return;
		}
	}
	memset(nf, 0, sizeof(*nf));
	cls->nf = nf;
	if (++c->st.live > c->st.peak_live)
		c->st.peak_live = c->st.live;
}

static bool is_proto(const struct classify *cls, uint16_t id)
{
	return cls->app == id || cls->master == id;
}

bool classify_is_tls(const struct classify *cls)
{
	return is_proto(cls, NDPI_PROTOCOL_TLS) || is_proto(cls, NDPI_PROTOCOL_DTLS) ||
	       is_proto(cls, NDPI_PROTOCOL_QUIC);
}

bool classify_is_dns(const struct classify *cls)
{
	return is_proto(cls, NDPI_PROTOCOL_DNS);
}

bool classify_is_mining(const struct classify *cls)
{
	return is_proto(cls, NDPI_PROTOCOL_MINING);
}

bool classify_is_http(const struct classify *cls)
{
	return is_proto(cls, NDPI_PROTOCOL_HTTP);
}

/* Copies what the record needs out of nDPI's state, then pools the state. */
static void release(struct classifier *c, struct classify *cls)
{
	struct ndpi_flow_struct *nf = cls->nf;
	cls->risk = nf->risk;
	cls->confidence = (uint8_t)nf->confidence;
	snprintf(cls->host, sizeof(cls->host), "%s", nf->host_server_name);
	if (classify_is_tls(cls) && nf->protos.tls_quic.ja3_client[0])
		snprintf(cls->ja3, sizeof(cls->ja3), "%s", nf->protos.tls_quic.ja3_client);
	ndpi_free_flow_data(nf);
	*(void **)nf = c->pool;
	c->pool = nf;
	cls->nf = NULL;
	cls->done = 1;
	c->st.live--;
}

static void take(struct classify *cls, ndpi_protocol r)
{
	cls->app = r.app_protocol;
	cls->master = r.master_protocol;
	cls->category = (uint16_t)r.category;
}

void classify_packet(struct classifier *c, struct classify *cls, const uint8_t *ip, uint32_t len,
		     uint64_t ts_us)
{
	if (!cls->nf)
		return;
	ndpi_protocol r = ndpi_detection_process_packet(
		c->ndpi, cls->nf, ip, (unsigned short)(len > 65535 ? 65535 : len), ts_us / 1000);
	c->st.calls++;
	cls->dpi_pkts++;
	take(cls, r);
	if (r.app_protocol != NDPI_PROTOCOL_UNKNOWN &&
	    !ndpi_extra_dissection_possible(c->ndpi, cls->nf)) {
		c->st.detected++;
		release(c, cls);
	} else if (cls->dpi_pkts >= c->max_pkts) {
		classify_finish(c, cls);
	}
}

void classify_finish(struct classifier *c, struct classify *cls)
{
	if (!cls->nf)
		return;
	if (cls->app == NDPI_PROTOCOL_UNKNOWN) {
		u_int8_t guessed = 0;
		ndpi_protocol r = ndpi_detection_giveup(c->ndpi, cls->nf, 1, &guessed);
		take(cls, r);
		cls->guessed = guessed;
		c->st.gave_up++;
	} else {
		c->st.detected++;
	}
	release(c, cls);
}

const char *classify_proto_name(const struct classifier *c, uint16_t id)
{
	const char *n = ndpi_get_proto_name(c->ndpi, id);
	return n ? n : "";
}

const char *classify_category_name(const struct classifier *c, uint16_t cat)
{
	const char *n = ndpi_category_get_name(c->ndpi, (ndpi_protocol_category_t)cat);
	return n ? n : "";
}

const char *classify_confidence_name(uint8_t conf)
{
	const char *n = ndpi_confidence_get_name((ndpi_confidence_t)conf);
	return n ? n : "";
}

const char *classify_app_proto(const struct classifier *c, const struct classify *cls,
			       char *buf, size_t len)
{
	if (cls->guessed || cls->confidence < NDPI_CONFIDENCE_DPI_CACHE)
		return NULL;
	uint16_t id = cls->master != NDPI_PROTOCOL_UNKNOWN ? cls->master : cls->app;
	if (id == NDPI_PROTOCOL_UNKNOWN)
		return NULL;
	const char *n = classify_proto_name(c, id);
	size_t i = 0;
	for (; n[i] && i + 1 < len; i++)
		buf[i] = (char)tolower((unsigned char)n[i]);
	buf[i] = 0;
	return i ? buf : NULL;
}

void classify_foreach_risk(uint64_t risk, void (*fn)(void *ctx, const char *name), void *ctx)
{
	for (int i = 1; i < NDPI_MAX_RISK && i < 64; i++)
		if (risk & (1ULL << i))
			fn(ctx, ndpi_risk2str((ndpi_risk_enum)i));
}
