# Names, addresses and paths of one rig instance (SG_RIG_ID), plus logging helpers.
# Sourced by rig.sh and by launcher.sh: definitions only, after checking SG_RIG_ID.

RIG_ID=${SG_RIG_ID:-0}
if ! [[ $RIG_ID =~ ^[0-9]{1,3}$ ]] || ((RIG_ID > 255)); then
  echo "rig: SG_RIG_ID must be a number 0-255, got '$RIG_ID'" >&2
  exit 2
fi
RIG_ID=$((10#$RIG_ID))

RIG_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) # test/rig
REPO_ROOT=$(cd "$RIG_SRC/../.." && pwd)
# The 20.10 client that matches the daemons; /usr/local/bin/docker may be a newer one.
DOCKER=/usr/bin/docker

RIG_STATE_ROOT=/var/lib/swarmgate-rig
STATE=$RIG_STATE_ROOT/$RIG_ID
RIG_JSON=$STATE/rig.json
# Survives `down`, shared by every instance: image tars keyed by a hash of their inputs.
CACHE=/var/cache/swarmgate-rig

NAME_PREFIX=sg$RIG_ID
BRIDGE=${NAME_PREFIX}br
SUBNET=10.231.$RIG_ID.0/24
BRIDGE_IP=10.231.$RIG_ID.1
# Overlay subnets only exist inside node namespaces, so every instance may use the same pool.
ADDR_POOL=10.232.0.0/16
CGROUP_ROOT=swarmgate-rig-$RIG_ID
FW_TAG=swarmgate-rig-$RIG_ID

node_ns() { echo "${NAME_PREFIX}n$1"; }
node_veth() { echo "${NAME_PREFIX}n${1}h"; }
node_ip() { echo "10.231.$RIG_ID.$((10 + $1))"; }
node_name() { echo "node$1"; }
node_hostname() { echo "sg$RIG_ID-node$1"; }
node_dir() { echo "$STATE/n$1"; }
node_sock() { echo "$STATE/n$1/docker.sock"; }
node_cgroup() { echo "$CGROUP_ROOT/n$1"; }

# docker against node I: dk I ARGS...
dk() {
  local i=$1
  shift
  "$DOCKER" -H "unix://$(node_sock "$i")" "$@"
}

RIG_T0=${EPOCHREALTIME/./}
# Progress goes to stderr with the seconds since this command started.
log() {
  local now=${EPOCHREALTIME/./}
  printf '[rig%s %6.1fs] %s\n' "$RIG_ID" "$(((now - RIG_T0) / 100000))e-1" "$*" >&2
}
die() {
  log "ERROR: $*"
  exit 1
}

# Polls CMD every 0.1 s until it succeeds or SECONDS_MAX pass: wait_until SECONDS_MAX CMD...
wait_until() {
  local deadline=$((${EPOCHREALTIME/./} + $1 * 1000000))
  shift
  until "$@"; do
    ((${EPOCHREALTIME/./} < deadline)) || return 1
    sleep 0.1
  done
}
