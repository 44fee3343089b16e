/* capture.c - capture files, live interfaces and `-i auto` (capture.h). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"

static int set_filter(const struct davy_config *cfg, pcap_t *pc, const char *what, char *err,
		      size_t errlen)
{
	if (!cfg->bpf)
		return 0;
	struct bpf_program prog;
	if (pcap_compile(pc, &prog, cfg->bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errlen, "bad BPF filter '%s' (for '%s'): %s", cfg->bpf, what,
			 pcap_geterr(pc));
		return -1;
	}
	int rc = pcap_setfilter(pc, &prog);
	pcap_freecode(&prog);
	if (rc != 0) {
		snprintf(err, errlen, "cannot apply BPF filter to '%s': %s", what, pcap_geterr(pc));
		return -1;
	}
	return 0;
}

pcap_t *capture_open_file(const struct davy_config *cfg, const char *path, char *err,
			  size_t errlen)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc = pcap_open_offline(path, eb);
	if (!pc) {
		snprintf(err, errlen, "cannot read capture '%s': %s", path, eb);
		return NULL;
	}
	if (set_filter(cfg, pc, path, err, errlen) != 0) {
		pcap_close(pc);
		return NULL;
	}
	return pc;
}

pcap_t *capture_open_live(const struct davy_config *cfg, const char *dev, FILE *log, char *err,
			  size_t errlen)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc = pcap_create(dev, eb);
	if (!pc) {
		snprintf(err, errlen, "cannot capture on '%s': %s", dev, eb);
		return NULL;
	}
	int bufsz = cfg->buffer_bytes > INT_MAX ? INT_MAX : (int)cfg->buffer_bytes;
	if (pcap_set_snaplen(pc, (int)cfg->snaplen) != 0 ||
	    pcap_set_promisc(pc, cfg->no_promisc ? 0 : 1) != 0 ||
	    pcap_set_timeout(pc, CAPTURE_TIMEOUT_MS) != 0 || pcap_set_buffer_size(pc, bufsz) != 0) {
		snprintf(err, errlen, "cannot set up capture on '%s': %s", dev, pcap_geterr(pc));
		pcap_close(pc);
		return NULL;
	}
	int rc = pcap_activate(pc);
	if (rc < 0) {
		const char *hint = "";
		if (rc == PCAP_ERROR_PERM_DENIED)
			hint = cfg->no_promisc ? " (capturing needs CAP_NET_RAW: run as root or give davy that capability)"
					       : " (capturing needs CAP_NET_RAW, and CAP_NET_ADMIN for promiscuous mode: run as root, give davy those capabilities, or use --no-promisc with CAP_NET_RAW)";
		else if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
			hint = " (no such interface; `ip link` lists them)";
		else if (rc == PCAP_ERROR_IFACE_NOT_UP)
			hint = " (the interface is down)";
		const char *detail = pcap_geterr(pc);
		snprintf(err, errlen, "cannot capture on '%s': %s%s%s%s", dev, pcap_statustostr(rc),
			 detail && *detail ? ": " : "", detail ? detail : "", hint);
		pcap_close(pc);
		return NULL;
	}
	if (rc > 0 && log)
		fprintf(log, "davy: %s: %s: %s\n", dev, pcap_statustostr(rc), pcap_geterr(pc));
	if (set_filter(cfg, pc, dev, err, errlen) != 0) {
		pcap_close(pc);
		return NULL;
	}
	if (pcap_setnonblock(pc, 1, eb) != 0) {
		snprintf(err, errlen, "cannot capture on '%s': non-blocking mode: %s", dev, eb);
		pcap_close(pc);
		return NULL;
	}
	if (pcap_get_selectable_fd(pc) < 0) {
		snprintf(err, errlen, "cannot capture on '%s': no selectable descriptor", dev);
		pcap_close(pc);
		return NULL;
	}
	return pc;
}

/* A default route in one line of /proc/net/route (v6 false) or
 * /proc/net/ipv6_route (v6 true): its device into ifn[64] and its metric;
 * false for any other line (the header, other routes, ::/0 through lo). */
