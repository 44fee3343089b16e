/* capture.h - opening davy's packet sources with libpcap: capture files
 * for replay, interfaces for live capture, and `-i auto`.
 *
 * Live handles are opened with the settings of struct davy_config:
 * promiscuous unless --no-promisc, --snaplen, --buffer-size (the kernel
 * ring), a 100 ms block timeout (CAPTURE_TIMEOUT_MS: an idle interface still
 * returns to its thread, which keeps the clock and the stop flag), the BPF
 * filter, and non-blocking mode (the thread polls the selectable fd).
 * Opening needs CAP_NET_RAW, and CAP_NET_ADMIN for promiscuous mode; an
 * error says so. Everything is opened before davy drops its privileges
 * (privs.h), so nothing here runs later with more rights than it needs.
 *
 * `-i auto` (capture_resolve) picks, in this order and each once, the
 * interfaces of CAPTURE_AUTO_NAMES that exist (the CNI bridge and the
 * overlay devices of Flannel, Calico, Cilium and OVN/Antrea's Geneve) and
 * the interface of the IPv4 default route (/proc/net/route), else of the
 * IPv6 one (/proc/net/ipv6_route). Each pick is logged with why.
 */
#ifndef DAVY_CAPTURE_H
#define DAVY_CAPTURE_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdio.h>

#include "davy.h"

#define CAPTURE_TIMEOUT_MS 100
#define CAPTURE_AUTO_NAMES "cni0", "cbr0", "flannel.1", "vxlan.calico", "cilium_vxlan", "genev_sys_6081"

/* The interfaces to capture: cfg->ifaces with `auto` expanded (a name
 * given twice is kept once). Fills names[] (pointers into cfg or into
 * `store`, which holds up to DAVY_MAX_IFACES names of IF_NAMESIZE) and
 * returns their number, or -1 with a message in err (auto found nothing;
 * more than DAVY_MAX_IFACES). What auto picked is written to `log`. */
int capture_resolve(const struct davy_config *cfg, const char *names[DAVY_MAX_IFACES],
		    char store[DAVY_MAX_IFACES][16], FILE *log, char *err, size_t errlen);

/* The interface of the default route, from the route tables the kernel
 * shows in /proc (IPv4 first). Returns 0 with the name in out, or -1. */
int capture_default_route(char *out, size_t outlen);

/* The same from one table: the device of the lowest-metric default route
 * that is up in a file laid out as /proc/net/route (v6 false) or
 * /proc/net/ipv6_route (v6 true; ::/0 through lo does not count). Returns 0
 * with the name in out, or -1 (no such route, the file cannot be read). */
int capture_default_route_in(const char *path, bool v6, char *out, size_t outlen);

/* A capture file ("-": standard input) with the BPF filter applied, or NULL
 * with a message in err. */
pcap_t *capture_open_file(const struct davy_config *cfg, const char *path, char *err,
			  size_t errlen);

/* An activated live handle on dev (see above), or NULL with a message in
 * err that names the interface and what to do. A warning from libpcap
 * (promiscuous mode not supported, ...) is written to `log`. */
pcap_t *capture_open_live(const struct davy_config *cfg, const char *dev, FILE *log, char *err,
			  size_t errlen);

#endif
