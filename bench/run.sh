#!/bin/sh
# bench/run.sh - davy's benchmark: measures davy side by side with reference
# programs, in one run, on one machine, and writes bench/RESULTS.md.
#
# Run from the project root after `make all` (`make bench` does both).
# It reports numbers; it never fails on slow ones. It exits non-zero only if
# a measured program crashed or could not run (the report says which).
#
# Knobs (environment): DAVY (default build/davy), SHARED (../shared),
# RUNS_SMALL (3, runs on the corpus), RUNS_SYNTH (2, runs on the synthetic
# capture), SYNTH_PKTS (3000000), SYNTH_SEED (1), SLICE_PKTS (200000),
# RESULTS (bench/RESULTS.md), NO_CALLGRIND=1 to skip the instruction counts.
# See bench/README.md.

set -u
export LC_ALL=C

cd "$(dirname "$0")/.." || exit 2
T_START=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)
# busy and steal CPU ticks of the whole machine, to tell whether other work
# competed with the bench: busy = user+nice+system+irq+softirq
cpu_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $9 + 0; exit }' /proc/stat 2>/dev/null; }
CPU_START=$(cpu_ticks)

DAVY=${DAVY:-build/davy}
SHARED=${SHARED:-../shared}
ANCH_SRC=$SHARED/bench
CORPUS=$SHARED/corpus/ndpi
ANCH=build/bench-anchors
WORK=build/bench
LOGS=$WORK/logs
CG=$WORK/callgrind
RESULTS=${RESULTS:-bench/RESULTS.md}
RUNS_SMALL=${RUNS_SMALL:-3}
RUNS_SYNTH=${RUNS_SYNTH:-2}
SYNTH_PKTS=${SYNTH_PKTS:-3000000}
SYNTH_SEED=${SYNTH_SEED:-1}
SLICE_PKTS=${SLICE_PKTS:-200000}
SYNTH=$WORK/synth.pcap
SLICE=$WORK/slice.pcap
EMPTY=$WORK/empty.pcap
RAW=$WORK/raw.tsv
NOTES=$WORK/notes.txt

mkdir -p "$ANCH" "$WORK" "$LOGS" "$CG"
rm -f "$LOGS"/* "$CG"/*
: >"$RAW"
: >"$NOTES"
FAILED=0

say() { printf '%s\n' "bench: $*" >&2; }
note() { printf '%s\n' "$*" >>"$NOTES"; say "$*"; }

# ---------------------------------------------------------------------------
# 0. prerequisites
# ---------------------------------------------------------------------------
if [ ! -x "$DAVY" ]; then
	say "$DAVY not found: run 'make all' first (or 'make bench')"
	exit 2
fi

GNU_TIME=""
if [ -x /usr/bin/time ] && /usr/bin/time -f '%M' true >/dev/null 2>&1; then
	GNU_TIME=/usr/bin/time
else
	note "GNU time (/usr/bin/time) is missing: install it with 'apt-get install time' (or 'make deps'). Falling back to polling VmHWM in /proc/PID/status every 50 ms: peak RSS is a lower bound and CPU times are approximate."
fi
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

have() { command -v "$1" >/dev/null 2>&1; }

HAVE_NDPIREADER=0
if have ndpiReader; then HAVE_NDPIREADER=1; else
	note "ndpiReader not installed (Debian package libndpi-bin): its rows are skipped."
fi

# ---------------------------------------------------------------------------
# 1. anchors
# ---------------------------------------------------------------------------
HAVE_ANCHORS=0
if [ -d "$ANCH_SRC" ] && [ -f "$ANCH_SRC/pcap_floor.c" ]; then
	say "building anchors from $ANCH_SRC into $ANCH"
	ok=1
	cc -O2 -o "$ANCH/pcap_floor" "$ANCH_SRC/pcap_floor.c" -lpcap || ok=0
	# shellcheck disable=SC2046
	cc -O2 -o "$ANCH/ndpi_min" "$ANCH_SRC/ndpi_min.c" $(pkg-config --cflags --libs libndpi) -lpcap || ok=0
	cc -O2 -o "$ANCH/gen_synth" "$ANCH_SRC/gen_synth.c" -lpcap -lm || ok=0
	if [ $ok = 1 ]; then HAVE_ANCHORS=1; else
		note "building the anchors failed: pcap_floor/ndpi_min rows are skipped."
		FAILED=1
	fi
else
	note "$ANCH_SRC is absent: anchors (pcap_floor, ndpi_min, gen_synth) skipped."
fi

# ---------------------------------------------------------------------------
# measuring one command
#   timed LOGPREFIX STDOUT_FILE cmd args...
#   sets T_WALL_NS T_USER T_SYS T_RSS (KiB) T_RC T_SIG
# ---------------------------------------------------------------------------
now_ns() { date +%s%N; }

timed() {
	_log=$1 _out=$2
	shift 2
	T_SIG="" T_VCSW="" T_ICSW=""
	if [ -n "$GNU_TIME" ]; then
		_t0=$(now_ns)
		"$GNU_TIME" -o "$_log.time" -f 'TIME %e %U %S %M %x %w %c' "$@" <"/dev/null" >"$_out" 2>"$_log.err"
		T_RC=$?
		_t1=$(now_ns)
		T_WALL_NS=$((_t1 - _t0))
		_l=$(grep '^TIME ' "$_log.time" | tail -n 1)
		T_USER=$(echo "$_l" | cut -d' ' -f3)
		T_SYS=$(echo "$_l" | cut -d' ' -f4)
		T_RSS=$(echo "$_l" | cut -d' ' -f5)
		T_VCSW=$(echo "$_l" | cut -d' ' -f7)
		T_ICSW=$(echo "$_l" | cut -d' ' -f8)
		T_SIG=$(sed -n 's/^Command terminated by signal \([0-9]*\).*/\1/p' "$_log.time")
		[ -z "$T_SIG" ] && [ "$T_RC" -gt 128 ] && T_SIG=$((T_RC - 128))
	else
		_t0=$(now_ns)
		"$@" <"/dev/null" >"$_out" 2>"$_log.err" &
		_pid=$!
		_hwm=0 _ticks=0
		while [ -r "/proc/$_pid/status" ]; do
			_st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$_pid/status" 2>/dev/null)
			_h=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$_pid/status" 2>/dev/null)
			[ -n "$_h" ] && [ "$_h" -gt "$_hwm" ] && _hwm=$_h
			_tk=$(sed 's/^.*) //' "/proc/$_pid/stat" 2>/dev/null | cut -d' ' -f12,13 | tr ' ' '+')
			[ -n "$_tk" ] && _ticks=$(($_tk))
			[ "$_st" = Z ] && break
			sleep 0.05
		done
		wait "$_pid"
		T_RC=$?
		_t1=$(now_ns)
		T_WALL_NS=$((_t1 - _t0))
		T_USER=$(awk -v t="$_ticks" -v h="$CLK_TCK" 'BEGIN { printf "%.2f", t / h }')
		T_SYS=0
		T_RSS=$_hwm
		[ "$T_RC" -gt 128 ] && T_SIG=$((T_RC - 128))
		echo "FALLBACK wall_ns=$T_WALL_NS cpu_ticks=$_ticks hwm=$_hwm rc=$T_RC" >"$_log.time"
	fi
	[ -n "$T_USER" ] || T_USER=0
	[ -n "$T_SYS" ] || T_SYS=0
	[ -n "$T_RSS" ] || T_RSS=0
}

# status of the last timed run of PROG: ok, crash:SIG or exit:RC
# davy exits 1 when some input was damaged (the corpus has such files): ok.
run_status() {
	if [ -n "$T_SIG" ]; then echo "crash:$T_SIG"; return; fi
	case $1 in
	davy*) case $T_RC in 0 | 1) echo ok ;; *) echo "exit:$T_RC" ;; esac ;;
	*) if [ "$T_RC" = 0 ]; then echo ok; else echo "exit:$T_RC"; fi ;;
	esac
}

prog_available() {
	case $1 in
	pcap_floor | ndpi_min) [ $HAVE_ANCHORS = 1 ] ;;
	ndpiReader) [ $HAVE_NDPIREADER = 1 ] ;;
	*) return 0 ;;
	esac
}

# run PROG on FILE (for davy_all_*: FILE is a list of captures), once, timed
run_prog() {
	_p=$1 _f=$2 _lg=$3
	_o=$_lg.out
	case $_p in
	pcap_floor) set -- "$ANCH/pcap_floor" "$_f" ;;
	ndpi_min) set -- "$ANCH/ndpi_min" -o /dev/null "$_f" ;;
	ndpiReader) set -- ndpiReader -i "$_f" -q; _o=/dev/null ;;
	davy_w1) set -- "$DAVY" --workers 1 -o /dev/null -q --no-progress -r "$_f" ;;
	davy_w2) set -- "$DAVY" --workers 2 -o /dev/null -q --no-progress -r "$_f" ;;
	davy_all_w1 | davy_all_w2)
		if [ $_p = davy_all_w1 ]; then _w=1; else _w=2; fi
		set -- "$DAVY" --workers $_w -o /dev/null -q --no-progress
		while IFS= read -r _x; do set -- "$@" -r "$_x"; done <"$_f"
		;;
	esac
	timed "$_lg" "$_o" "$@"
}

# measure INPUT RUNS GROUPLIST PROGS...
#   GROUPLIST: lines "group<TAB>file"; every program runs once per group file
#   per run; runs are interleaved (round-robin over programs) so that drift
#   hits every program alike. Appends to $RAW:
#   input group prog run wall_ns user sys rss_kb rc status
measure() {
	_in=$1 _runs=$2 _gl=$3
	shift 3
	_r=1
	while [ $_r -le "$_runs" ]; do
		for _pp in "$@"; do
			prog_available "$_pp" || continue
			while IFS='	' read -r _g _file; do
				run_prog "$_pp" "$_file" "$LOGS/$_in.$_g.$_pp.$_r"
				_s=$(run_status "$_pp")
				printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$_in" "$_g" "$_pp" "$_r" \
					"$T_WALL_NS" "$T_USER" "$T_SYS" "$T_RSS" "$T_RC" "$_s" "$T_VCSW" "$T_ICSW" >>"$RAW"
				if [ "$_s" != ok ]; then
					note "FAILED: $_pp on $_in/$_g (run $_r): $_s; see $LOGS/$_in.$_g.$_pp.$_r.err"
					FAILED=1
				fi
				say "$(printf '%-12s %-14s %-11s run %s: %6.3f s  rss %s KiB  %s' "$_in" "$_g" "$_pp" "$_r" \
					"$(awk -v w="$T_WALL_NS" 'BEGIN { print w / 1e9 }')" "$T_RSS" "$_s")"
			done <"$_gl"
		done
		_r=$((_r + 1))
	done
}

# ---------------------------------------------------------------------------
# 2. inputs
# ---------------------------------------------------------------------------
# an empty Ethernet capture (classic pcap header only), for baselines
printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\377\377\000\000\001\000\000\000' >"$EMPTY"

