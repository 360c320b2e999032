#!/usr/bin/env bash
# Assembles the JIT-row artifacts, each a self-contained directory ready to zip:
#   DEST/node-hello/jit/{bootstrap,index.mjs,node_modules/}
#   DEST/node-items/jit/{bootstrap,index.mjs,node_modules/}
# node_modules holds only what runs: the RIC's bin/ and dist/ (with its compiled addon) and the
# production dependency closure of pg — not the 150 MB of sources the RIC builds from, nor
# node-gyp. Files are hard-linked when DEST is on the same file system, else copied.
# When Node.js or the installed RIC is missing, each artifact holds a one-line SKIPPED file
# with the reason instead (the driver reports the row as n/a), and the script exits 0.
# Usage: functions/node/package.sh DEST     (e.g. build/functions)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:?usage: package.sh DEST}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
modules=$here/node_modules
ric=$modules/aws-lambda-ric

skip() {
  for fn in hello items; do
    out=$dest/node-$fn/jit
    rm -rf "$out" && mkdir -p "$out"
    echo "$1" > "$out/SKIPPED"
  done
  echo "package.sh: JIT row skipped: $1" >&2
  exit 0
}

command -v "${NODE:-node}" >/dev/null 2>&1 || skip "Node.js is not installed (apt-get install nodejs)"
node_major=$("${NODE:-node}" -p 'process.versions.node.split(".")[0]')
[[ $node_major -ge 18 ]] || skip "Node.js $node_major is too old for aws-lambda-ric 3.3.0 (needs >= 18)"
[[ -f $ric/dist/index.mjs && -f $ric/bin/index.mjs ]] ||
  skip "aws-lambda-ric is not installed in functions/node (run scripts/install-deps)"
[[ -f $ric/dist/rapid-client.node ]] ||
  skip "aws-lambda-ric's native addon was not built (npm install needs cmake make g++ autoconf automake libtool python3)"

link_tree() {  # link_tree SRC DST: hard links if possible, else a copy
  mkdir -p "$(dirname "$2")"
  cp -al "$1" "$2" 2>/dev/null || { rm -rf "$2"; cp -a "$1" "$2"; }
}

# Production closure of packages, resolved the way Node does (nested node_modules first).
closure() {
  "${NODE:-node}" - "$modules" "$@" <<'JS'
const fs = require("fs"), path = require("path");
const [root, ...wanted] = process.argv.slice(2);
const seen = new Set();
function resolve(from, name) {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", name);
    if (fs.existsSync(path.join(candidate, "package.json"))) return candidate;
    if (dir === path.dirname(root) || dir === path.dirname(dir)) return null;
  }
}
function walk(pkgDir) {
  if (seen.has(pkgDir)) return;
  seen.add(pkgDir);
  const pj = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json")));
  const deps = { ...(pj.dependencies || {}), ...(pj.optionalDependencies || {}) };
  for (const name of Object.keys(deps)) {
    const d = resolve(pkgDir, name);
    if (d) walk(d);
    else if (!(pj.optionalDependencies || {})[name]) throw new Error(`${pj.name}: dependency ${name} not installed`);
  }
}
for (const name of wanted) {
  const d = resolve(path.dirname(root), name);
  if (!d) throw new Error(`${name} is not installed in ${root}`);
  walk(d);
}
for (const d of seen) console.log(path.relative(root, d));
JS
}

assemble() {  # assemble FN DEPS...
  local fn=$1; shift
  local out=$dest/node-$fn/jit
  rm -rf "$out"
  mkdir -p "$out/node_modules/aws-lambda-ric"
  cp "$here/$fn/index.mjs" "$here/$fn/bootstrap" "$out/"
  chmod 0755 "$out/bootstrap"
  for part in package.json bin dist LICENSE NOTICE; do
    [[ -e $ric/$part ]] && link_tree "$ric/$part" "$out/node_modules/aws-lambda-ric/$part"
  done
  if (($#)); then
    local rel
    closure "$@" | while IFS= read -r rel; do
      # A nested package is already inside its parent's copy.
      [[ -e $out/node_modules/$rel ]] || link_tree "$modules/$rel" "$out/node_modules/$rel"
    done
  fi
  echo "package.sh: $out ($(du -sh "$out" | cut -f1))" >&2
}

assemble hello
assemble items pg
