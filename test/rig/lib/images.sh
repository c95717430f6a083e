# Images built without a registry from the host's own files. Each set is built once on node 1, saved
# to a tar in $CACHE keyed by a hash of its inputs (the cache survives `down`), and `docker load`ed on
# the other nodes, so image IDs match everywhere.

IMG_BASE=swarmgate-rig/base:latest
IMG_NODE=swarmgate-rig/node:20
IMG_WHOAMI=swarmgate-rig/whoami:latest
IMG_SWARMGATE=swarmgate/swarmgate:dev
IMG_LABEL=swarmgate-rig.inputs
IMAGES_SRC=$RIG_SRC/images
SWARMGATE_MAIN=dist/src/cli/main.js
# The legacy builder: it uses local images for FROM and never contacts a registry.
export DOCKER_BUILDKIT=0

node_bin() { readlink -f "$(command -v node)"; }
node_libs() { ldd "$(node_bin)" | awk '{ for (f = 1; f <= NF; f++) if ($f ~ /^\//) print $f }' | sort -u; }
certs_file() { readlink -f /etc/ssl/certs/ca-certificates.crt 2>/dev/null || true; }

hash_stdin() { sha256sum | cut -c1-16; }

# sha256 of each host file, memoised by path, size, mtime and inode: hashing the 100 MB node binary
# on every `up` would cost a second.
host_file_hashes() {
  local f id sha memo=$CACHE/sha256.memo
  mkdir -p "$CACHE"
  for f; do
    id=$(stat -L -c '%n %s %Y %i' "$f")
    sha=$(awk -v id="$id" 'substr($0, 1, length(id) + 1) == id " " {print $NF; exit}' "$memo" 2>/dev/null || true)
    if [[ -z $sha ]]; then
      sha=$(sha256sum <"$f" | cut -d' ' -f1)
      echo "$id $sha" >>"$memo"
    fi
    echo "$sha"
  done
}

