#!/usr/bin/env bash
# Starts one node's daemons. Runs inside the node's network namespace and in the mount namespace
# that `ip netns exec` made (rig.sh has already put it in the node's cgroup):
#   launcher.sh all I      prepare the mount namespace, start containerd, then dockerd
#   launcher.sh dockerd I  start dockerd only (entered with nsenter into containerd's namespaces)
# containerd and dockerd must share one mount namespace, or runc cannot find the container's files.
set -euo pipefail
# shellcheck source=/dev/null
source "$(dirname "$0")/common.sh"

mode=$1 i=$2
dir=$(node_dir "$i")

prepare_mounts() {
  # `ip netns exec` remounted /sys, which hid the cgroup hierarchies; mount them again.
  mount -t tmpfs -o mode=755 cgroup_root /sys/fs/cgroup
  local fstype target opts
  while read -r fstype target opts; do
    mkdir -p "$target"
    mount -t "$fstype" -o "$opts" "$fstype" "$target"
  done <<<"$RIG_CGROUP_MOUNTS"
  # Own engine identity (key.json) per node, and private runtime dirs: containerd's shim sockets
  # live under the fixed /run/containerd, whatever its config says.
  mkdir -p /etc/docker /run/containerd /run/docker
  mount --bind "$dir/etc-docker" /etc/docker
  mount -t tmpfs -o mode=711 run_containerd /run/containerd
  mount -t tmpfs -o mode=711 run_docker /run/docker
  hostname "$(node_hostname "$i")"
}

start_containerd() {
  containerd --config "$dir/containerd.toml" </dev/null >>"$dir/containerd.log" 2>&1 &
  echo $! >"$dir/containerd.pid"
  wait_until 30 test -S /run/containerd/containerd.sock || die "node $i: containerd did not start (see $dir/containerd.log)"
}

start_dockerd() {
  DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 dockerd \
    --config-file "$dir/daemon.json" \
    --data-root "$dir/docker" \
    --exec-root /run/docker \
    --pidfile "$dir/dockerd.pid" \
    -H "unix://$(node_sock "$i")" \
    --containerd /run/containerd/containerd.sock \
    --storage-driver overlay2 \
    --iptables=true \
    --cgroup-parent "/$(node_cgroup "$i")" \
    </dev/null >>"$dir/dockerd.log" 2>&1 &
}

case $mode in
all)
  prepare_mounts
  start_containerd
  start_dockerd
  ;;
dockerd) start_dockerd ;;
*) die "launcher: unknown mode $mode" ;;
esac