# (a) the nDPI test corpus, normalised to classic pcap and concatenated per
# link type (libpcap cannot read one file with several link types or, in
# pcapng, several snapshot lengths).
HAVE_CORPUS=0
CORPUS_PKTS=0
ETHER_PKTS=0
CORPUS_NFILES=0
if [ -d "$CORPUS" ] && have capinfos && have editcap && have mergecap; then
	CD=$WORK/corpus
	mkdir -p "$CD/norm"
	stamp=$(ls -l "$CORPUS" | cksum | cut -d' ' -f1)
	if [ ! -f "$CD/stamp" ] || [ "$(cat "$CD/stamp")" != "$stamp" ]; then
		say "normalising $CORPUS into $CD (editcap -F pcap, per file; tcprewrite when editcap cannot)"
		rm -rf "$CD/norm" "$CD"/*.pcap "$CD"/*.lst
		mkdir -p "$CD/norm"
		# file<TAB>encapsulation, in C-locale name order
		capinfos -T -r -E "$CORPUS"/* 2>/dev/null | sort >"$CD/encap.tsv"
		: >"$CD/excluded.txt"
		while IFS='	' read -r f e; do
			b=$(basename "$f")
			n="$CD/norm/$b.pcap"
			[ -n "$e" ] || e=unknown
			e=$(echo "$e" | tr -c 'A-Za-z0-9_.\n-' '_')
			if editcap -F pcap "$f" "$n" 2>"$CD/norm/$b.err" || { have tcprewrite && tcprewrite --infile="$f" --outfile="$n" 2>>"$CD/norm/$b.err"; }; then
				printf '%s\n' "$n" >>"$CD/$e.lst"
			else
				rm -f "$n"
				echo "$b ($e): $(tr '\n' ' ' <"$CD/norm/$b.err")" >>"$CD/excluded.txt"
			fi
		done <"$CD/encap.tsv"
		for l in "$CD"/*.lst; do
			g=$(basename "$l" .lst)
			# shellcheck disable=SC2046
			if ! mergecap -a -F pcap -w "$CD/$g.pcap" $(cat "$l") 2>"$CD/$g.merge.err"; then
				echo "group $g: mergecap failed: $(cat "$CD/$g.merge.err")" >>"$CD/excluded.txt"
				rm -f "$CD/$g.pcap"
			fi
		done
		echo "$stamp" >"$CD/stamp"
	fi
	: >"$WORK/corpus.groups"
	: >"$WORK/corpus.counts"
	for p in "$CD"/*.pcap; do
		[ -f "$p" ] || continue
		g=$(basename "$p" .pcap)
		c=$(capinfos -M -c -T -r "$p" 2>/dev/null | cut -f2)
		nf=$(wc -l <"$CD/$g.lst")
		printf '%s\t%s\n' "$g" "$p" >>"$WORK/corpus.groups"
		printf '%s\t%s\t%s\n' "$g" "$c" "$nf" >>"$WORK/corpus.counts"
		CORPUS_PKTS=$((CORPUS_PKTS + c))
		CORPUS_NFILES=$((CORPUS_NFILES + nf))
		[ "$g" = ether ] && ETHER_PKTS=$c
	done
	if [ -s "$CD/excluded.txt" ]; then
		note "corpus files left out (could not be normalised): $(tr '\n' ';' <"$CD/excluded.txt")"
	fi
	# the original files, for davy's own multi-file replay (-r repeated)
	ls "$CORPUS"/* >"$WORK/corpus.files"
	printf 'all\t%s\n' "$WORK/corpus.files" >"$WORK/corpus.all"
	HAVE_CORPUS=1
	say "corpus: $CORPUS_NFILES files, $CORPUS_PKTS packets in $(wc -l <"$WORK/corpus.groups") link-type groups"
elif [ ! -d "$CORPUS" ]; then
	note "$CORPUS is absent: the corpus measurements are skipped."
else
	note "capinfos/editcap/mergecap (tshark's tools) missing: the corpus measurements are skipped."
fi

# (b) the synthetic capture, cached with its parameters
HAVE_SYNTH=0
SYNTH_PARAMS="gen_synth $SYNTH_PKTS $SYNTH_SEED"
if [ $HAVE_ANCHORS = 1 ]; then
	SYNTH_PARAMS="$SYNTH_PARAMS $(cksum <"$ANCH_SRC/gen_synth.c" | cut -d' ' -f1)"
fi
if [ -f "$SYNTH" ] && [ -f "$SYNTH.params" ] && [ "$(cat "$SYNTH.params")" = "$SYNTH_PARAMS" ]; then
	say "synthetic capture: reusing $SYNTH ($SYNTH_PARAMS)"
	HAVE_SYNTH=1
elif [ $HAVE_ANCHORS = 0 ] && [ -f "$SYNTH" ] && [ -f "$SYNTH.params" ] &&
	case "$(cat "$SYNTH.params")" in "$SYNTH_PARAMS "*) true ;; *) false ;; esac; then
	say "synthetic capture: reusing $SYNTH ($(cat "$SYNTH.params")); gen_synth.c is not here to check it"
	SYNTH_PARAMS=$(cat "$SYNTH.params")
	HAVE_SYNTH=1
elif [ $HAVE_ANCHORS = 1 ]; then
	say "generating $SYNTH: gen_synth $SYNTH $SYNTH_PKTS $SYNTH_SEED"
	rm -f "$SYNTH" "$SYNTH.params" "$SLICE"
	if "$ANCH/gen_synth" "$SYNTH.tmp" "$SYNTH_PKTS" "$SYNTH_SEED" 2>"$WORK/gen_synth.log"; then
		mv "$SYNTH.tmp" "$SYNTH"
		echo "$SYNTH_PARAMS" >"$SYNTH.params"
		HAVE_SYNTH=1
	else
		note "gen_synth failed: $(cat "$WORK/gen_synth.log")"
		FAILED=1
	fi
else
	note "no gen_synth (anchors absent) and no cached $SYNTH: the synthetic measurements are skipped."
fi
if [ $HAVE_SYNTH = 1 ]; then
	printf 'synth\t%s\n' "$SYNTH" >"$WORK/synth.groups"
	# gen_synth writes exactly NPACKETS packets
	SYNTH_COUNT=$SYNTH_PKTS
	[ "$SLICE_PKTS" -gt "$SYNTH_COUNT" ] && SLICE_PKTS=$SYNTH_COUNT
	if [ ! -f "$SLICE" ] || [ ! -f "$SLICE.params" ] || [ "$(cat "$SLICE.params")" != "$SYNTH_PARAMS $SLICE_PKTS" ]; then
		if have editcap; then
			editcap -r "$SYNTH" "$SLICE" "1-$SLICE_PKTS" && echo "$SYNTH_PARAMS $SLICE_PKTS" >"$SLICE.params"
		fi
	fi
fi

# (c) the slice wrapped in VXLAN (issue 3, overlays), by bench/vxlan_wrap.py,
# and its unwrapped twin written by the same code (--plain): both classic
# pcap, microseconds, so that they differ only by the overlay (the slice is
# pcapng, which libpcap reads at another cost). Cached with the slice's
# parameters and the wrapper's checksum. The INFO file gives packets=,
# ip_packets=, flows= (distinct inner 5-tuples) and seconds=.
SLICE_VX=$WORK/slice-vxlan.pcap
SLICE_PL=$WORK/slice-plain.pcap
VX_WRAP=bench/vxlan_wrap.py
HAVE_VX=0
VX_BUILT=""
if [ $HAVE_SYNTH = 1 ] && [ -f "$SLICE" ] && [ -f "$SLICE.params" ]; then
	VX_PARAMS="$(cat "$SLICE.params") vxlan_wrap $(cksum <"$VX_WRAP" | cut -d' ' -f1)"
	vx_cached() { [ -f "$1" ] && [ -f "$1.info" ] && [ -f "$1.params" ] && [ "$(cat "$1.params")" = "$VX_PARAMS" ]; }
	if vx_cached "$SLICE_VX" && vx_cached "$SLICE_PL"; then
		say "VXLAN-wrapped slice: reusing $SLICE_VX and $SLICE_PL"
		HAVE_VX=1
	elif ! have python3; then
		note "python3 missing: the VXLAN-wrapped slice (bench/vxlan_wrap.py) and the overlay measurements are skipped."
	else
		say "wrapping $SLICE in VXLAN: python3 $VX_WRAP $SLICE $SLICE_VX $SLICE_VX.info (and --plain into $SLICE_PL)"
		rm -f "$SLICE_VX" "$SLICE_VX.params" "$SLICE_VX.info" "$SLICE_PL" "$SLICE_PL.params" "$SLICE_PL.info"
		if python3 "$VX_WRAP" "$SLICE" "$SLICE_VX" "$SLICE_VX.info" 2>"$WORK/vxlan_wrap.log" &&
			python3 "$VX_WRAP" --plain "$SLICE" "$SLICE_PL" "$SLICE_PL.info" 2>>"$WORK/vxlan_wrap.log"; then
			echo "$VX_PARAMS" >"$SLICE_VX.params"
			echo "$VX_PARAMS" >"$SLICE_PL.params"
			HAVE_VX=1
			VX_BUILT=1
		else
			note "FAILED: $VX_WRAP on $SLICE: $(tr '\n' ' ' <"$WORK/vxlan_wrap.log")"
			FAILED=1
		fi
	fi
elif [ $HAVE_SYNTH = 1 ]; then
	note "no slice of the synthetic capture ($SLICE; editcap missing?): the overlay measurements are skipped."
fi
vx_info() { sed -n "s/^$1=//p" "$SLICE_VX.info" 2>/dev/null | head -n 1; }

# ---------------------------------------------------------------------------
# 3. timings, memory
# ---------------------------------------------------------------------------
PROGS="pcap_floor ndpi_min ndpiReader davy_w1 davy_w2"

if [ $HAVE_CORPUS = 1 ]; then
	for g in $(cut -f2 "$WORK/corpus.groups"); do cat "$g" >/dev/null; done
	measure corpus "$RUNS_SMALL" "$WORK/corpus.groups" $PROGS
	measure corpus-r "$RUNS_SMALL" "$WORK/corpus.all" davy_all_w1 davy_all_w2
fi

if [ $HAVE_SYNTH = 1 ]; then
	cat "$SYNTH" >/dev/null # into the page cache, so no program pays the first read
	measure synth "$RUNS_SYNTH" "$WORK/synth.groups" $PROGS
fi

# empty-capture baselines and flow statistics (one run each)
printf 'empty\t%s\n' "$EMPTY" >"$WORK/empty.groups"
measure empty 1 "$WORK/empty.groups" davy_w1 ndpi_min

# davy_stats INPUTNAME FILE: one run of davy --workers 1 writing its records
# to a file; keeps only the final stats record.
stats_json() {
	if have python3; then
		python3 -c 'import json,sys
d=json.loads(sys.stdin.readline())["stats"]
f=d.get("flow",{}); n=d.get("ndpi",{}); dec=d.get("decoder",{})
print(f.get("created",0), f.get("peak_active",0), f.get("pool_bytes",0), n.get("peak_live",0), dec.get("pkts",0))'
	elif have jq; then
		jq -r '.stats | "\(.flow.created // 0) \(.flow.peak_active // 0) \(.flow.pool_bytes // 0) \(.ndpi.peak_live // 0) \(.decoder.pkts // 0)"'
	else
		echo "0 0 0 0 0"
	fi
}
davy_stats() {
	_n=$1 _f=$2
	_j=$WORK/stats-$_n.json
	timed "$LOGS/stats-$_n" /dev/null "$DAVY" --workers 1 -o "$_j" -q --no-progress -r "$_f"
	_s=$(run_status davy)
	if [ "$_s" != ok ]; then
		note "FAILED: davy --workers 1 -o $_j on $_n: $_s"
		FAILED=1
		return
	fi
	_st=$(grep '"event_type": *"stats"' "$_j" | tail -n 1 | stats_json)
	# name created peak_active pool_bytes ndpi_peak_live pkts rss_kb
	echo "$_n $_st $T_RSS" >>"$WORK/flowstats.txt"
	rm -f "$_j"
}
: >"$WORK/flowstats.txt"
[ $HAVE_SYNTH = 1 ] && davy_stats synth "$SYNTH"
[ $HAVE_CORPUS = 1 ] && [ -f "$WORK/corpus/ether.pcap" ] && davy_stats corpus-ether "$WORK/corpus/ether.pcap"

# overlay_stats NAME FILE WORKERS: one run of davy --workers WORKERS writing
# its records to a file; from the final stats record appends to overlay.txt:
#   name workers status created tunnelled wrong_thread pkts vxlan_ok errors
overlay_stats() {
	_n=$1 _f=$2 _w=$3
	_j=$WORK/overlay-$_n-w$_w.json
	timed "$LOGS/overlay-$_n-w$_w" /dev/null "$DAVY" --workers "$_w" -o "$_j" -q --no-progress -r "$_f"
	_s=$(run_status davy)
	if [ "$_s" != ok ]; then
		note "FAILED: davy --workers $_w -o $_j on $_n: $_s; see $LOGS/overlay-$_n-w$_w.err"
		FAILED=1
		echo "$_n $_w $_s - - - - - -" >>"$WORK/overlay.txt"
		return
	fi
	_st=$(grep '"event_type": *"stats"' "$_j" | tail -n 1 | python3 -c 'import json,sys
try:
	d=json.loads(sys.stdin.readline())["stats"]
except Exception:
	print("- - - - - -"); sys.exit(0)
f=d.get("flow",{}); dec=d.get("decoder",{}); lay=dec.get("layers",{}).get("vxlan",{})
g=lambda x: "-" if x is None else x
print(g(f.get("created")), g(dec.get("tunnelled")), g(f.get("wrong_thread")), g(dec.get("pkts")), g(lay.get("ok")), g(dec.get("errors")))')
	echo "$_n $_w $_s $_st" >>"$WORK/overlay.txt"
	rm -f "$_j"
}
: >"$WORK/overlay.txt"
if [ $HAVE_VX = 1 ]; then
	for w in 1 2; do
		overlay_stats slice-plain "$SLICE_PL" $w
		overlay_stats slice-vxlan "$SLICE_VX" $w
	done
fi

# ---------------------------------------------------------------------------
# 4. instructions per packet (callgrind) on the first SLICE_PKTS packets
# ---------------------------------------------------------------------------
: >"$CG/ir.tsv"
HAVE_CG=0
if [ "${NO_CALLGRIND:-0}" = 1 ]; then
	note "NO_CALLGRIND=1: instruction counts skipped."
elif ! have valgrind; then
	note "valgrind not installed: instruction counts skipped (apt-get install valgrind)."
elif [ $HAVE_SYNTH = 1 ] && [ -f "$SLICE" ]; then
	HAVE_CG=1
	# cg PROG INPUTNAME FILE
	cg() {
		_p=$1 _n=$2 _f=$3
		_out=$CG/$_p.$_n.out
		case $_p in
		davy_w1) set -- "$DAVY" --workers 1 -o /dev/null -q --no-progress -r "$_f" ;;
		davy_w1_noiocs) set -- "$DAVY" --workers 1 -o /dev/null -q --no-progress --no-iocs -r "$_f" ;;
		davy_w1_ioc1m) set -- "$DAVY" --workers 1 -o /dev/null -q --no-progress --iocs "$IOC_FEED" -r "$_f" ;;
		ndpi_min) set -- "$ANCH/ndpi_min" -o /dev/null "$_f" ;;
		pcap_floor) set -- "$ANCH/pcap_floor" "$_f" ;;
		esac
		say "callgrind: $_p on $_n"
		# default --separate-threads=no: the costs of all of davy's threads
		# (reader, worker, output) are summed into the one profile
		valgrind --tool=callgrind --collect-systime=no --callgrind-out-file="$_out" \
			"$@" </dev/null >"$CG/$_p.$_n.stdout" 2>"$CG/$_p.$_n.log"
		T_RC=$? T_SIG=""
		grep -q 'Process terminating with default action of signal' "$CG/$_p.$_n.log" && T_SIG=valgrind
		_s=$(run_status "$_p")
		if [ "$_s" != ok ]; then
			note "FAILED: $_p under callgrind on $_n: $_s; see $CG/$_p.$_n.log"
			FAILED=1
		fi
		_ir=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$_out" 2>/dev/null | head -n 1)
		[ -n "$_ir" ] || _ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$_out" 2>/dev/null | head -n 1)
		printf '%s\t%s\t%s\n' "$_p" "$_n" "${_ir:-0}" >>"$CG/ir.tsv"
	}
	for p in davy_w1 ndpi_min pcap_floor; do
		prog_available $p || continue
		cg $p slice "$SLICE"
		cg $p empty "$EMPTY"
	done
	# issue 3: davy on the slice's classic-pcap twin and on its VXLAN-wrapped
	# copy (the same start-up as on the slice: the empty capture)
	if [ $HAVE_VX = 1 ]; then
		cg davy_w1 slice-plain "$SLICE_PL"
		cg davy_w1 slice-vxlan "$SLICE_VX"
	fi
fi

# Ir by shared object, from a callgrind.out file (self cost; call lines skipped)
ir_by_object() {
	awk '
	function nm(s,   id, rest) {
		if (match(s, /^\([0-9]+\)/)) {
			id = substr(s, 1, RLENGTH); rest = substr(s, RLENGTH + 2)
			if (rest != "") name[id] = rest
			return name[id]
		}
		return s
	}
	/^ob=/ { cur = nm(substr($0, 4)); next }
	/^cob=/ { nm(substr($0, 5)); next }
	/^calls=/ { skip = 1; next }
	/^[0-9+*-]/ { if (skip) { skip = 0; next } n = split($0, a, " "); by[cur] += a[2]; next }
	END { for (o in by) printf "%.0f\t%s\n", by[o], o }' "$1" | sort -rn
}

# self Ir of every function, from a callgrind.out file: "Ir<TAB>file:function [object]"
fn_self() {
	callgrind_annotate --auto=no --threshold=100 "$1" 2>/dev/null | grep -E '^ *[0-9,]+ \( *[0-9.]+%\)' | grep -v 'PROGRAM TOTALS' |
		sed -E 's/^ *([0-9,]+) \( *[0-9.]+%\) +/\1\t/' | awk -F'\t' '{ gsub(/,/, "", $1); print $1 "\t" $2 }'
}

# ---------------------------------------------------------------------------
# 4b. indicators (issue 5): bench/ioc_load loads IOC_N (1,000,000) generated
# indicators into one set, IOC_RUNS (2) times; best load time and highest
# peak RSS against the targets (under 5 s, under 300 MB). The generated feed
# is cached while IOC_N is the same. Writes $WORK/ioc.md for the report.
# ---------------------------------------------------------------------------
IOC_N=${IOC_N:-1000000}
IOC_RUNS=${IOC_RUNS:-2}
IOC_LOAD=${IOC_LOAD:-build/bench/ioc_load}
IOC_FEED=$WORK/iocs-$IOC_N.txt
IOC_MD=$WORK/ioc.md
: >"$IOC_MD"
ioc_bench() {
	if ! make -s BUILD="${IOC_LOAD%/bench/ioc_load}" "$IOC_LOAD" >"$LOGS/ioc_load.build" 2>&1; then
		note "building $IOC_LOAD failed (see $LOGS/ioc_load.build): indicator loading not measured."
		FAILED=1
		return
	fi
	if [ ! -s "$IOC_FEED" ]; then
		say "generating $IOC_N indicators into $IOC_FEED"
		if ! "$IOC_LOAD" -g "$IOC_N" "$IOC_FEED.tmp" || ! mv "$IOC_FEED.tmp" "$IOC_FEED"; then
			note "FAILED: $IOC_LOAD -g $IOC_N $IOC_FEED: indicator loading not measured."
			FAILED=1
			return
		fi
	fi
	_ib="" _irss=0 _iline="" _iwall=""
	_r=1
	while [ $_r -le "$IOC_RUNS" ]; do
		timed "$LOGS/ioc_load.$_r" "$LOGS/ioc_load.$_r.out" "$IOC_LOAD" "$IOC_FEED"
		_s=$(run_status ioc_load)
		if [ "$_s" != ok ]; then
			note "FAILED: $IOC_LOAD $IOC_FEED (run $_r): $_s; see $LOGS/ioc_load.$_r.err"
			FAILED=1
			return
		fi
		_l=$(grep '^ioc_load: ' "$LOGS/ioc_load.$_r.out" | tail -n 1)
		_t=$(echo "$_l" | sed -n 's/.* load_s=\([0-9.]*\).*/\1/p')
		if [ -z "$_ib" ] || awk -v a="$_t" -v b="$_ib" 'BEGIN { exit !(a < b) }'; then
			_ib=$_t _iline=$_l _iwall=$T_WALL_NS
		fi
		[ "$T_RSS" -gt "$_irss" ] && _irss=$T_RSS
		say "ioc_load run $_r: load $_t s, peak RSS $T_RSS KiB"
		_r=$((_r + 1))
	done
	ik() { echo "$_iline" | sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
	awk -v n="$IOC_N" -v runs="$IOC_RUNS" -v t="$_ib" -v rss="$_irss" -v wall="$_iwall" \
		-v stored="$(ik stored)" -v bad="$(ik bad)" -v dup="$(ik duplicates)" -v sb="$(ik set_bytes)" \
		-v bpi="$(ik bytes_per_ioc)" -v dns="$(ik domain_ns)" -v ipns="$(ik ip4_ns)" \
		-v prog="$IOC_LOAD" -v feed="$IOC_FEED" -v mb="$(du -m "$IOC_FEED" | cut -f1)" 'function commas(x,   r) {
		x = sprintf("%.0f", x); r = ""
		while (length(x) > 3) { r = "," substr(x, length(x) - 2) r; x = substr(x, 1, length(x) - 3) }
		return x r
	}
	BEGIN {
		printf "## Indicators: loading %s (issue 5)\n\n", commas(n)
		printf "`%s %s`, best of %d runs: a generated plain feed (`%s -g %d`, %s MB; not real\n", prog, feed, runs, prog, n, mb
		printf "indicators: 50%% domains, 30%% IPv4 addresses, 8%% IPv4 CIDRs /16-/30, 5%% IPv6 addresses, 2%% IPv6\n"
		printf "CIDRs, 2%% JA3, 1%% wallets, 1%% URLs, 200 agents, 100 ports; every tenth line with fields of its own)\n"
		printf "loaded into one set by `ioc_load_path()`. Load time: that call alone (the program'\''s clock); peak RSS:\n"
		printf "GNU time'\''s maximum resident size of the whole process, the highest of the runs.\n\n"
		printf "| target | measured | met on this run? |\n|---|---|---|\n"
		printf "| load %s indicators in under 5 s | %.2f s | %s |\n", commas(n), t, (t < 5 ? "**yes**" : "**no**")
		printf "| ... in under 300 MB | peak RSS %.1f MB (%.1f MiB) | %s |\n\n", rss * 1024 / 1e6, rss / 1024, (rss * 1024 < 300e6 ? "**yes**" : "**no**")
		printf "- Stored %s indicators (%s bad lines, %s duplicates); the set holds %.1f MiB (`ioc_set_bytes()`),\n", commas(stored), commas(bad), commas(dup), sb / 1048576
		printf "  %s bytes per indicator. Whole process, generation excluded: %.2f s wall.\n", bpi, wall / 1e9
		printf "- Lookups in that set, 1,000,000 each, half of them listed: `ioc_find_domain()` (a subdomain of a\n"
		printf "  listed name, or an unlisted name) %s ns, `ioc_find_ip()` IPv4 %s ns.\n\n", dns, ipns
	}' >"$IOC_MD"
}
ioc_bench

