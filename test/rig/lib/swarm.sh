# Swarm formation: node 1 initialises, managers 2..M join one by one (raft membership changes are
# serialised anyway), workers join in parallel.

swarm_form() {
  local n=$1 m=$2 i ip1 mtoken wtoken pids=()
  ip1=$(node_ip 1)
  # Heartbeat 1 s: a lost node is Down in ~3 s instead of ~16 s, which keeps failure tests short.
  dk 1 swarm init --advertise-addr "$ip1" --listen-addr "$ip1:2377" \
    --default-addr-pool "$ADDR_POOL" --dispatcher-heartbeat 1s >/dev/null
  mtoken=$(dk 1 swarm join-token -q manager)
  wtoken=$(dk 1 swarm join-token -q worker)
  for ((i = 2; i <= m; i++)); do swarm_join "$i" "$mtoken" "$ip1"; done
  for ((i = m + 1; i <= n; i++)); do
    swarm_join "$i" "$wtoken" "$ip1" &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || die "a worker failed to join the swarm"; done
}

swarm_join() { # swarm_join I TOKEN MANAGER_IP
  local ip
  ip=$(node_ip "$1")
  dk "$1" swarm join --token "$2" --advertise-addr "$ip" --listen-addr "$ip:2377" "$3:2377" >/dev/null ||
    die "node $1 failed to join the swarm"
}

# "hostname status availability manager-status" per node, as node 1 (a manager) sees them.
swarm_nodes() {
  dk 1 node ls --format '{{.Hostname}} {{.Status}} {{.Availability}} {{if .ManagerStatus}}manager{{else}}worker{{end}}'
}

# Exactly N nodes, all Ready and Active, M of them managers.
swarm_healthy() {
  local n=$1 m=$2 out
  out=$(swarm_nodes 2>/dev/null) || return 1
  [[ $(grep -c ' Ready Active ' <<<"$out") == "$n" && $(wc -l <<<"$out") == "$n" &&
    $(grep -c ' manager$' <<<"$out") == "$m" ]]
}
