#!/usr/bin/env bash
# Usage: test/node-test.sh DIR [node --test options...]
# Runs node's test runner on every compiled test file (*.test.js) under DIR. A file list works on
# every Node: Node 20 takes a directory but expands no glob, Node 22 and later take globs but no
# directory.
set -euo pipefail
dir=${1:?usage: test/node-test.sh DIR [node --test options...]}
shift
mapfile -t files < <(find "$dir" -name '*.test.js' -type f | sort)
if ((${#files[@]} == 0)); then
  echo "node-test.sh: no *.test.js under $dir (run npm run build first)" >&2
  exit 1
fi
exec node --test "$@" "${files[@]}"
