#!/bin/sh
# deps.sh - installs the Debian bookworm packages davy builds, tests and
# benchmarks with, if any is missing. Idempotent and quick when all are
# present (one dpkg-query). Runs apt-get as root, or through sudo.
set -eu

PKGS="make gcc clang pkg-config
libpcap-dev libndpi-dev libndpi-bin libck-dev libjson-c-dev libyaml-dev
liburcu-dev libssl-dev libhiredis-dev libmaxminddb-dev libcmocka-dev libmicrohttpd-dev
redis-server tcpreplay tcpdump python3 python3-scapy python3-jsonschema python3-yaml tshark
libmaxmind-db-writer-perl
valgrind time"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && { echo "deps: all present"; exit 0; }

echo "deps: installing:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "deps: not root and no sudo; install these packages:$missing" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no, without a prompt
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections 2>/dev/null || true
$SUDO apt-get update -q >/dev/null || { echo "deps: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null || {
	echo "deps: apt-get install failed for:$missing" >&2
	exit 1
}
echo "deps: installed:$missing"
