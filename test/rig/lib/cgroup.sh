# The rig's own cgroups (v1). Every node process lives in pids:/swarmgate-rig-ID/nI (and the same
# path under freezer), and dockerd puts containers below it via --cgroup-parent. Membership there is
# how the rig tells its processes from everybody else's: it never stops anything by name.

CG=/sys/fs/cgroup

# Moves the calling (sub)shell into node I's cgroups; everything it starts inherits them.
cg_enter() {
  local path h
  path=$(node_cgroup "$1")
  for h in pids freezer; do
    [[ -d $CG/$h ]] || continue
    mkdir -p "$CG/$h/$path"
    echo "$BASHPID" >"$CG/$h/$path/cgroup.procs"
  done
}

# PIDs in the cgroup subtree REL (e.g. swarmgate-rig-0 or swarmgate-rig-0/n2), in any hierarchy.
cg_pids() {
  local d
  for d in "$CG"/*/"$1"; do
    if [[ -d $d ]]; then find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null || true; fi
  done | sort -un
}

# Is PID in node I's cgroup? Guards pidfiles against PIDs reused by other processes.
cg_owns() {
  [[ -n $1 ]] && grep -q ":pids:/$(node_cgroup "$2")\$" "/proc/$1/cgroup" 2>/dev/null
}

cg_freeze() { # cg_freeze REL FROZEN|THAWED
  local f=$CG/freezer/$1/freezer.state
  [[ -f $f ]] || return 0
  echo "$2" >"$f"
  wait_until 10 grep -qx "$2" "$f"
}

# Thaws the subtree REL, including cgroups frozen on their own (node-freeze, docker pause): in
# cgroup v1 those stay frozen when only their parent is thawed.
cg_thaw_all() {
  local f
  [[ -d $CG/freezer/$1 ]] || return 0
  find "$CG/freezer/$1" -name freezer.state | while read -r f; do echo THAWED >"$f"; done
}

# SIGKILLs every process in the subtree REL. Freezing first stops them from forking meanwhile; a
# frozen process only dies once thawed.
cg_kill() {
  local rel=$1 pids
  cg_freeze "$rel" FROZEN || true
  pids=$(cg_pids "$rel")
  # shellcheck disable=SC2086 # one PID per word
  [[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
  cg_thaw_all "$rel"
  wait_until 15 cg_empty "$rel" || die "processes in cgroup $rel survived SIGKILL: $(cg_pids "$rel" | tr '\n' ' ')"
}

cg_empty() { [[ -z $(cg_pids "$1") ]]; }

# Removes the subtree REL in every hierarchy (docker creates container cgroups in all of them).
cg_remove() {
  local d
  for d in "$CG"/*/"$1"; do
    if [[ -d $d ]]; then find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
  done
  for d in "$CG"/*/"$1"; do
    if [[ -d $d ]]; then die "could not remove cgroup $d"; fi
  done
}