# 4c. matching cost (issue 5): net Ir/packet of davy --workers 1 on the slice
# with the IOC_N generated indicators loaded, against --no-iocs (target: at
# most 10% more), and with the shipped feeds (the davy_w1 run above). Net =
# minus the same command on the empty capture, so the 1M load itself is not
# counted. Appended to $WORK/ioc.md.
if [ $HAVE_CG = 1 ] && [ -s "$IOC_FEED" ]; then
	for p in davy_w1_noiocs davy_w1_ioc1m; do
		cg $p slice "$SLICE"
		cg $p empty "$EMPTY"
	done
	awk -F'\t' -v n="$SLICE_PKTS" -v nind="$IOC_N" '
	$2 == "slice" { s[$1] = $3 } $2 == "empty" { e[$1] = $3 }
	function net(p) { return (s[p] > 0 && e[p] > 0) ? (s[p] - e[p]) / n : 0 }
	END {
		a = net("davy_w1_noiocs"); b = net("davy_w1_ioc1m"); c = net("davy_w1")
		if (a <= 0 || b <= 0) exit
		printf "### Matching cost\n\n"
		printf "Net Ir/packet of davy `--workers 1` under callgrind on the %d-packet slice (as in the\n", n
		printf "instruction table below):\n\n| feeds | Ir/packet | vs `--no-iocs` |\n|---|---|---|\n"
		printf "| `--no-iocs` | %.0f | - |\n", a
		if (c > 0) printf "| the shipped `iocs/` (default) | %.0f | %+.1f%% |\n", c, 100 * (c - a) / a
		printf "| `--iocs` the %d generated indicators | %.0f | %+.1f%% |\n\n", nind, b, 100 * (b - a) / a
		printf "Target: matching with 1M indicators loaded adds at most 10%% instructions per packet: **%s**.\n\n", (b - a) / a <= 0.10 ? "met" : "not met"
	}' "$CG/ir.tsv" >>"$IOC_MD"
