#!/usr/bin/env bash
# Installs the macro benchmark's tools (load generator and reference proxies) from Debian when missing.
# Runs as root (the bench machine); with sudo otherwise. Safe to run repeatedly.
set -euo pipefail

# command → Debian package
declare -A wanted=([wrk]=wrk [nginx]=nginx-light [haproxy]=haproxy [caddy]=caddy [taskset]=util-linux)

missing=()
for cmd in "${!wanted[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [[ -x /usr/sbin/$cmd ]] || missing+=("${wanted[$cmd]}")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)

"${sudo[@]}" apt-get update -qq
installable=()
for pkg in "${missing[@]}"; do
  # caddy is only in newer Debian releases; the bench runs without it where it is absent.
  # (captured first: with pipefail, grep -q closing the pipe early would fail the test)
  policy_out=$(apt-cache policy "$pkg" 2>/dev/null)
  if grep -q 'Candidate: [0-9]' <<<"$policy_out"; then
    installable+=("$pkg")
  else
    echo "bench/setup.sh: $pkg has no install candidate here, skipping it" >&2
  fi
done
[[ ${#installable[@]} -eq 0 ]] && exit 0

# The packages' own services are not wanted: the bench starts each proxy with its own config.
# policy-rc.d 101 stops maintainer scripts from starting them where an init system is present.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod +x "$policy"
  created_policy=1
fi
trap '[[ $created_policy -eq 1 ]] && "${sudo[@]}" rm -f "$policy"' EXIT

DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${installable[@]}"
