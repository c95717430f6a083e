# One node's daemons: files, start, graceful stop, hard kill, dockerd-only restart.

# Config files of node I; called once per fresh rig.
node_files() {
  local i=$1 dir
  dir=$(node_dir "$i")
  mkdir -p "$dir/etc-docker" "$dir/docker" "$dir/containerd"
  echo '{}' >"$dir/daemon.json"
  cat >"$dir/containerd.toml" <<TOML
version = 2
root = "$dir/containerd"
state = "/run/containerd"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "/run/containerd/containerd.sock"
TOML
}

node_pid() { # node_pid I dockerd|containerd: the daemon's PID if it is alive and ours
  local pid
  pid=$(cat "$(node_dir "$1")/$2.pid" 2>/dev/null) || return 1
  cg_owns "$pid" "$1" && echo "$pid"
}

node_running() { ! cg_empty "$(node_cgroup "$1")"; }
node_answers() { dk "$1" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# The host's cgroup mounts, for the launcher to mount again ("fstype target options" per line).
RIG_CGROUP_MOUNTS=$(awk '$3 == "cgroup" || $3 == "cgroup2" {print $3, $2, $4}' /proc/self/mounts)
export RIG_CGROUP_MOUNTS

# Runs the launcher detached, in node I's cgroup and namespaces. Extra args go before the launcher
# (e.g. nsenter). fd 9 (the rig lock) is closed so daemons do not hold it.
node_exec_launcher() {
  local i=$1 mode=$2
  shift 2
  (
    cg_enter "$i"
    exec 9>&- setsid "$@" "$RIG_SRC/lib/launcher.sh" "$mode" "$i" </dev/null >>"$(node_dir "$i")/launcher.log" 2>&1
  ) || die "node $i: launcher failed: $(tail -n 5 "$(node_dir "$i")/launcher.log")"
}

node_start() {
  local i=$1 dir
  dir=$(node_dir "$i")
  node_running "$i" && die "node $i is already running (stop or kill it first)"
  rm -f "$dir/dockerd.pid" "$dir/containerd.pid" "$(node_sock "$i")"
  node_exec_launcher "$i" all ip netns exec "$(node_ns "$i")" unshare --uts --
}

node_wait() {
  wait_until "${2:-60}" node_answers "$1" || die "node $1: dockerd does not answer on $(node_sock "$1") (see $(node_dir "$1")/dockerd.log)"
}

pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# SIGTERM to PID, then wait for it to go; SIGKILL after SECS.
term_pid() { # term_pid PID SECS
  kill -TERM "$1" 2>/dev/null || return 0
  wait_until "$2" pid_gone "$1" || kill -KILL "$1" 2>/dev/null || true
}

# Graceful: dockerd stops its containers, then containerd; stragglers (shims) are killed.
node_stop() {
  local i=$1 pid
  cg_thaw_all "$(node_cgroup "$i")" # a frozen daemon cannot handle SIGTERM
  if pid=$(node_pid "$i" dockerd); then term_pid "$pid" 30; fi
  if pid=$(node_pid "$i" containerd); then term_pid "$pid" 10; fi
  cg_kill "$(node_cgroup "$i")"
}

# Like pulling the plug: every process of the node at once, containers included.
node_kill() { cg_kill "$(node_cgroup "$1")"; }

# Restarts only dockerd, in the namespaces of the node's running containerd.
node_restart_dockerd() {
  local i=$1 pid cpid
  cpid=$(node_pid "$i" containerd) || die "node $i: containerd is not running"
  if pid=$(node_pid "$i" dockerd); then term_pid "$pid" 30; fi
  rm -f "$(node_dir "$i")/dockerd.pid"
  node_exec_launcher "$i" dockerd nsenter --target "$cpid" --mount --uts --net --
  node_wait "$i"
}