static bool default_route_line(const char *line, bool v6, char ifn[64], unsigned long *metric)
{
	unsigned long flags, refcnt, use;
	if (!v6) {
		unsigned long dst, gw, mask;
		if (sscanf(line, "%63s %lx %lx %lx %lu %lu %lu %lx", ifn, &dst, &gw, &flags, &refcnt,
			   &use, metric, &mask) != 8)
			return false;
		return dst == 0 && mask == 0 && (flags & 0x1);
	}
	char dst[40], src[40], nh[40];
	unsigned plen, splen;
	if (sscanf(line, "%39s %x %39s %x %39s %lx %lx %lx %lx %63s", dst, &plen, src, &splen, nh,
		   metric, &refcnt, &use, &flags, ifn) != 10)
		return false;
	return plen == 0 && strspn(dst, "0") == strlen(dst) && (flags & 0x1) && strcmp(ifn, "lo") != 0;
}

int capture_default_route_in(const char *path, bool v6, char *out, size_t outlen)
{
	FILE *fp = fopen(path, "r");
	if (!fp)
		return -1;
	char line[512];
	unsigned long best = ULONG_MAX;
	bool found = false;
	while (fgets(line, sizeof(line), fp)) {
		char ifn[64];
		unsigned long metric;
		if (!default_route_line(line, v6, ifn, &metric) || metric >= best)
			continue;
		best = metric;
		snprintf(out, outlen, "%s", ifn);
		found = true;
	}
	fclose(fp);
	return found ? 0 : -1;
}

int capture_default_route(char *out, size_t outlen)
{
	if (capture_default_route_in("/proc/net/route", false, out, outlen) == 0)
		return 0;
	return capture_default_route_in("/proc/net/ipv6_route", true, out, outlen);
}

/* Adds name unless it is there; -1 when full. */
static int add_name(const char *names[DAVY_MAX_IFACES], int *n, const char *name)
{
	for (int i = 0; i < *n; i++)
		if (strcmp(names[i], name) == 0)
			return 0;
	if (*n == DAVY_MAX_IFACES)
		return -1;
	names[(*n)++] = name;
	return 0;
}

int capture_resolve(const struct davy_config *cfg, const char *names[DAVY_MAX_IFACES],
		    char store[DAVY_MAX_IFACES][16], FILE *log, char *err, size_t errlen)
{
	static const char *const auto_names[] = { CAPTURE_AUTO_NAMES };
	int n = 0, nstore = 0;
	for (unsigned i = 0; i < cfg->nifaces; i++) {
		if (strcmp(cfg->ifaces[i], "auto") != 0) {
			if (add_name(names, &n, cfg->ifaces[i]) != 0)
				goto full;
			continue;
		}
		int before = n;
		for (size_t k = 0; k < sizeof(auto_names) / sizeof(auto_names[0]); k++) {
			if (if_nametoindex(auto_names[k]) == 0)
				continue;
			if (add_name(names, &n, auto_names[k]) != 0)
				goto full;
			if (log)
				fprintf(log, "davy: -i auto: %s (%s)\n", auto_names[k],
					k < 2 ? "the CNI bridge" : "an overlay device");
		}
		char up[IF_NAMESIZE + 1];
		if (capture_default_route(up, sizeof(up)) == 0 && nstore < DAVY_MAX_IFACES) {
			size_t ul = strlen(up);
			memcpy(store[nstore], up, ul < 15 ? ul : 15);
			store[nstore][ul < 15 ? ul : 15] = 0;
			int had = n;
			if (add_name(names, &n, store[nstore]) != 0)
				goto full;
			if (n > had) {
				nstore++;
				if (log)
					fprintf(log, "davy: -i auto: %s (the default route's interface)\n", up);
			}
		}
		if (n == before && log)
			fprintf(log, "davy: -i auto: none of cni0, cbr0, flannel.1, vxlan.calico, cilium_vxlan, genev_sys_6081 exists and there is no default route\n");
	}
	if (n == 0) {
		snprintf(err, errlen, "-i auto: no interface to capture (none of the CNI bridges or overlay devices exists and there is no default route); name one with -i IFACE");
		return -1;
	}
	return n;
full:
	snprintf(err, errlen, "more than %d interfaces to capture", DAVY_MAX_IFACES);
	return -1;
}