# Only content counts, not paths: a clone elsewhere must hit the same cache.
rig_images_hash() {
  {
    # shellcheck disable=SC2046 # one path per word
    host_file_hashes /usr/bin/busybox "$(node_bin)" $(node_libs) $(certs_file)
    sha256sum "$IMAGES_SRC"/{base,node,whoami}/* "$RIG_SRC/lib/images.sh" | cut -d' ' -f1
  } | hash_stdin
}

swarmgate_hash() {
  (
    cd "$REPO_ROOT" || exit 1
    rig_images_hash
    # Names count here: they are relative to the repository.
    find dist/src -type f -print0 | sort -z | xargs -0 sha256sum
    sha256sum package.json "$IMAGES_SRC/swarmgate/Dockerfile" | awk '{print $1}'
    sha256sum package-lock.json node_modules/.package-lock.json 2>/dev/null | awk '{print $1}'
  ) | hash_stdin
}

ctx_base() {
  local root=$1/rootfs a
  mkdir -p "$root"/{bin,etc,root,tmp,usr/bin}
  cp /usr/bin/busybox "$root/bin/busybox"
  for a in $(/usr/bin/busybox --list); do
    [[ $a == busybox ]] || ln -s busybox "$root/bin/$a"
  done
  ln -s /bin/env "$root/usr/bin/env"
  chmod 1777 "$root/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
}

ctx_node() {
  local root=$1/rootfs lib certs
  mkdir -p "$root/usr/bin"
  cp "$(node_bin)" "$root/usr/bin/node"
  for lib in $(node_libs); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  certs=$(certs_file)
  if [[ -n $certs ]]; then
    mkdir -p "$root/etc/ssl/certs"
    cp "$certs" "$root/etc/ssl/certs/ca-certificates.crt"
  fi
}

ctx_whoami() { cp "$IMAGES_SRC/whoami/server.mjs" "$1/"; }

# Production dependencies only (top-level entries of package-lock.json not marked dev); all of
# node_modules when there is no lockfile.
prod_modules() {
  (
    cd "$REPO_ROOT" || exit 1
    if [[ -f package-lock.json ]]; then
      node -e '
        const lock = JSON.parse(require("node:fs").readFileSync("package-lock.json", "utf8"));
        for (const [key, meta] of Object.entries(lock.packages ?? {}))
          if (/^node_modules\/(@[^/]+\/)?[^/]+$/.test(key) && !meta.dev) console.log(key);'
    elif [[ -d node_modules ]]; then
      echo node_modules
    fi
  )
}

ctx_swarmgate() {
  local app=$1/app m
  mkdir -p "$app/dist"
  cp -a "$REPO_ROOT/dist/src" "$app/dist/src"
  cp "$REPO_ROOT/package.json" "$app/"
  for m in $(prod_modules); do
    [[ -e $REPO_ROOT/$m ]] || continue # an optional dependency for another platform
    mkdir -p "$app/$(dirname "$m")"
    cp -a "$REPO_ROOT/$m" "$app/$m"
  done
}

# img_build NAME TAG HASH WORKDIR: assemble the context of images/NAME and build it on node 1.
img_build() {
  local name=$1 tag=$2 hash=$3 ctx=$4/$1
  mkdir -p "$ctx"
  cp "$IMAGES_SRC/$name/Dockerfile" "$ctx/"
  "ctx_$name" "$ctx"
  dk 1 build -q --label "$IMG_LABEL=$hash" -t "$tag" "$ctx" >"$ctx.log" 2>&1 ||
    die "building $tag failed: $(tail -n 20 "$ctx.log")"
}

build_rig_images() { # HASH WORKDIR
  img_build base "$IMG_BASE" "$1" "$2"
  img_build node "$IMG_NODE" "$1" "$2"
  img_build whoami "$IMG_WHOAMI" "$1" "$2"
}

build_swarmgate_image() { img_build swarmgate "$IMG_SWARMGATE" "$1" "$2"; }

# img_current I HASH TAG...: node I has every TAG, built from inputs HASH.
img_current() {
  local i=$1 hash=$2 out
  shift 2
  out=$(dk "$i" image inspect --format "{{index .Config.Labels \"$IMG_LABEL\"}}" "$@" 2>/dev/null) || return 1
  ! grep -qvx "$hash" <<<"$out"
}

# img_ensure N SET HASH BUILD_FN TAG...: every node of N has the set's images from inputs HASH.
img_ensure() {
  local n=$1 set=$2 hash=$3 build=$4 tar i work pids=()
  shift 4
  tar=$CACHE/$set-$hash.tar
  mkdir -p "$CACHE"
  # One builder at a time across all rig instances; the others then find the tar.
  exec 8>"$CACHE/.lock"
  flock 8
  if [[ ! -f $tar ]]; then
    if ! img_current 1 "$hash" "$@"; then
      log "building $set images on node 1 (inputs $hash)"
      rm -rf "$CACHE"/work.*
      work=$(mktemp -d "$CACHE/work.XXXXXX")
      "$build" "$hash" "$work"
      rm -rf "$work"
    fi
    dk 1 save -o "$tar.tmp" "$@"
    mv "$tar.tmp" "$tar"
    # Keep a few older tars: another checkout (CI clones the repo) may still be loading one.
    # shellcheck disable=SC2012 # our own file names
    ls -t "$CACHE/$set"-*.tar | tail -n +4 | xargs -r rm -f
    log "cached $set images: $tar ($(du -m "$tar" | cut -f1) MiB)"
  fi
  exec 8>&-
  for ((i = 1; i <= n; i++)); do
    img_current "$i" "$hash" "$@" || dk "$i" load -q -i "$tar" >/dev/null &
    pids+=($!)
  done
  for i in "${pids[@]}"; do
    # A damaged tar must not fail every later run: drop it, the next run builds again.
    wait "$i" || { rm -f "$tar"; die "docker load of $tar failed; removed it, run again to rebuild"; }
  done
}

images_rig() { # N
  img_ensure "$1" rig-images "$(rig_images_hash)" build_rig_images "$IMG_BASE" "$IMG_NODE" "$IMG_WHOAMI"
}

images_swarmgate() { # N
  if [[ ! -f $REPO_ROOT/$SWARMGATE_MAIN ]]; then
    log "no $SWARMGATE_MAIN (run npm run build): skipping $IMG_SWARMGATE"
    return 0
  fi
  img_ensure "$1" swarmgate "$(swarmgate_hash)" build_swarmgate_image "$IMG_SWARMGATE"
}
