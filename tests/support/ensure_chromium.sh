#!/bin/sh
# Make sure Debian's Chromium is installed for the browser tests (tests/browser).
#
# The browser tests drive the system Chromium at /usr/bin/chromium through Playwright;
# Playwright's own browser download is never used (no network access to its CDN is assumed,
# and one browser per machine is enough). When Chromium is missing:
#   - as root: install it with apt-get;
#   - otherwise: print what to install, and fail when CI=true (the browser tests must run
#     in CI, never skip); outside CI only warn, the browser tests will fail with the same hint.
set -eu

CHROMIUM="${WASHLINE_CHROMIUM:-/usr/bin/chromium}"

if [ -x "$CHROMIUM" ]; then
    exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure_chromium: $CHROMIUM missing, installing Debian's chromium package" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium
    if [ -x "$CHROMIUM" ]; then
        exit 0
    fi
    echo "ensure_chromium: apt-get finished but $CHROMIUM is still missing" >&2
    exit 1
fi

echo "ensure_chromium: $CHROMIUM is missing. Install it with:" >&2
echo "    sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium" >&2
if [ "${CI:-}" = "true" ]; then
    exit 1
fi
echo "ensure_chromium: continuing; the browser tests will fail until it is installed" >&2
exit 0
