# What a formed rig looks like: $STATE/shape ("N M") from the start of `up`, rig.json once it is up.

shape_write() { echo "$1 $2" >"$STATE/shape"; }

# Sets RIG_N and RIG_M from the shape file; fails if there is no rig.
shape_read() {
  [[ -f $STATE/shape ]] || return 1
  read -r RIG_N RIG_M <"$STATE/shape"
}

node_role() { (($1 <= $2)) && echo manager || echo worker; } # node_role I M

state_write() { # state_write N M
  local n=$1 m=$2 i sep=''
  {
    printf '{\n  "id": %d,\n  "subnet": "%s",\n  "bridge": "%s",\n  "bridgeIp": "%s",\n' \
      "$RIG_ID" "$SUBNET" "$BRIDGE" "$BRIDGE_IP"
    printf '  "stateDir": "%s",\n  "managerSocket": "%s",\n' "$STATE" "$(node_sock 1)"
    printf '  "images": {"base": "%s", "node": "%s", "whoami": "%s", "swarmgate": "%s"},\n' \
      "$IMG_BASE" "$IMG_NODE" "$IMG_WHOAMI" "$IMG_SWARMGATE"
    printf '  "nodes": [\n'
    for ((i = 1; i <= n; i++)); do
      printf '%s    {"index": %d, "name": "%s", "hostname": "%s", "ip": "%s", "socket": "%s", "role": "%s", "netns": "%s", "veth": "%s", "cgroup": "%s"}' \
        "$sep" "$i" "$(node_name "$i")" "$(node_hostname "$i")" "$(node_ip "$i")" "$(node_sock "$i")" \
        "$(node_role "$i" "$m")" "$(node_ns "$i")" "$(node_veth "$i")" "/$(node_cgroup "$i")"
      sep=$',\n'
    done
    printf '\n  ]\n}\n'
  } >"$RIG_JSON.tmp"
  mv "$RIG_JSON.tmp" "$RIG_JSON"
}

# A formed rig of exactly this shape whose daemons all answer and whose nodes are all Ready.
rig_is_up() { # rig_is_up N M
  local i pids=()
  [[ -f $RIG_JSON ]] && shape_read && [[ $RIG_N == "$1" && $RIG_M == "$2" ]] || return 1
  for ((i = 1; i <= RIG_N; i++)); do
    node_answers "$i" &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || return 1; done
  swarm_healthy "$RIG_N" "$RIG_M"
}
