#!/usr/bin/env bash
# Makes sure Debian's Chromium is there for the browser tests: `npm test` is the one set-up command on a
# fresh Debian machine, so it installs the package when it is missing (playwright-core downloads none).
set -euo pipefail
CHROMIUM=/usr/bin/chromium
[[ -x $CHROMIUM ]] && exit 0
if command -v apt-get >/dev/null && ((EUID == 0)); then
  echo "installing Debian's chromium for the browser tests" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
[[ -x $CHROMIUM ]] || { echo "browser tests need $CHROMIUM: apt-get install chromium" >&2; exit 1; }