fi

# ---------------------------------------------------------------------------
# 4d. Redis output (issue 6): records/s one output thread delivers to a local
# redis-server (bench/redis_out_bench: the sensor's own output code), and a
# replay of the synthetic capture with --redis against -o /dev/null, runs
# interleaved, best of REDIS_RUNS (3). The server is started here on a free
# loopback port, without persistence, and stopped at the end.
# ---------------------------------------------------------------------------
REDIS_MD=$WORK/redis.md
: >"$REDIS_MD"
REDIS_RUNS=${REDIS_RUNS:-3}
REDIS_COUNT=${REDIS_COUNT:-1000000}
ROB=${ROB:-build/bench/redis_out_bench}
redis_bench() {
	if ! have redis-server; then
		note "redis-server missing: the Redis output measurements are skipped ('make deps')."
		return
	fi
	if ! make -s BUILD="${ROB%/bench/redis_out_bench}" "$ROB" >"$LOGS/redis_out_bench.build" 2>&1; then
		note "FAILED: building $ROB (see $LOGS/redis_out_bench.build)"
		FAILED=1
		return
	fi
	_in=$SYNTH
	[ $HAVE_SYNTH = 1 ] || _in=$SLICE
	[ -f "$_in" ] || { note "no synthetic capture: the Redis replay measurement is skipped."; return; }
	_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	_dir=$(mktemp -d)
	redis-server --port "$_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$_dir" \
		--daemonize yes --pidfile "$_dir/pid" --logfile "$_dir/log" >/dev/null
	_url=redis://127.0.0.1:$_port
	_i=0
	while ! redis-cli -p "$_port" ping >/dev/null 2>&1; do
		_i=$((_i + 1)); [ $_i -gt 100 ] && { note "redis-server did not start"; return; }
		sleep 0.1
	done
	"$DAVY" -q --no-progress --workers 2 -r "$_in" -o "$WORK/redis-records.json" 2>/dev/null
	_nrec=$(wc -l <"$WORK/redis-records.json")
	_best=0 _bline="" _all=""
	_r=1
	while [ $_r -le $REDIS_RUNS ]; do
		redis-cli -p "$_port" flushall >/dev/null
		"$ROB" "$_url" "$WORK/redis-records.json" "$REDIS_COUNT" >"$LOGS/rob.$_r.out" 2>"$LOGS/rob.$_r.err"
		_l=$(grep '^redis_out_bench: ' "$LOGS/rob.$_r.out")
		_v=$(echo "$_l" | sed -n 's/.* records_per_s=\([0-9]*\).*/\1/p')
		say "redis_out_bench run $_r: ${_v:-failed} records/s"
		_all="$_all ${_v:-failed}"
		if [ -n "$_v" ] && [ "$_v" -gt "$_best" ]; then _best=$_v _bline=$_l; fi
		_r=$((_r + 1))
	done
	_nul=0 _red=0 _nulc="" _redc=""
	_r=1
	while [ $_r -le $REDIS_RUNS ]; do
		timed "$LOGS/redis_null.$_r" /dev/null "$DAVY" -q --no-progress --workers 2 -r "$_in" -o /dev/null
		[ "$_nul" = 0 ] || [ "$T_WALL_NS" -lt "$_nul" ] && _nul=$T_WALL_NS _nulc="$T_USER $T_SYS"
		redis-cli -p "$_port" flushall >/dev/null
		timed "$LOGS/redis_out.$_r" /dev/null "$DAVY" -q --no-progress --workers 2 -r "$_in" --redis "$_url"
		[ "$T_RC" = 0 ] || { note "FAILED: davy --redis exited $T_RC (see $LOGS/redis_out.$_r.err)"; FAILED=1; }
		[ "$_red" = 0 ] || [ "$T_WALL_NS" -lt "$_red" ] && _red=$T_WALL_NS _redc="$T_USER $T_SYS"
		_r=$((_r + 1))
	done
	_xlen=$(redis-cli -p "$_port" xlen davy:flow)
	kill "$(cat "$_dir/pid")" 2>/dev/null
	sleep 0.3
	rm -rf "$_dir"
	rk() { echo "$_bline" | sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
	awk -v best="$_best" -v n="$(rk records)" -v sec="$(rk seconds)" -v bmax="$(rk batch_max)" \
		-v avg="$(rk avg_bytes)" -v nrec="$_nrec" -v nul="$_nul" -v red="$_red" -v runs="$REDIS_RUNS" \
		-v nulc="$_nulc" -v redc="$_redc" -v inp="$_in" -v xlen="$_xlen" -v cnt="$REDIS_COUNT" \
		-v all="$_all" 'BEGIN {
		printf "## Redis output (issue 6)\n\n"
		printf "A local `redis-server` (no persistence) on this machine, started by the bench. Best of %d runs each.\n\n", runs
		printf "| target | measured | met on this run? |\n|---|---|---|\n"
		printf "| one output thread delivers at least 200,000 records/s | %d records/s | %s |\n", best, (best >= 200000 ? "**yes**" : "**no**")
		r = (nul > 0) ? (red - nul) / nul : 0
		printf "| replay with `--redis` at most 20%% slower than `-o /dev/null` | %+.1f%% (%.2f s vs %.2f s) | %s |\n\n", 100 * r, red / 1e9, nul / 1e9, (r <= 0.20 ? "**yes**" : "**no**")
		printf "- Delivery: `build/bench/redis_out_bench URL records.json %d`: the sensor'\''s own output code\n", cnt
		printf "  (`redis_out.c`: queue, adaptive pipelined batches, two in flight, replies) in one thread, %s records\n", n
		printf "  cycled from the %d records davy wrote for `%s` (%s bytes on average), in %s s;\n", nrec, inp, avg, sec
		printf "  largest batch %s records. Each record is one XADD with 8-9 fields (and a PUBLISH for alerts).\n", bmax
		printf "  Every run (records/s):%s.\n", all
		split(nulc, a, " "); split(redc, b, " ")
		printf "- Replay: `davy -q --workers 2 -r %s` with `-o /dev/null` (user %s s, sys %s s) and with\n", inp, a[1], a[2]
		printf "  `--redis URL` (user %s s, sys %s s; %s entries in davy:flow after the last run). Redis runs on the same\n", b[1], b[2], xlen
		printf "  CPUs as davy: on a machine where davy already uses every core, the server'\''s own CPU time per record\n"
		printf "  is part of the difference.\n\n"
	}' >"$REDIS_MD"
}
redis_bench

# ---------------------------------------------------------------------------
# 4e. Enrichment cost (issue 7): replay of the synthetic capture with both
# MaxMind databases and a 10,000-pod list (bench/mkenrich.py: tables of
# 30,000+ networks written by tests/lib/mkmmdb.pl; 2,000 pods on the
# capture's client addresses) against the same replay without them, runs
# interleaved, best of ENRICH_RUNS (3). Target: at most 5% slower. The
# start-up (opening the databases, reading the pod list) is measured apart,
# on the empty capture with the same options, and taken off both: the
# target is about throughput with everything loaded.
# ---------------------------------------------------------------------------
ENRICH_MD=$WORK/enrich.md
: >"$ENRICH_MD"
ENRICH_RUNS=${ENRICH_RUNS:-3}
enrich_bench() {
	_in=$SYNTH
	[ $HAVE_SYNTH = 1 ] || _in=$SLICE
	[ -f "$_in" ] || { note "no synthetic capture: the enrichment measurement is skipped."; return; }
	if ! perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null; then
		note "perl's MaxMind::DB::Writer::Tree is missing (libmaxmind-db-writer-perl, 'make deps'): the enrichment measurement is skipped."
		return
	fi
	_d=$WORK/enrich
	mkdir -p "$_d"
	if ! { /usr/bin/python3 bench/mkenrich.py "$_d" 10000 &&
		perl tests/lib/mkmmdb.pl city "$_d/city.json" "$_d/city.mmdb" &&
		perl tests/lib/mkmmdb.pl asn "$_d/asn.json" "$_d/asn.mmdb"; } >"$LOGS/mkenrich.log" 2>&1; then
		note "FAILED: building the enrichment inputs (see $LOGS/mkenrich.log)"
		FAILED=1
		return
	fi
	_opts="--geoip $_d/city.mmdb --asn $_d/asn.mmdb --pods $_d/pods.json"
	_e0=0 _e1=0
	_r=1
	while [ $_r -le $ENRICH_RUNS ]; do
		timed "$LOGS/enrich_empty0.$_r" /dev/null "$DAVY" -q --no-progress --workers 2 -r "$EMPTY" -o /dev/null
		[ "$_e0" = 0 ] || [ "$T_WALL_NS" -lt "$_e0" ] && _e0=$T_WALL_NS
		# shellcheck disable=SC2086
		timed "$LOGS/enrich_empty1.$_r" /dev/null "$DAVY" -q --no-progress --workers 2 -r "$EMPTY" -o /dev/null $_opts
		[ "$_e1" = 0 ] || [ "$T_WALL_NS" -lt "$_e1" ] && _e1=$T_WALL_NS _e1rss=$T_RSS
		_r=$((_r + 1))
	done
	_plain=0 _rich=0 _all=""
	_r=1
	while [ $_r -le $ENRICH_RUNS ]; do
		timed "$LOGS/enrich_plain.$_r" /dev/null "$DAVY" -q --no-progress --workers 2 -r "$_in" -o /dev/null
		[ "$_plain" = 0 ] || [ "$T_WALL_NS" -lt "$_plain" ] && _plain=$T_WALL_NS
		_p=$T_WALL_NS
		# shellcheck disable=SC2086 # _opts is a list of options
		timed "$LOGS/enrich_rich.$_r" /dev/null "$DAVY" -q --no-progress --workers 2 -r "$_in" -o /dev/null $_opts
		[ "$T_RC" = 0 ] || { note "FAILED: davy with enrichment exited $T_RC (see $LOGS/enrich_rich.$_r.err)"; FAILED=1; }
		[ "$_rich" = 0 ] || [ "$T_WALL_NS" -lt "$_rich" ] && _rich=$T_WALL_NS _richrss=$T_RSS
		_all="$_all $(awk -v a="$_p" -v b="$T_WALL_NS" 'BEGIN { printf "%.2f/%.2f", a / 1e9, b / 1e9 }')"
		_r=$((_r + 1))
	done
	# the records' enrichment, from one run to a file
	# shellcheck disable=SC2086
	"$DAVY" -q --no-progress --workers 2 -r "$_in" -o "$_d/records.json" $_opts 2>/dev/null
	_st=$(/usr/bin/python3 -c '
import json, sys
st = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("event_type") == "stats":
        st = r["stats"]
g, p = st.get("geo", {}), st.get("pods", {})
print(g.get("lookups", 0), g.get("cache_hits", 0), p.get("pods", 0), p.get("lookups", 0), p.get("found", 0), p.get("memory", 0))
' "$_d/records.json")
	rm -f "$_d/records.json"
	awk -v plain="$_plain" -v rich="$_rich" -v runs="$ENRICH_RUNS" -v inp="$_in" -v all="$_all" \
		-v st="$_st" -v rss="$_richrss" -v pods_mb="$(du -m "$_d/pods.json" | cut -f1)" \
		-v e0="$_e0" -v e1="$_e1" -v e1rss="$_e1rss" \
		-v city_mb="$(du -k "$_d/city.mmdb" | cut -f1)" \
		-v rows="$(sed -n 's/^mkenrich: \([0-9]*\) city rows.*/\1/p' "$LOGS/mkenrich.log")" 'BEGIN {
		split(st, s, " ")
		np = plain - e0; nr = rich - e1
		r = (np > 0) ? (nr - np) / np : 0
		printf "## Enrichment (issue 7)\n\n"
		printf "| target | measured | met on this run? |\n|---|---|---|\n"
		printf "| replay with both databases and 10,000 pods loaded at most 5%% slower | %+.1f%% (%.2f s vs %.2f s, start-up taken off) | %s |\n\n", 100 * r, nr / 1e9, np / 1e9, (r <= 0.05 ? "**yes**" : "**no**")
		printf "- Start-up on the empty capture: %.2f s without, %.2f s with the databases and the pod list (peak RSS\n", e0 / 1e9, e1 / 1e9
		printf "  %s KiB: reading the list). Whole runs, start-up included: %.2f s without, %.2f s with (%+.1f%%).\n", e1rss, plain / 1e9, rich / 1e9, (plain > 0 ? 100 * (rich - plain) / plain : 0)
		printf "- `davy -q --workers 2 -r %s -o /dev/null`, without and with\n", inp
		printf "  `--geoip city.mmdb --asn asn.mmdb --pods pods.json` (bench/mkenrich.py, tests/lib/mkmmdb.pl:\n"
		printf "  %s KB City-layout file, %s networks in each table; a %s MB pod list of %s pods, 2,000 of them on the\n", city_mb, rows, pods_mb, s[3]
		printf "  capture'\''s client addresses). Best of %d interleaved runs; every run (without/with, s):%s.\n", runs, all
		printf "- In the enriched run: %s geo lookups (%s answered by the workers'\'' caches), %s pod lookups\n", s[1], s[2], s[4]
		printf "  (%s found), pod map %s bytes; peak RSS %s KiB. The shipped image indicators make every\n", s[5], s[6], rss
		printf "  flow look its pods up at its first packet too.\n\n"
	}' >"$ENRICH_MD"
}
enrich_bench

