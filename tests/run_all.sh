#!/bin/sh
# run_all.sh BUILD - runs every suite against the binaries in BUILD and adds
# up their results. Each suite prints 'NAME: N passed, N failed[, N skipped]'
# (cmocka's own summary is read for the unit tests). Ends with the total line
# 'N passed, N failed' and exits non-zero if anything failed.
set -u
# SUITES: the suites to run (default: all); `make test-tsan` runs the ones
# that exercise davy's threads.
SUITES=${SUITES:-"unit cli config golden ioc reload redis correlate geo pods live deploy corpus"}
BUILD=${1:-build}
DAVY=$BUILD/davy
PY=/usr/bin/python3
LOG=$(mktemp -d "${TMPDIR:-/tmp}/davy-tests.XXXXXX")
trap 'rm -rf "$LOG"' EXIT

pass=0 fail=0 skip=0 bad_suites=""

# add_summary FILE SUITE RC: reads the suite's summary line out of FILE
add_summary() {
	line=$(grep -E "^$2: [0-9]+ passed, [0-9]+ failed" "$1" | tail -n 1)
	if [ -z "$line" ]; then
		echo "run_all: suite $2 printed no summary (exit $3)"
		fail=$((fail + 1)); bad_suites="$bad_suites $2"; return
	fi
	p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	s=$(echo "$line" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + ${s:-0}))
	if [ "$f" -ne 0 ] || [ "$3" -ne 0 ]; then
		bad_suites="$bad_suites $2"
		[ "$f" -eq 0 ] && fail=$((fail + 1))
	fi
}

want() { case " $SUITES " in *" $1 "*) return 0;; esac; return 1; }

want unit && echo "== unit tests ($BUILD)"
want unit && for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	"$t" > "$LOG/$name" 2>&1; rc=$?
	p=$(sed -nE 's/^\[  PASSED  \] ([0-9]+) test.*/\1/p' "$LOG/$name" | tail -n 1)
	f=$(sed -nE 's/^\[  FAILED  \] ([0-9]+) test.*/\1/p' "$LOG/$name" | tail -n 1)
	echo "$name: ${p:-0} passed, ${f:-0} failed" >> "$LOG/$name"
	[ "$rc" -ne 0 ] && cat "$LOG/$name"
	add_summary "$LOG/$name" "$name" "$rc"
	tail -n 1 "$LOG/$name"
done

run_suite() { # NAME COMMAND...
	name=$1; shift
	want "$name" || return 0
	echo "== $name"
	"$@" > "$LOG/$name" 2>&1; rc=$?
	grep -E '^(FAIL|SKIP) ' "$LOG/$name"
	add_summary "$LOG/$name" "$name" "$rc"
	grep -E "^$name: [0-9]+ passed" "$LOG/$name" | tail -n 1
	[ "$rc" -ne 0 ] && ! grep -qE "^$name: " "$LOG/$name" && tail -n 30 "$LOG/$name"
}

run_suite cli $PY tests/cli_test.py "$DAVY"
run_suite config $PY tests/config_test.py "$DAVY"
run_suite golden $PY tests/golden_test.py "$DAVY"
run_suite ioc $PY tests/ioc_golden_test.py "$DAVY"
run_suite reload $PY tests/reload_test.py "$DAVY"
run_suite redis $PY tests/redis_test.py "$DAVY"
run_suite correlate $PY tests/correlate_test.py "$DAVY"
run_suite geo $PY tests/geo_test.py "$DAVY"
run_suite pods $PY tests/pods_test.py "$DAVY"
run_suite live $PY tests/live_test.py "$DAVY"
run_suite deploy $PY tests/deploy_test.py "$DAVY"
run_suite corpus $PY tests/corpus/corpus_test.py "$DAVY"

echo
if [ -n "$bad_suites" ]; then
	echo "failing suites:$bad_suites"
fi
total="$pass passed, $fail failed"
[ "$skip" -ne 0 ] && total="$total, $skip skipped"
echo "$total"
# for the grand total of `make test` (tests/total.sh)
echo "$BUILD: $total" > "$BUILD/test-summary"
[ "$fail" -eq 0 ]
