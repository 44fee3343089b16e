/* fuzz_decode.c - libFuzzer target: arbitrary bytes through the whole
 * decoder chain (link layer -> IP -> transport), then the flow key and hash.
 *
 * Input layout:
 *   byte 0, bits 0-2: link type: EN10MB, LINUX_SLL, LINUX_SLL2, NULL, RAW,
 *                     PPP, C_HDLC, PPI (first layer from
 *                     decode_first_layer(), as the reader does; a link type
 *                     it does not know is only counted)
 *   byte 0, bit 3:    the capture is snapped: wirelen > caplen
 *   byte 0, bits 4-6: how much longer the wire packet was (1 + n * 97)
 *   byte 0, bit 7:    decode configuration: the defaults (clear), or the
 *                     deepest tunnel nesting the CLI allows (set)
 *   bytes 1..:        the captured packet (caplen = size - 1)
 *
 * The packet is copied into a malloc'd buffer of exactly caplen bytes, so
 * AddressSanitizer reports any read past the captured bytes.
 *
 * On a packet with a flow key the invariants of fuzz_check.h are checked
 * (offsets inside the capture, key normalised, hash symmetric); a violation
 * abort()s, which libFuzzer reports as a crash with the input saved.
 */
#include <pcap/dlt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "flow.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* byte 0, bits 0-2 */
static const int link_types[8] = {
	DLT_EN10MB, DLT_LINUX_SLL,
#ifdef DLT_LINUX_SLL2
	DLT_LINUX_SLL2,
#else
	276,
#endif
	DLT_NULL, DLT_RAW, DLT_PPP, DLT_C_HDLC, DLT_PPI,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t sel = data[0];
	int dlt = link_types[sel & 7];
	size_t caplen = size - 1;

	/* exactly sized: a read past caplen is a heap-buffer-overflow */
	uint8_t *buf = malloc(caplen); /* ASan: malloc(0) is a 0-byte block */
	if (!buf && caplen)
		return 0;
	if (caplen)
		memcpy(buf, data + 1, caplen);

	static struct decode_cfg deep;
	if (deep.max_tunnels == 0) {
		deep = *decode_cfg_default();
		deep.max_tunnels = DAVY_MAX_TUNNELS; /* --tunnel-depth 8 */
	}

	struct pkt p;
	memset(&p, 0xa5, sizeof(p)); /* the decoders must not rely on zeroed state */
	/* set by the caller: the default overlay ports, or the deepest nesting */
	p.cfg = (sel & 0x80) ? &deep : NULL;
	p.data = buf;
	p.caplen = (uint32_t)caplen;
	p.wirelen = (uint32_t)caplen;
	if (sel & 0x08)
		p.wirelen += 1 + (uint32_t)((sel >> 4) & 7) * 97;
	p.ts_us = 1700000000000000ULL;
	cur_pkt = &p;

	struct decode_stats st;
	memset(&st, 0, sizeof(st));
	enum layer first = decode_first_layer(dlt);

	bool keyed = decode_packet(&p, first, &st);

	CHECK(st.pkts == 1);
	if (first == L_NONE)
		CHECK(!keyed && st.unknown_linktype == 1);
	check_decoded(&p, keyed);

	free(buf);
	return 0;
}