# ---------------------------------------------------------------------------
# 4f. Live capture (issue 8): bench/live_bench.py plays the slice into a veth
# pair with tcpreplay at LIVE_RATES packets/s and at top speed, captured by
# davy -i and, in turn, by tcpdump -w /dev/null; the highest rate each keeps
# up with without a drop. Needs root (a network namespace), tcpreplay and
# tcpdump; skipped with the reason otherwise.
# ---------------------------------------------------------------------------
LIVE_MD=$WORK/live.md
: >"$LIVE_MD"
LIVE_RATES=${LIVE_RATES:-50000,100000,200000,400000,top}
if [ "$(id -u)" != 0 ]; then
	note "not root: the live capture measurement (network namespace) is skipped."
elif ! have tcpreplay || ! have tcpdump; then
	note "tcpreplay or tcpdump is missing ('make deps'): the live capture measurement is skipped."
elif [ ! -f "$SLICE" ]; then
	note "no slice capture: the live capture measurement is skipped."
elif ! /usr/bin/python3 bench/live_bench.py "$DAVY" "$SLICE" 2 "$LIVE_RATES" >"$LIVE_MD" 2>"$LOGS/live_bench.log"; then
	note "FAILED: the live capture measurement (see $LOGS/live_bench.log)"
	FAILED=1
	: >"$LIVE_MD"
fi

# ---------------------------------------------------------------------------
# 5. report
# ---------------------------------------------------------------------------
T_END=$(date +%s)
ELAPSED=$((T_END - T_START))
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)
CPU_END=$(cpu_ticks)
# CPU seconds used by this script and everything it ran (POSIX `times`, run
# in this shell: in a pipe or $(...) it would report a fresh subshell's)
times >"$WORK/times.txt"
OWN_CPU=$(awk '{ for (i = 1; i <= NF; i++) { split($i, a, "m"); t += a[1] * 60 + a[2] } } END { printf "%.1f", t }' "$WORK/times.txt")
# other_cpu_s steal_s capacity_s
OTHER=$(awk -v s="$CPU_START" -v e="$CPU_END" -v own="$OWN_CPU" -v hz="$CLK_TCK" -v el="$ELAPSED" -v n="$(nproc)" 'BEGIN {
	split(s, a, " "); split(e, b, " ")
	o = (b[1] - a[1]) / hz - own; if (o < 0) o = 0
	printf "%.1f %.1f %d", o, (b[2] - a[2]) / hz, n * el }')

# summarise INPUT GROUP(* = all): prog nruns best_wall_s median_wall_s
#   best_cpu_s max_rss_kb status walls
summarise() {
	awk -F'\t' -v inp="$1" -v grp="$2" '
	$1 == inp && (grp == "*" || $2 == grp) {
		k = $3 SUBSEP $4
		w[k] += $5; c[k] += $6 + $7
		if ($8 + 0 > rss[$3]) rss[$3] = $8 + 0
		if ($10 != "ok") bad[$3] = bad[$3] (bad[$3] == "" ? "" : ",") $10
		if (!($3 in seen)) { seen[$3] = 1; order[++np] = $3 }
	}
	END {
		for (i = 1; i <= np; i++) {
			p = order[i]; n = 0; bc = -1
			for (k in w) {
				split(k, a, SUBSEP)
				if (a[1] != p) continue
				ws[++n] = w[k]
				if (bc < 0 || c[k] < bc) bc = c[k]
			}
			for (x = 2; x <= n; x++) { v = ws[x]; y = x - 1; while (y >= 1 && ws[y] > v) { ws[y + 1] = ws[y]; y-- } ws[y + 1] = v }
			med = (n % 2) ? ws[(n + 1) / 2] : (ws[n / 2] + ws[n / 2 + 1]) / 2
			list = ""
			for (x = 1; x <= n; x++) list = list (x > 1 ? " " : "") sprintf("%.3f", ws[x] / 1e9)
			printf "%s\t%d\t%.6f\t%.6f\t%.3f\t%d\t%s\t%s\n", p, n, ws[1] / 1e9, med / 1e9, bc, rss[p], (bad[p] == "" ? "ok" : bad[p]), list
		}
	}' "$RAW"
}

# ir_per_packet PROG: net Ir/packet on the slice ("" if unknown)
ir_per_packet() {
	awk -F'\t' -v p="$1" -v n="$SLICE_PKTS" '
	$1 == p && $2 == "slice" { s = $3 } $1 == p && $2 == "empty" { e = $3 }
	END { if (s > 0 && e > 0) printf "%.0f", (s - e) / n }' "$CG/ir.tsv" 2>/dev/null
}
ir_gross() {
	awk -F'\t' -v p="$1" -v w="$2" -v n="$SLICE_PKTS" '
	$1 == p && $2 == w { printf "%.0f", $3 }' "$CG/ir.tsv" 2>/dev/null
}

label() {
	case $1 in
	pcap_floor) echo '`pcap_floor` (bare libpcap read loop)' ;;
	ndpi_min) echo '`ndpi_min -o /dev/null` (minimal nDPI classifier)' ;;
	ndpiReader) echo '`ndpiReader -q` (nDPI 4.2 demo tool)' ;;
	davy_w1) echo '**davy `--workers 1`**' ;;
	davy_w2) echo '**davy `--workers 2`**' ;;
	davy_all_w1) echo "davy \`--workers 1\`, all $CORPUS_NFILES original files as repeated \`-r\`, one process" ;;
	davy_all_w2) echo "davy \`--workers 2\`, all $CORPUS_NFILES original files as repeated \`-r\`, one process" ;;
	*) echo "$1" ;;
	esac
}

# table SUMMARYFILE PKTS WITH_IR  -> markdown table on stdout
table() {
	_sum=$1 _pk=$2 _wir=$3
	ref_nr=$(awk -F'\t' '$1 == "ndpiReader" { print $3 }' "$_sum")
	ref_nm=$(awk -F'\t' '$1 == "ndpi_min" { print $3 }' "$_sum")
	if [ "$_wir" = 1 ]; then
		echo '| program | runs | best wall s | median wall s | packets/s (best) | × ndpiReader | × ndpi_min | CPU user+sys s | CPU ns/packet | peak RSS MiB | Ir/packet | status |'
		echo '|---|---|---|---|---|---|---|---|---|---|---|---|'
	else
		echo '| program | runs | best wall s | median wall s | packets/s (best) | × ndpiReader | × ndpi_min | CPU user+sys s | CPU ns/packet | peak RSS MiB | status |'
		echo '|---|---|---|---|---|---|---|---|---|---|---|'
	fi
	while IFS='	' read -r p n bw mw cpu rss st walls; do
		irp=""
		[ "$_wir" = 1 ] && irp=$(ir_per_packet "$p")
		awk -v lab="$(label "$p")" -v n="$n" -v bw="$bw" -v mw="$mw" -v cpu="$cpu" -v rss="$rss" \
			-v st="$st" -v pk="$_pk" -v rnr="${ref_nr:-0}" -v rnm="${ref_nm:-0}" -v wir="$_wir" \
			-v irp="$irp" -v walls="$walls" "$AWKLIB"'BEGIN {
			pps = bw > 0 ? pk / bw : 0
			xnr = (rnr > 0 && bw > 0) ? sprintf("%.2f", rnr / bw) : "—"
			xnm = (rnm > 0 && bw > 0) ? sprintf("%.2f", rnm / bw) : "—"
			stt = (st == "ok") ? "ok" : "**" st "**"
			# GNU time gives CPU seconds with 2 decimals: below 0.01 s, say so
			cpp = (cpu > 0) ? sprintf("%.0f", cpu * 1e9 / pk) : sprintf("< %.0f", 0.01e9 / pk)
			row = sprintf("| %s | %d | %.3f | %.3f | %s | %s | %s | %.2f | %s | %.1f |", lab, n, bw, mw, commas(pps), xnr, xnm, cpu, cpp, rss / 1024)
			if (wir == 1) row = row sprintf(" %s |", irp == "" ? "—" : commas(irp))
			print row " " stt " |"
		}'
	done <"$_sum"
}

# awk helper: 1234567 -> 1,234,567 (the C locale has no thousands separator)
AWKLIB='function commas(x,   r, sg) {
	x = sprintf("%.0f", x); sg = ""
	if (substr(x, 1, 1) == "-") { sg = "-"; x = substr(x, 2) }
	r = ""
	while (length(x) > 3) { r = "," substr(x, length(x) - 2) r; x = substr(x, 1, length(x) - 3) }
	return sg x r
}
'
fmt_int() { awk -v x="$1" "$AWKLIB"'BEGIN { printf "%s", commas(x) }'; }

