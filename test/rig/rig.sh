#!/usr/bin/env bash
# swarmgate's multi-node Docker Swarm test rig: one containerd + dockerd per node, each node in its own
# network namespace on one bridge, images built from the host's files. Usage: see usage() or README.md.
set -euo pipefail
# Root's tools (dockerd, runc, iptables) even when the caller's PATH lacks the sbin dirs.
export PATH=$PATH:/usr/sbin:/sbin
here=$(dirname "${BASH_SOURCE[0]}")
for lib in common net cgroup node swarm images state; do
  # shellcheck source=/dev/null
  source "$here/lib/$lib.sh"
done
export SG_RIG_ID=$RIG_ID # launcher.sh derives the same names

usage() {
  cat <<EOF
usage: [SG_RIG_ID=N] $0 COMMAND
  up [--nodes N] [--managers M]   bring a rig up (default 3 nodes, 1 manager); reuses a healthy one
  down                            stop and remove everything of this rig (the image cache stays)
  status                          print nodes; exit 0 only if every node is Ready
  images                          (re)build if inputs changed, and load all images on every node
  image rig|swarmgate             the same for one set of images
  node-stop I | node-kill I | node-start I      SIGTERM the daemons / SIGKILL the whole node / start it
  node-freeze I | node-thaw I     freeze / thaw every process of node I
  dockerd-restart I               restart node I's dockerd only (containerd keeps running)
  link-cut I | link-heal I        take node I's link down / up
  docker I ARGS...                run /usr/bin/docker against node I
State: $RIG_JSON
EOF
}

lock() {
  mkdir -p "$RIG_STATE_ROOT"
  exec 9>"$RIG_STATE_ROOT/$RIG_ID.lock"
  flock -w 900 9 || die "timed out waiting for another rig command (lock $RIG_STATE_ROOT/$RIG_ID.lock)"
}

RIG_PACKAGES=(docker.io iptables busybox-static iproute2)

missing_tools() {
  local c
  for c in "$DOCKER" dockerd containerd containerd-shim-runc-v2 runc ip iptables unshare nsenter setsid \
    flock /usr/bin/busybox node ldd; do
    command -v "$c" >/dev/null || echo "$c"
  done
}

preflight() {
  local missing
  ((EUID == 0)) || die "the rig needs root"
  missing=$(missing_tools)
  # `npm test` is the one set-up command on a fresh Debian machine, so the rig installs its own packages.
  if [[ -n $missing ]] && command -v apt-get >/dev/null; then
    log "installing ${RIG_PACKAGES[*]} (missing: $(echo $missing))"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${RIG_PACKAGES[@]}" >/dev/null
    missing=$(missing_tools)
  fi
  [[ -z $missing ]] || die "missing tools: $(echo $missing) (apt-get install ${RIG_PACKAGES[*]})"
  [[ -d $CG/pids ]] || die "the rig needs the cgroup v1 pids hierarchy at $CG/pids"
}

