# The rig's network: one bridge in the root namespace, one namespace + veth per node, no default route.

net_up() {
  local n=$1 i ns veth
  ip link add "$BRIDGE" type bridge
  ip addr add "$BRIDGE_IP/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  for ((i = 1; i <= n; i++)); do
    ns=$(node_ns "$i") veth=$(node_veth "$i")
    ip netns add "$ns"
    ip link add "$veth" type veth peer name eth0 netns "$ns"
    ip link set "$veth" master "$BRIDGE" up
    ip -n "$ns" addr add "$(node_ip "$i")/24" dev eth0
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
  done
  # br_netfilter may run bridged frames through a FORWARD chain whose policy is DROP.
  iptables -I FORWARD -i "$BRIDGE" -o "$BRIDGE" -m comment --comment "$FW_TAG" -j ACCEPT
}

# Removes whatever of this instance's network exists; safe to run on nothing.
net_down() {
  local ns link
  for ns in $(ip netns list | awk -v re="^${NAME_PREFIX}n[0-9]+\$" '$1 ~ re {print $1}'); do
    ip netns del "$ns"
  done
  # Host-side veths normally vanish with their namespace; a half-made one may not.
  for link in $(ip -o link show | awk -F': ' -v re="^${NAME_PREFIX}n[0-9]+h(@|\$)" '$2 ~ re {sub(/@.*/, "", $2); print $2}'); do
    ip link del "$link" 2>/dev/null || true
  done
  if ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link del "$BRIDGE"
  fi
  while iptables -D FORWARD -i "$BRIDGE" -o "$BRIDGE" -m comment --comment "$FW_TAG" -j ACCEPT 2>/dev/null; do :; done
}

link_set() { # link_set I up|down
  ip link set "$(node_veth "$1")" "$2"
}
