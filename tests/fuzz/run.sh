#!/bin/sh
# run.sh DIR SECONDS TARGET... - runs each libFuzzer target DIR/TARGET for
# SECONDS seconds, starting from the seed corpus tests/fuzz/corpus/TARGET.
#
# New inputs go to a fresh temporary directory (removed afterwards), so the
# committed seeds are never modified. Crash, leak, timeout and out-of-memory
# inputs are kept in DIR/artifacts/TARGET/, the full output in
# DIR/TARGET.log. Prints one line per target, then "N passed, N failed";
# exits 1 if any target failed (crashed, or could not run), 2 on bad usage.
set -u

usage() {
	echo "usage: $0 DIR SECONDS TARGET..." >&2
	exit 2
}
[ $# -ge 3 ] || usage
dir=$1
secs=$2
shift 2
case $secs in
'' | *[!0-9]*) usage ;;
esac
[ "$secs" -gt 0 ] || usage # libFuzzer takes 0 as "no limit"

here=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0
work=
# an interrupted run leaves no temporary corpus behind
trap 'if [ -n "$work" ]; then rm -rf "$work"; fi' EXIT
trap 'exit 130' INT TERM

# stat NAME LOG: the value of libFuzzer's final "stat::NAME: value" line
stat() {
	sed -n "s/^stat::$1: *\\([0-9][0-9]*\\).*/\\1/p" "$2" | tail -n 1
}

for t in "$@"; do
	bin=$dir/$t
	seeds=$here/corpus/$t
	log=$dir/$t.log
	art=$dir/artifacts/$t
	if [ ! -x "$bin" ]; then
		echo "$t: FAILED: no executable $bin"
		failed=$((failed + 1))
		continue
	fi
	if [ ! -d "$seeds" ]; then
		echo "$t: FAILED: no seed corpus $seeds"
		failed=$((failed + 1))
		continue
	fi
	mkdir -p "$art" || exit 2
	work=$(mktemp -d "${TMPDIR:-/tmp}/davy-fuzz-$t.XXXXXX") || exit 2

	start=$(date +%s)
	"$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$art/" \
		"$work" "$seeds" >"$log" 2>&1
	rc=$?
	end=$(date +%s)
	rm -rf "$work"
	work=

	runs=$(stat number_of_executed_units "$log")
	[ -n "$runs" ] || runs=0
	el=$((end - start))
	# "artifact_prefix='...'; Test unit written to PATH"
	crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)

	if [ "$rc" -eq 0 ] && [ -z "$crash" ]; then
		echo "$t: $runs runs in $el s, no crash"
		passed=$((passed + 1))
	else
		echo "$t: CRASH (exit $rc) after $runs runs in $el s"
		if [ -n "$crash" ]; then
			echo "$t: crashing input: $crash"
			echo "$t: reproduce: $bin $crash"
		fi
		echo "$t: full output: $log; its end:"
		# the sanitizer report (or the last lines when there is none)
		pat='^fuzz[a-z_]*: \|^==[0-9]*== *ERROR\|runtime error:'
		if grep -q "$pat" "$log"; then
			sed -n "/$pat/,/^SUMMARY:/p" "$log" | head -n 60
		else
			tail -n 30 "$log"
		fi
		failed=$((failed + 1))
	fi
done

echo "fuzz: $passed passed, $failed failed"
[ -n "${DAVY_SUMMARY:-}" ] && echo "fuzz: $passed passed, $failed failed" > "$DAVY_SUMMARY"
[ "$failed" -eq 0 ]
