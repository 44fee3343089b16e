/* community_id.c - Community ID v1 (see community_id.h). */
#include <stdbool.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "community_id.h"

/* The spec's ICMP port equivalents: request/reply pairs map to each other;
 * other types are one-way and keep (type, code). */
static bool icmp_equiv(uint8_t proto, uint16_t *sport, uint16_t *dport)
{
	static const uint8_t v4[][2] = { { 8, 0 }, { 0, 8 }, { 13, 14 }, { 14, 13 }, { 15, 16 },
					 { 16, 15 }, { 10, 9 }, { 9, 10 }, { 17, 18 }, { 18, 17 } };
	static const uint8_t v6[][2] = { { 128, 129 }, { 129, 128 }, { 133, 134 }, { 134, 133 },
					 { 135, 136 }, { 136, 135 }, { 130, 131 }, { 131, 130 },
					 { 139, 140 }, { 140, 139 }, { 144, 145 }, { 145, 144 } };
	const uint8_t(*map)[2] = proto == 1 ? v4 : v6;
	size_t n = proto == 1 ? sizeof(v4) / sizeof(v4[0]) : sizeof(v6) / sizeof(v6[0]);
	for (size_t i = 0; i < n; i++) {
		if (map[i][0] == *sport) {
			*dport = map[i][1];
			return false;
		}
	}
	return true; /* one-way: (type, code) as they are */
}

int community_id_v1(uint16_t seed, int ipver, const uint8_t *saddr, const uint8_t *daddr,
		    uint8_t proto, uint16_t sport, uint16_t dport, char *out)
{
	size_t alen = ipver == 4 ? 4 : 16;
	bool one_way = false;
	if (proto == 1 || proto == 58)
		one_way = icmp_equiv(proto, &sport, &dport);

	int c = memcmp(saddr, daddr, alen);
	if (!one_way && (c > 0 || (c == 0 && sport > dport))) {
		const uint8_t *t = saddr;
		saddr = daddr;
		daddr = t;
		uint16_t tp = sport;
		sport = dport;
		dport = tp;
	}

	uint8_t buf[2 + 16 + 16 + 2 + 4];
	size_t n = 0;
	buf[n++] = (uint8_t)(seed >> 8);
	buf[n++] = (uint8_t)seed;
	memcpy(buf + n, saddr, alen);
	n += alen;
	memcpy(buf + n, daddr, alen);
	n += alen;
	buf[n++] = proto;
	buf[n++] = 0;
	bool ports = proto == 6 || proto == 17 || proto == 132 || proto == 1 || proto == 58;
	if (ports) {
		buf[n++] = (uint8_t)(sport >> 8);
		buf[n++] = (uint8_t)sport;
		buf[n++] = (uint8_t)(dport >> 8);
		buf[n++] = (uint8_t)dport;
	}
	unsigned char md[SHA_DIGEST_LENGTH];
	if (!SHA1(buf, n, md))
		return -1;
	memcpy(out, "1:", 2);
	if (EVP_EncodeBlock((unsigned char *)out + 2, md, SHA_DIGEST_LENGTH) != 28)
		return -1;
	return 0;
}
