#!/usr/bin/env bash
# Make sure Graphviz's `dot` is on this machine: `%kklab map` and `kklab map` draw with it.
#
# Idempotent: does nothing when `dot` is on PATH. As root it installs Debian's
# `graphviz` package; otherwise it says how to install it and succeeds anyway,
# because the course works without it (the map is then shown as a text outline).
set -euo pipefail

if command -v dot >/dev/null 2>&1; then
    exit 0
fi

if [[ "$(id -u)" -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_graphviz: Graphviz is not installed, so maps are shown as text;" \
        "to draw them: sudo apt install graphviz (Debian/Ubuntu) or brew install graphviz (macOS)" >&2
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends graphviz; then
    # A fresh machine may have no package lists yet.
    apt-get update
    apt-get install -y --no-install-recommends graphviz
fi

if ! command -v dot >/dev/null 2>&1; then
    echo "ensure_graphviz: apt-get finished but \`dot\` is still missing" >&2
    exit 1
fi
echo "ensure_graphviz: $(dot -V 2>&1) installed"