# Removes everything a rig of this id has or left: processes (even of a crashed session), cgroups,
# network, mounts, state. Safe on a clean machine. WHY says what for, in the log.
clean() {
  local why=$1 ns pids found
  found=$( (
    [[ -d $STATE ]] && echo state
    cg_empty "$CGROUP_ROOT" || echo processes
    ip link show "$BRIDGE" >/dev/null 2>&1 && echo network
  ) | tr '\n' ' ' || true)
  [[ -z $found ]] || log "$why: $found"
  # Anything inside one of our node namespaces is ours, even if it escaped the cgroups.
  for ns in $(ip netns list | awk -v re="^${NAME_PREFIX}n[0-9]+\$" '$1 ~ re {print $1}'); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    # shellcheck disable=SC2086 # one PID per word
    [[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
  done
  cg_kill "$CGROUP_ROOT"
  [[ $found != *processes* ]] || log "processes stopped"
  cg_remove "$CGROUP_ROOT"
  net_down
  awk -v p="$STATE/" 'index($2, p) == 1 {print $2}' /proc/self/mounts | sort -r | xargs -r -n1 umount -l
  rm -rf "$STATE"
}

parse_shape() { # sets N M from --nodes/--managers
  N=3 M=1
  while (($#)); do
    case $1 in
    --nodes) N=${2:?--nodes needs a number} && shift 2 ;;
    --managers) M=${2:?--managers needs a number} && shift 2 ;;
    *) die "up: unknown option $1" ;;
    esac
  done
  [[ $N =~ ^[0-9]+$ && $M =~ ^[0-9]+$ ]] && ((N >= 1 && N <= 20 && M >= 1 && M <= N)) ||
    die "up: need 1 <= managers <= nodes <= 20 (got --nodes $N --managers $M)"
}

cmd_up() {
  local i pids=() img
  parse_shape "$@"
  lock
  if rig_is_up "$N" "$M"; then
    images_rig "$N"
    images_swarmgate "$N"
    log "rig $RIG_ID already up: $N nodes ($M managers), state $RIG_JSON"
    return
  fi
  preflight
  clean "removing leftovers"
  mkdir -p "$STATE"
  shape_write "$N" "$M"
  net_up "$N"
  log "network $SUBNET on $BRIDGE"
  for ((i = 1; i <= N; i++)); do
    node_files "$i"
    node_start "$i" &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || die "a node failed to start"; done
  for ((i = 1; i <= N; i++)); do node_wait "$i"; done
  log "dockerd up on $N nodes"
  # Images load while the swarm forms; they are independent.
  (
    images_rig "$N"
    images_swarmgate "$N"
  ) &
  img=$!
  swarm_form "$N" "$M"
  wait_until 60 swarm_healthy "$N" "$M" || die "swarm not Ready after 60 s: $(swarm_nodes 2>&1 | tr '\n' ';')"
  log "swarm Ready: $N nodes, $M managers"
  wait "$img" || die "images failed"
  state_write "$N" "$M"
  log "rig $RIG_ID up, state $RIG_JSON"
}

cmd_down() {
  lock
  clean "removing"
  log "rig $RIG_ID down"
}

cmd_status() {
  local i ok=0 nodes state
  shape_read && [[ -f $RIG_JSON ]] || {
    echo "rig $RIG_ID: down"
    return 1
  }
  nodes=$(swarm_nodes 2>/dev/null || true)
  for ((i = 1; i <= RIG_N; i++)); do
    if ! node_answers "$i"; then
      state="daemon-down"
    else
      state=$(awk -v h="$(node_hostname "$i")" '$1 == h {print $2 "/" $3}' <<<"$nodes")
    fi
    [[ $state == Ready/Active ]] || ok=1
    printf '%-6s %-14s %-12s %-8s %s\n' "$(node_name "$i")" "$(node_hostname "$i")" "$(node_ip "$i")" \
      "$(node_role "$i" "$RIG_M")" "${state:-unknown}"
  done
  return "$ok"
}

# Commands on node I of a running rig.
cmd_node() {
  local cmd=$1 i=${2:-}
  lock
  shape_read || die "rig $RIG_ID is not up"
  [[ $i =~ ^[0-9]+$ ]] && ((i >= 1 && i <= RIG_N)) || die "$cmd: node index must be 1..$RIG_N"
  case $cmd in
  node-stop) node_stop "$i" ;;
  node-kill) node_kill "$i" ;;
  node-start) node_start "$i" && node_wait "$i" ;;
  node-freeze) cg_freeze "$(node_cgroup "$i")" FROZEN ;;
  node-thaw) cg_freeze "$(node_cgroup "$i")" THAWED ;;
  dockerd-restart) node_restart_dockerd "$i" ;;
  link-cut) link_set "$i" down ;;
  link-heal) link_set "$i" up ;;
  esac
  log "$cmd $i done"
}

cmd_images() { # all | rig | swarmgate
  lock
  shape_read && [[ -f $RIG_JSON ]] || die "rig $RIG_ID is not up"
  case $1 in
  all | rig) images_rig "$RIG_N" ;;&
  all | swarmgate) images_swarmgate "$RIG_N" ;;
  rig) ;;
  *) die "image: expected rig or swarmgate, got '$1'" ;;
  esac
  log "images ready on $RIG_N nodes"
}

cmd=${1:-}
(($#)) && shift
case $cmd in
up) cmd_up "$@" ;;
down) cmd_down ;;
status) cmd_status ;;
images) cmd_images all ;;
image) cmd_images "${1:-}" ;;
node-stop | node-kill | node-start | node-freeze | node-thaw | dockerd-restart | link-cut | link-heal)
  cmd_node "$cmd" "$@"
  ;;
docker)
  i=${1:?docker: node index}
  shift
  dk "$i" "$@"
  ;;
-h | --help | help) usage ;;
*)
  usage >&2
  exit 2
  ;;
esac
