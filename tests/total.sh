#!/bin/sh
# total.sh SUMMARY... - adds up the 'NAME: N passed, N failed[, N skipped]'
# lines that each stage of `make test` left in its summary file, and prints
# the grand total as the closing line. Exits non-zero if a stage is missing
# or anything failed.
set -u
pass=0 fail=0 skip=0
for f in "$@"; do
	if [ ! -s "$f" ]; then
		echo "total: stage summary $f is missing"
		fail=$((fail + 1))
		continue
	fi
	line=$(tail -n 1 "$f")
	echo "  $line"
	p=$(echo "$line" | sed -nE 's/.*: ([0-9]+) passed.*/\1/p')
	f_=$(echo "$line" | sed -nE 's/.* ([0-9]+) failed.*/\1/p')
	s=$(echo "$line" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
	pass=$((pass + ${p:-0})); fail=$((fail + ${f_:-1})); skip=$((skip + ${s:-0}))
done
if [ "$skip" -ne 0 ]; then
	echo "test: $pass passed, $fail failed, $skip skipped"
else
	echo "test: $pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
