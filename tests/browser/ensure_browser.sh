#!/usr/bin/env bash
# Make sure Debian's Chromium is on this machine for the browser tests.
#
# Idempotent: does nothing when /usr/bin/chromium exists. Playwright (the
# Python package, a dev dependency) drives this Chromium through its
# executable path; no browser is ever downloaded (`playwright install` is
# never run). Installing needs root (apt-get); without root and without
# Chromium it says what to run and fails.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [[ -x "$CHROMIUM" ]]; then
    exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
    echo "ensure_browser: $CHROMIUM is missing; as root run: apt-get install -y chromium fonts-liberation" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends chromium fonts-liberation; then
    # A fresh machine may have no package lists yet.
    apt-get update
    apt-get install -y --no-install-recommends chromium fonts-liberation
fi

if [[ ! -x "$CHROMIUM" ]]; then
    echo "ensure_browser: apt-get finished but $CHROMIUM is still missing" >&2
    exit 1
fi
echo "ensure_browser: $("$CHROMIUM" --version 2>/dev/null || echo chromium) installed"