{
	echo "# davy benchmark results"
	echo
	echo "Written by \`bench/run.sh\` (run by \`make bench\`); do not edit by hand, rerun it."
	echo "Numbers are from one run on one machine: compare the ratios within this file,"
	echo "not absolute times across machines. The script reports; it never fails on slow numbers."
	echo
	echo "- Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "- Total bench run time: ${ELAPSED} s (anchors, inputs, all timed runs, callgrind)"
	echo "- davy source: $(git rev-parse --short HEAD 2>/dev/null || echo 'no commit yet'); working tree $(if [ -n "$(git status --porcelain 2>/dev/null | head -n 1)" ]; then echo 'has uncommitted changes'; else echo clean; fi); binary \`$DAVY\`"
	echo
	echo "## Machine"
	echo
	echo "- CPUs (nproc): $(nproc)"
	echo "- CPU model: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "- Memory: $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "- Kernel: $(uname -srm)"
	echo "- Load average (1, 5, 15 min) at the start: ${LOAD_START:-?}; at the end: ${LOAD_END:-?}"
	set -- $OTHER
	echo "- CPU time used during the bench by other processes: ${1:-?} s; stolen by the hypervisor: ${2:-?} s;"
	echo "  the bench itself: $OWN_CPU s; available: ${3:-?} CPU-seconds ($(nproc) CPUs × ${ELAPSED} s)."
	if awk -v o="${1:-0}" -v st="${2:-0}" -v c="${3:-1}" 'BEGIN { exit !((o + st) > 0.05 * c) }'; then
		echo "  **Other work competed for the CPUs during the bench**: wall times are slower and noisier"
		echo "  than on an idle machine (the best run is the better estimate); CPU times (user+sys) and"
		echo "  Ir counts are much less affected, compare those too."
	fi
	echo
	echo "## Versions"
	echo
	echo '```'
	echo "\$ $DAVY --version"
	"$DAVY" --version 2>&1
	if [ $HAVE_NDPIREADER = 1 ]; then
		echo "\$ ndpiReader -h | head -n 1   (package libndpi-bin $(dpkg-query -W -f='${Version}' libndpi-bin 2>/dev/null))"
		ndpiReader -h 2>&1 | head -n 1
	fi
	echo "\$ cc --version | head -n 1"
	cc --version 2>&1 | head -n 1
	have valgrind && { echo "\$ valgrind --version"; valgrind --version; }
	echo '```'
	echo
	echo "## Method"
	echo
	echo "- Wall time: \`date +%s%N\` around each command; CPU time (user+sys) and peak RSS (max RSS, KiB)"
	if [ -n "$GNU_TIME" ]; then
		echo "  from GNU time: \`/usr/bin/time -f '%e %U %S %M %x %w %c' CMD\`."
	else
		echo "  from polling \`/proc/PID/status\` VmHWM and \`/proc/PID/stat\` every 50 ms (GNU time missing: lower bounds)."
	fi
	echo "- packets/s = packets in the input / best wall time. × ndpiReader and × ndpi_min are packet-rate"
	echo "  ratios (= their wall time / this program's wall time): above 1 means faster than that reference."
	echo "- davy runs 3 threads (reader, worker(s), output); the anchors and ndpiReader on a file run 1."
	echo "  Wall time is what the targets are about; CPU ns/packet shows the total work, for fairness."
	echo "- Runs are interleaved (run 1 of every program, then run 2, ...). Corpus: $RUNS_SMALL runs;"
	echo "  synthetic capture: $RUNS_SYNTH runs. Best = fastest run; CPU = lowest user+sys of the runs;"
	echo "  RSS = highest of the runs. The capture is read once before timing (page cache warm for all)."
	echo "- Ir/packet: \`valgrind --tool=callgrind --collect-systime=no\` on the first $(fmt_int "$SLICE_PKTS") packets"
	echo "  of the synthetic capture, minus the same program on an empty capture (start-up: nDPI"
	echo "  initialisation), divided by $(fmt_int "$SLICE_PKTS"). callgrind's totals include all of davy's threads (the"
	echo "  default \`--separate-threads=no\` sums them into one profile). valgrind runs one thread at a"
	echo "  time, so it hardly shows the cost of davy's threads polling their queues on real cores: compare"
	echo "  CPU ns/packet for that. Per-flow work (flow set-up, records) weighs more on the slice than on"
	echo "  the whole capture, which has fewer flows per packet (see the flow counts below)."
	echo "- Input (a), the corpus: the $CORPUS_NFILES files of \`$CORPUS\` have mixed link types, and libpcap"
	echo "  reads neither a classic pcap nor a pcapng with several link types (nor pcapng with several"
	echo "  snapshot lengths). So every file is normalised to classic pcap (\`editcap -F pcap\`, or"
	echo "  \`tcprewrite\` for a pcapng that carries TLS secrets), and the files of each link type are"
	echo "  concatenated in name order (\`mergecap -a -F pcap\`) into one capture per link type. Every"
	echo "  program (davy included) then runs once per link-type capture, and the times are summed:"
	echo "  everybody pays start-up once per group, the same number of times, and reads the same bytes."
	echo "  The Ethernet group (the bulk of the corpus) is also shown alone, where start-up matters least."
	echo "  \`ndpi_min\` decodes only Ethernet, raw IP and Linux cooked captures and skips other packets."
	echo "  davy's natural use, all original files as repeated \`-r\` in one process, is shown as extra rows."
	echo
	echo "## Targets"
	echo
	if [ $HAVE_SYNTH = 1 ]; then
		summarise synth synth >"$WORK/sum.synth"
		d1=$(awk -F'\t' '$1 == "davy_w1" { print $3 }' "$WORK/sum.synth")
		nr=$(awk -F'\t' '$1 == "ndpiReader" { print $3 }' "$WORK/sum.synth")
		nm=$(awk -F'\t' '$1 == "ndpi_min" { print $3 }' "$WORK/sum.synth")
		d1s=$(awk -F'\t' '$1 == "davy_w1" { print $7 }' "$WORK/sum.synth")
		echo "On the synthetic capture ($(fmt_int "$SYNTH_COUNT") packets), wall-clock packet rates, best run:"
		echo
		echo "| target | measured | met on this run? |"
		echo "|---|---|---|"
		awk -v d="${d1:-0}" -v r="${nr:-0}" -v s="${d1s:-none}" 'BEGIN {
			if (d > 0 && r > 0 && s == "ok") printf "| davy --workers 1 ≥ 3× ndpiReader packet rate | %.2f× | %s |\n", r / d, (r / d >= 3 ? "**yes**" : "**no**")
			else print "| davy --workers 1 ≥ 3× ndpiReader packet rate | not measured | — |"
		}'
		awk -v d="${d1:-0}" -v m="${nm:-0}" -v s="${d1s:-none}" 'BEGIN {
			if (d > 0 && m > 0 && s == "ok") printf "| davy --workers 1 no more than 25%% slower than ndpi_min (wall time ≤ 1.25× ndpi_min, i.e. rate ≥ 0.80×) | wall %.2f× ndpi_min, rate %.2f× | %s |\n", d / m, m / d, (d / m <= 1.25 ? "**yes**" : "**no**")
			else print "| davy --workers 1 no more than 25% slower than ndpi_min | not measured | — |"
		}'
		echo
		echo "(The second target is read strictly: \"25% slower\" as 25% more wall time. Read as a packet rate"
		echo "at least 0.75× ndpi_min's, the verdict can only be the same or better.)"
		if [ $HAVE_VX = 1 ] && [ $HAVE_CG = 1 ]; then
			echo
			awk -v s="$(ir_gross davy_w1 slice-plain)" -v v="$(ir_gross davy_w1 slice-vxlan)" -v e="$(ir_gross davy_w1 empty)" 'BEGIN {
				if (s > e && v > e) printf "Issue 3 (overlays): Ir/packet of davy on the VXLAN-wrapped slice / on the unwrapped slice = %.3f, target ≤ 1.25 %s;\n", (v - e) / (s - e), ((v - e) / (s - e) <= 1.25 ? "**met**" : "**not met**")
				else print "Issue 3 (overlays): not measured on this run;"
			}'
			echo "see \"Overlays: VXLAN-wrapped slice\" below."
		fi
	else
		echo "Not measured: no synthetic capture on this run."
	fi
	if [ -s "$REDIS_MD" ]; then
		echo
		echo "Issue 6 (Redis output): $(grep -c '\*\*yes\*\*' "$REDIS_MD") of 2 targets met; see \"Redis output\" below."
	fi
	if [ -s "$ENRICH_MD" ]; then
		echo
		echo "Issue 7 (enrichment): $(grep -c '\*\*yes\*\*' "$ENRICH_MD") of 1 target met; see \"Enrichment\" below."
	fi
	echo

	if [ $HAVE_SYNTH = 1 ]; then
		echo "## Synthetic capture: $(fmt_int "$SYNTH_COUNT") packets"
		echo
		echo "\`$SYNTH\`, made by \`gen_synth $SYNTH $SYNTH_PKTS $SYNTH_SEED\` ($(du -m "$SYNTH" | cut -f1) MB on disk)."
		[ -s "$WORK/gen_synth.log" ] && sed 's/^/    /' "$WORK/gen_synth.log"
		echo
		table "$WORK/sum.synth" "$SYNTH_COUNT" "$HAVE_CG"
		echo
		echo "## Scaling (synthetic capture)"
		echo
		awk -F'\t' -v pk="$SYNTH_COUNT" -v np="$(nproc)" "$AWKLIB"'
		$1 == "davy_w1" { w1 = $3; c1 = $5 } $1 == "davy_w2" { w2 = $3; c2 = $5 }
		END {
			if (w1 > 0 && w2 > 0) {
				printf "| workers | packets/s | speed-up | CPU user+sys s |\n|---|---|---|---|\n"
				printf "| 1 | %s | 1.00 | %.2f |\n", commas(pk / w1), c1
				printf "| 2 | %s | %.2f | %.2f |\n\n", commas(pk / w2), w1 / w2, c2
				printf "With 2 workers davy runs 4 threads (reader, 2 workers, output) on %d CPUs.\n", np
				printf "Threads waiting on a queue poll it: 32 pauses, 16 sched_yield(), then 50 µs sleeps\n"
				printf "(sensor/queue.c, mq_backoff); a worker or the output thread waiting for input sleeps\n"
				printf "1 ms a round after 64 rounds (mq_idle). The context switches below show what that costs.\n"
			} else print "Not measured."
		}' "$WORK/sum.synth"
		echo
		if [ -n "$GNU_TIME" ]; then
			echo "| program (synthetic capture) | wall s | user s | sys s | voluntary context switches | involuntary |"
			echo "|---|---|---|---|---|---|"
			awk -F'\t' "$AWKLIB"'$1 == "synth" && $3 ~ /^(ndpi_min|ndpiReader|davy_w1|davy_w2)$/ {
				printf "| %s, run %s | %.2f | %.2f | %.2f | %s | %s |\n", $3, $4, $5 / 1e9, $6, $7, commas($11), commas($12) }' "$RAW"
			echo
		fi
	fi

	if [ $HAVE_CORPUS = 1 ]; then
		summarise corpus ether >"$WORK/sum.ether"
		summarise corpus '*' >"$WORK/sum.corpus"
		summarise corpus-r all >"$WORK/sum.corpus-r"
		echo "## Corpus, Ethernet group: $(fmt_int "$ETHER_PKTS") packets"
		echo
		echo "The $(awk -F'\t' '$1 == "ether" { print $3 }' "$WORK/corpus.counts") Ethernet files of \`$CORPUS\`, concatenated into \`$WORK/corpus/ether.pcap\`."
		echo
		table "$WORK/sum.ether" "$ETHER_PKTS" 0
		echo
		echo "## Corpus, all link types: $(fmt_int "$CORPUS_PKTS") packets"
		echo
		echo "All $CORPUS_NFILES files, as $(wc -l <"$WORK/corpus.groups") link-type captures; each program runs once per capture, times summed."
		echo "Groups (link type: packets, files): $(awk -F'\t' '{ printf "%s%s: %s, %s", (NR > 1 ? "; " : ""), $1, $2, $3 }' "$WORK/corpus.counts")."
		echo
		table "$WORK/sum.corpus" "$CORPUS_PKTS" 0
		# davy's one-process rows, against the same references
		cat "$WORK/sum.corpus" "$WORK/sum.corpus-r" | awk -F'\t' '$1 ~ /^(ndpiReader|ndpi_min|davy_all_)/' >"$WORK/sum.corpus-r2"
		table "$WORK/sum.corpus-r2" "$CORPUS_PKTS" 0 | tail -n +3 | grep '^| davy'
		echo
		if [ -s "$WORK/corpus/excluded.txt" ]; then
			echo "Left out (could not be normalised): $(tr '\n' ';' <"$WORK/corpus/excluded.txt")"
			echo
		fi
	fi

	echo "## Memory per flow"
	echo
	echo "Bytes per flow = (peak RSS on the input − peak RSS on an empty capture) / peak active flows."
	echo "davy's figures come from one extra run, \`--workers 1 -o FILE\`, reading the final"
	echo "\`event_type: stats\` record (stats.flow.peak_active, stats.flow.created); ndpi_min's from its"
	echo "\`peak_flows=\` summary line (first run's log)."
	echo
	e_davy=$(awk -F'\t' '$1 == "empty" && $3 == "davy_w1" { print $8 }' "$RAW")
	e_nm=$(awk -F'\t' '$1 == "empty" && $3 == "ndpi_min" { print $8 }' "$RAW")
	echo "| program, input | peak RSS MiB | empty-capture RSS MiB | flows created | peak active flows | bytes/flow |"
	echo "|---|---|---|---|---|---|"
	while read -r name created peak pool _nlive _pk rss; do
		awk -v n="$name" -v c="$created" -v p="$peak" -v r="$rss" -v e="${e_davy:-0}" -v pool="$pool" "$AWKLIB"'BEGIN {
			printf "| davy --workers 1, %s | %.1f | %.1f | %s | %s | %s |\n", n, r / 1024, e / 1024, commas(c), commas(p),
				(p > 0 ? sprintf("%s (flow pool alone: %s)", commas((r - e) * 1024 / p), commas(pool / p)) : "—")
		}'
	done <"$WORK/flowstats.txt"
	if [ $HAVE_ANCHORS = 1 ] && [ $HAVE_SYNTH = 1 ]; then
		# ndpi_min prints its summary (flows=, peak_flows=) on stdout
		lg=$(ls "$LOGS"/synth.synth.ndpi_min.*.out 2>/dev/null | head -n 1)
		pf=$(sed -n 's/.*peak_flows=\([0-9]*\).*/\1/p' "$lg" 2>/dev/null | head -n 1)
		fl=$(sed -n 's/.* flows=\([0-9]*\).*/\1/p' "$lg" 2>/dev/null | head -n 1)
		r=$(awk -F'\t' '$1 == "ndpi_min" { print $6 }' "$WORK/sum.synth")
		awk -v c="${fl:-0}" -v p="${pf:-0}" -v r="${r:-0}" -v e="${e_nm:-0}" "$AWKLIB"'BEGIN {
			printf "| ndpi_min, synth | %.1f | %.1f | %s | %s | %s |\n", r / 1024, e / 1024, commas(c), commas(p),
				(p > 0 ? commas((r - e) * 1024 / p) : "—")
		}'
	fi
	echo
	echo "(The flow counts differ between programs: their idle timeouts differ — ndpi_min expires"
	echo "after 30 s, davy after its per-state timeouts, see \`davy --help\`.)"
	echo

	echo "## Overlays: VXLAN-wrapped slice"
	echo
	if [ $HAVE_VX = 1 ]; then
		vx_pk=$(vx_info packets) vx_ip=$(vx_info ip_packets) vx_fl=$(vx_info flows)
		echo "Issue 3 asks that on a VXLAN-wrapped copy of the benchmark capture, instructions per packet"
		echo "stay within 25% of the unwrapped copy. \`$SLICE_VX\` is the slice above ($(fmt_int "${vx_pk:-0}") packets,"
		echo "$(fmt_int "${vx_ip:-0}") of them IP, $(fmt_int "${vx_fl:-0}") distinct inner 5-tuples) with every frame wrapped by \`$VX_WRAP\`:"
		echo "outer Ethernet + IPv4 between the nodes 192.0.2.11 and 192.0.2.12 + UDP to port 4789 (source"
		echo "port 49152 + CRC-32 of the inner flow's normalised 5-tuple mod 16384: one port per inner flow)"
		echo "+ VXLAN (I flag, VNI 4096) + the original frame: 50 bytes more per frame, timestamps kept."
		echo "The outer direction follows the inner one (inner source = the flow's lower endpoint:"
		echo ".11 → .12, otherwise .12 → .11). The unwrapped side of the comparison is \`$SLICE_PL\`,"
		echo "the same frames written unwrapped by the same code (\`--plain\`): both are classic pcap with"
		echo "microsecond timestamps, so they differ only by the overlay. (The slice itself is pcapng,"
		echo "which libpcap reads at a different cost; its row is shown for reference.)"
		if [ -n "$VX_BUILT" ]; then
			echo "Both written on this run, in $(vx_info seconds) s (wrapped) and $(sed -n 's/^seconds=//p' "$SLICE_PL.info") s (plain); cached while the slice and the wrapper are unchanged."
		else
			echo "Both reused from the cache (written by an earlier run from the same slice with the same wrapper)."
		fi
		echo
		if [ $HAVE_CG = 1 ]; then
			s=$(ir_gross davy_w1 slice) p=$(ir_gross davy_w1 slice-plain) v=$(ir_gross davy_w1 slice-vxlan) e=$(ir_gross davy_w1 empty)
			echo "Instructions, davy \`--workers 1\` under callgrind (net = minus the empty-capture start-up, as above):"
			echo
			echo "| input | Ir total | Ir on an empty capture (start-up) | Ir/packet, net | Ir/packet, gross |"
			echo "|---|---|---|---|---|"
			awk -v s="${s:-0}" -v p="${p:-0}" -v v="${v:-0}" -v e="${e:-0}" -v n="$SLICE_PKTS" \
				-v sl="$SLICE" -v sp="$SLICE_PL" -v sv="$SLICE_VX" "$AWKLIB"'BEGIN {
				if (s > 0) printf "| slice, pcapng (reference), `%s` | %s | %s | %s | %s |\n", sl, commas(s), commas(e), commas((s - e) / n), commas(s / n)
				if (p > 0) printf "| **unwrapped**, classic pcap, `%s` | %s | %s | %s | %s |\n", sp, commas(p), commas(e), commas((p - e) / n), commas(p / n)
				if (v > 0) printf "| **VXLAN-wrapped**, classic pcap, `%s` | %s | %s | %s | %s |\n", sv, commas(v), commas(e), commas((v - e) / n), commas(v / n)
			}'
			echo
			echo "| target | measured | met on this run? |"
			echo "|---|---|---|"
			# a crash under callgrind leaves a partial count: no verdict then
			vst=$(grep -c "FAILED: davy_w1 under callgrind on slice-" "$NOTES")
			awk -v p="${p:-0}" -v v="${v:-0}" -v e="${e:-0}" -v s="${s:-0}" -v n="$SLICE_PKTS" -v bad="${vst:-0}" "$AWKLIB"'BEGIN {
				t = "Issue 3: Ir/packet on the VXLAN-wrapped slice within 25% of the unwrapped slice (ratio ≤ 1.25)"
				if (p > e && v > e && bad == 0) {
					a = (p - e) / n; b = (v - e) / n
					printf "| %s | %s vs %s Ir/packet, net: ratio **%.3f** (%s%s Ir/packet, %+.1f%%)", t, commas(b), commas(a), b / a,
						(b >= a ? "+" : ""), commas(b - a), 100 * (b / a - 1)
					if (s > e) printf "; against the pcapng slice: %.3f", b / ((s - e) / n)
					printf " | %s |\n", (b / a <= 1.25 ? "**yes**" : "**no**")
				} else printf "| %s | not measured (see the notes) | — |\n", t
			}'
			echo
			if [ -f "$CG/davy_w1.slice-plain.out" ] && [ -f "$CG/davy_w1.slice-vxlan.out" ]; then
				echo "Where the difference goes: self Ir per packet (start-up included, the same on both sides),"
				echo "unwrapped vs wrapped, by shared object, then the functions whose self cost grew most."
				echo
				echo "| object | unwrapped Ir/packet | wrapped Ir/packet | difference |"
				echo "|---|---|---|---|"
				ir_by_object "$CG/davy_w1.slice-plain.out" >"$CG/obj.slice-plain.tsv"
				ir_by_object "$CG/davy_w1.slice-vxlan.out" >"$CG/obj.slice-vxlan.tsv"
				awk -F'\t' -v n="$SLICE_PKTS" "$AWKLIB"'
				FNR == NR { a[$2] = $1; if (!($2 in seen)) { seen[$2] = 1; ord[++k] = $2 } next }
				{ b[$2] = $1; if (!($2 in seen)) { seen[$2] = 1; ord[++k] = $2 } }
				END {
					for (i = 1; i <= k && i <= 6; i++) {
						o = ord[i]; nm = o; sub(/.*\//, "", nm)
						d = (b[o] - a[o]) / n
						printf "| %s | %s | %s | %s%s |\n", nm, commas(a[o] / n), commas(b[o] / n), (d >= 0 ? "+" : ""), commas(d)
					}
				}' "$CG/obj.slice-plain.tsv" "$CG/obj.slice-vxlan.tsv"
				echo
				fn_self "$CG/davy_w1.slice-plain.out" >"$CG/fn.slice-plain.tsv"
				fn_self "$CG/davy_w1.slice-vxlan.out" >"$CG/fn.slice-vxlan.tsv"
				echo '```'
				echo "Ir/packet: unwrapped   wrapped  difference  function (self cost; the 12 that grew most)"
				awk -F'\t' -v n="$SLICE_PKTS" '
				FNR == NR { a[$2] = $1; seen[$2] = 1; next }
				{ b[$2] = $1; seen[$2] = 1 }
				END { for (f in seen) printf "%.0f\t%.1f\t%.1f\t%+.1f\t%s\n", b[f] - a[f], a[f] / n, b[f] / n, (b[f] - a[f]) / n, f }' \
					"$CG/fn.slice-plain.tsv" "$CG/fn.slice-vxlan.tsv" | sort -t'	' -k1,1nr | head -n 12 |
					awk -F'\t' '{ printf "%20s %9s %11s  %s\n", $2, $3, $4, $5 }' |
					sed -E 's|/usr/lib/x86_64-linux-gnu/||; s|'"$(pwd)"'/||g; s#  \./[^ :]*/([^/ :]+:)#  \1#'
				echo '```'
				echo
			fi
		else
			echo "Instructions: not measured on this run (callgrind skipped, see the notes)."
			echo
		fi
		echo "Decoding check: one run each of davy writing its records to a file; figures from the final"
		echo "\`event_type: stats\` record."
		echo
		echo "| input | workers | status | flows (stats.flow.created) | stats.decoder.tunnelled | stats.decoder.layers.vxlan.ok | stats.decoder.errors | stats.flow.wrong_thread |"
		echo "|---|---|---|---|---|---|---|---|"
		while read -r n w st cr tu wt _pk vx er; do
			awk -v n="$n" -v w="$w" -v st="$st" -v cr="$cr" -v tu="$tu" -v wt="$wt" -v vx="$vx" -v er="$er" "$AWKLIB"'
			function c(x) { return (x ~ /^[0-9]+$/) ? commas(x) : x }
			BEGIN { printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", (n == "slice-vxlan" ? "VXLAN-wrapped" : "unwrapped"), w,
				(st == "ok" ? "ok" : "**" st "**"), c(cr), c(tu), c(vx), c(er), c(wt) }'
		done <"$WORK/overlay.txt"
		echo
		ov() { awk -v n="$1" -v w="$2" -v k="$3" '$1 == n && $2 == w { print $k }' "$WORK/overlay.txt"; }
		f1=$(ov slice-plain 1 4) fv1=$(ov slice-vxlan 1 4) fv2=$(ov slice-vxlan 2 4)
		t1=$(ov slice-vxlan 1 5) wt2=$(ov slice-vxlan 2 6)
		isnum() { case $1 in '' | *[!0-9]*) return 1 ;; esac; }
		yn() { if [ "$1" = "$2" ]; then echo "**yes**"; else echo "**no**"; fi; }
		if isnum "$f1" && isnum "$fv1"; then
			echo "- Same number of flows, unwrapped vs wrapped (\`--workers 1\`): $(yn "$f1" "$fv1") ($(fmt_int "$f1") vs $(fmt_int "$fv1"); the wrapper saw $(fmt_int "${vx_fl:-0}") distinct inner 5-tuples)."
		else
			echo "- Same number of flows, unwrapped vs wrapped: not known (a run failed)."
		fi
		if isnum "$t1" && isnum "$vx_ip"; then
			echo "- Every IP packet of the wrapped slice counted as tunnelled: $(yn "$t1" "$vx_ip") (stats.decoder.tunnelled $(fmt_int "$t1"), IP packets $(fmt_int "$vx_ip"))."
		else
			echo "- Every IP packet of the wrapped slice counted as tunnelled: not known (a run failed)."
		fi
		if isnum "$wt2"; then
			echo "- \`--workers 2\` on the wrapped slice, stats.flow.wrong_thread = 0: $(yn "$wt2" 0) ($(fmt_int "$wt2"); flows $(fmt_int "${fv2:-0}"))."
		else
			echo "- \`--workers 2\` on the wrapped slice, stats.flow.wrong_thread = 0: not known (the run failed)."
		fi
	else
		echo "Not measured on this run (see the notes)."
	fi
	echo

	if [ $HAVE_CG = 1 ]; then
		echo "## Instruction profile (callgrind, first $(fmt_int "$SLICE_PKTS") packets of the synthetic capture)"
		echo
		echo "| program | Ir total | Ir on an empty capture (start-up) | Ir/packet, net | Ir/packet, gross |"
		echo "|---|---|---|---|---|"
		for p in davy_w1 ndpi_min pcap_floor; do
			s=$(ir_gross $p slice) e=$(ir_gross $p empty)
			[ -n "$s" ] || continue
			awk -v lab="$(label $p)" -v s="$s" -v e="${e:-0}" -v n="$SLICE_PKTS" "$AWKLIB"'BEGIN {
				printf "| %s | %s | %s | %s | %s |\n", lab, commas(s), commas(e), commas((s - e) / n), commas(s / n) }'
		done
		echo
		for p in davy_w1 ndpi_min; do
			f=$CG/$p.slice.out
			[ -f "$f" ] || continue
			echo "### $(label $p): Ir by shared object (self cost, per packet, start-up included)"
			echo
			echo "| object | Ir | Ir/packet | share |"
			echo "|---|---|---|---|"
			tot=$(ir_gross $p slice)
			ir_by_object "$f" | head -n 8 | awk -F'\t' -v n="$SLICE_PKTS" -v t="$tot" "$AWKLIB"'{
				o = $2; sub(/.*\//, "", o)
				printf "| %s | %s | %s | %.1f%% |\n", o, commas($1), commas($1 / n), 100 * $1 / t }'
			echo
			echo "### $(label $p): top 15 functions by self Ir"
			echo
			echo '```'
			callgrind_annotate "$f" 2>/dev/null | grep -E '^ *[0-9,]+ \( *[0-9.]+%\)' | grep -v 'PROGRAM TOTALS' | head -n 15 |
				sed -E 's|/usr/lib/x86_64-linux-gnu/||; s|'"$(pwd)"'/||g; s#  \./[^ :]*/([^/ :]+:)#  \1#'
			echo '```'
			echo
		done
		if [ -f "$CG/davy_w1.slice.out" ]; then
			echo "### davy: inclusive Ir of its own functions (where the worker's time goes), top 20"
			echo
			echo '```'
			callgrind_annotate --inclusive=yes "$CG/davy_w1.slice.out" 2>/dev/null | grep -E '^ *[0-9,]+ \( *[0-9.]+%\)' |
				grep -E "$(basename "$DAVY")\]|ndpi_detection_process_packet|pcap_next_ex" | head -n 20 |
				sed 's|/usr/lib/x86_64-linux-gnu/||; s|'"$(pwd)"'/||g'
			echo '```'
			echo
		fi
	fi

	[ -s "$IOC_MD" ] && cat "$IOC_MD"
	[ -s "$REDIS_MD" ] && cat "$REDIS_MD"
	[ -s "$ENRICH_MD" ] && cat "$ENRICH_MD"
	[ -s "$LIVE_MD" ] && cat "$LIVE_MD"

	echo "## Notes from this run"
	echo
	if [ -s "$NOTES" ]; then sed 's/^/- /' "$NOTES"; else echo "- none"; fi
	if [ $FAILED = 1 ]; then
		echo "- **Some program crashed or could not run on this run** (see the status columns and \`$LOGS\`)."
	fi
	echo
	echo "## How to reproduce"
	echo
	echo '```sh'
	echo "make bench      # = make deps; make all; sh bench/run.sh  (from the project root)"
	echo
	echo "# anchors, compiled from $ANCH_SRC"
	echo "cc -O2 -o $ANCH/pcap_floor $ANCH_SRC/pcap_floor.c -lpcap"
	echo "cc -O2 -o $ANCH/ndpi_min $ANCH_SRC/ndpi_min.c \$(pkg-config --cflags --libs libndpi) -lpcap"
	echo "cc -O2 -o $ANCH/gen_synth $ANCH_SRC/gen_synth.c -lpcap -lm"
	echo
	echo "# inputs"
	echo "$ANCH/gen_synth $SYNTH $SYNTH_PKTS $SYNTH_SEED          # cached while the parameters are the same"
	echo "editcap -r $SYNTH $SLICE 1-$SLICE_PKTS"
	echo "capinfos -T -r -E $CORPUS/*                               # link type of each file"
	echo "editcap -F pcap FILE $WORK/corpus/norm/FILE.pcap  ||  tcprewrite --infile=FILE --outfile=$WORK/corpus/norm/FILE.pcap"
	echo "mergecap -a -F pcap -w $WORK/corpus/LINKTYPE.pcap  NORMALISED FILES OF THAT LINK TYPE (name order)"
	printf '%s\n' "printf '\\324\\303\\262\\241\\002\\000\\004\\000\\000\\000\\000\\000\\000\\000\\000\\000\\377\\377\\000\\000\\001\\000\\000\\000' > $EMPTY"
	echo
	echo "# each timed as: t0=\$(date +%s%N); /usr/bin/time -f '%e %U %S %M %x %w %c' CMD; t1=\$(date +%s%N)"
	echo "# FILE = $SYNTH, or each $WORK/corpus/LINKTYPE.pcap in turn"
	echo "$ANCH/pcap_floor FILE"
	echo "$ANCH/ndpi_min -o /dev/null FILE"
	echo "ndpiReader -i FILE -q > /dev/null"
	echo "$DAVY --workers 1 -o /dev/null -q --no-progress -r FILE"
	echo "$DAVY --workers 2 -o /dev/null -q --no-progress -r FILE"
	echo "$DAVY --workers 1 -o /dev/null -q --no-progress -r $CORPUS/FILE1 -r $CORPUS/FILE2 ...   # all files, name order"
	echo
	echo "# memory per flow"
	echo "$DAVY --workers 1 -o $WORK/stats-synth.json -q --no-progress -r $SYNTH   # then: tail -n 1 ... | jq .stats.flow"
	echo "$DAVY --workers 1 -o /dev/null -q --no-progress -r $EMPTY"
	echo "$ANCH/ndpi_min -o /dev/null $EMPTY"
	echo
	echo "# instructions (also with $EMPTY in place of $SLICE, for the start-up cost)"
	echo "valgrind --tool=callgrind --collect-systime=no --callgrind-out-file=$CG/davy_w1.slice.out $DAVY --workers 1 -o /dev/null -q --no-progress -r $SLICE"
	echo "valgrind --tool=callgrind --collect-systime=no --callgrind-out-file=$CG/ndpi_min.slice.out $ANCH/ndpi_min -o /dev/null $SLICE"
	echo "valgrind --tool=callgrind --collect-systime=no --callgrind-out-file=$CG/pcap_floor.slice.out $ANCH/pcap_floor $SLICE"
	echo "callgrind_annotate $CG/davy_w1.slice.out; callgrind_annotate --inclusive=yes $CG/davy_w1.slice.out"
	echo
	echo "# overlays (issue 3): the slice wrapped in VXLAN, cached while the slice and the wrapper are the same"
	echo "python3 $VX_WRAP $SLICE $SLICE_VX $SLICE_VX.info           # INFO: packets=, ip_packets=, flows="
	echo "python3 $VX_WRAP --plain $SLICE $SLICE_PL $SLICE_PL.info   # the unwrapped twin, same container"
	echo "valgrind --tool=callgrind --collect-systime=no --callgrind-out-file=$CG/davy_w1.slice-plain.out $DAVY --workers 1 -o /dev/null -q --no-progress -r $SLICE_PL"
	echo "valgrind --tool=callgrind --collect-systime=no --callgrind-out-file=$CG/davy_w1.slice-vxlan.out $DAVY --workers 1 -o /dev/null -q --no-progress -r $SLICE_VX"
	echo "#   net Ir/packet = (Ir on the input - Ir on $EMPTY) / $SLICE_PKTS; ratio = wrapped / unwrapped"
	echo "$DAVY --workers 1 -o $WORK/overlay-slice-plain-w1.json -q --no-progress -r $SLICE_PL"
	echo "$DAVY --workers 1 -o $WORK/overlay-slice-vxlan-w1.json -q --no-progress -r $SLICE_VX"
	echo "$DAVY --workers 2 -o $WORK/overlay-slice-plain-w2.json -q --no-progress -r $SLICE_PL"
	echo "$DAVY --workers 2 -o $WORK/overlay-slice-vxlan-w2.json -q --no-progress -r $SLICE_VX"
	echo "#   then, in each: tail -n 1 FILE | jq '.stats | [.flow.created, .decoder.tunnelled, .flow.wrong_thread]'"
	echo
	echo "# live capture (issue 8), as root"
	echo "python3 bench/live_bench.py $DAVY $SLICE 2 $LIVE_RATES"
	echo '```'
	echo
	echo "Raw measurements of every run: \`$RAW\` (input, group, program, run, wall ns, user s, sys s, max RSS KiB, exit code, status, voluntary and involuntary context switches); logs in \`$LOGS\`."
} >"$RESULTS"

say "wrote $RESULTS (total ${ELAPSED} s)"
if [ $FAILED = 1 ]; then
	say "some program crashed or could not run: see $RESULTS and $LOGS"
	exit 1
fi
exit 0
