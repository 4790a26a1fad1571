#!/bin/sh
# Make sure Debian's Prometheus (prometheus and promtool) is installed for the monitoring
# tests (tests/monitoring: `promtool check rules`, `promtool test rules`, and a real
# Prometheus scraping two Washline processes).
#
# The tests start their own `prometheus` on a free port with their own config and data
# directory; the service the Debian package may start on :9090 is never used. When a binary
# is missing:
#   - as root: install the package with apt-get;
#   - otherwise: print what to install, and fail when CI=true (the monitoring tests must run
#     in CI, never skip); outside CI only warn, the tests will fail with the same hint.
set -eu

if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
    exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure_prometheus: prometheus/promtool missing, installing Debian's prometheus package" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends prometheus
    if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
        exit 0
    fi
    echo "ensure_prometheus: apt-get finished but prometheus or promtool is still missing" >&2
    exit 1
fi

echo "ensure_prometheus: prometheus or promtool is missing. Install them with:" >&2
echo "    sudo apt-get update && sudo apt-get install -y --no-install-recommends prometheus" >&2
if [ "${CI:-}" = "true" ]; then
    exit 1
fi
echo "ensure_prometheus: continuing; the monitoring tests will fail until it is installed" >&2
exit 0
