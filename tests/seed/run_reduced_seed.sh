#!/usr/bin/env bash
# Runs suites/seed.toml reduced (one memory size, 2 cold, 3 warm) and checks the results:
# every variant with a built artifact has only successful samples, every SKIPPED one is n/a,
# both of the study's tables are in the markdown report, and the HTML report was written.
#
#   run_reduced_seed.sh LAMBENCH ARTIFACTS SUITE [WORK]   the test (WORK: a fresh temp dir)
#   run_reduced_seed.sh --clean LAMBENCH WORK             stop and remove what a run left in WORK
set -euo pipefail

# `lambench run --state-dir S` and `lambench db --state-dir S` share S's database; S/db is where
# older runs kept theirs: destroy both, so nothing survives whichever it is.
# The work directory is removed only when every destroy succeeded; otherwise it stays, and the
# run's last test (db.no_server_left) finds the cluster through it and fails.
clean() {
  local lambench=$1 work=$2 ok=0 s
  [ -d "$work" ] || return 0
  for s in "$work/state" "$work/state/db"; do
    [ -d "$s/db" ] || continue
    "$lambench" db destroy --state-dir "$s" >/dev/null 2>&1 || {
      echo "run_reduced_seed.sh: could not destroy the database of $s" >&2; ok=1; }
  done
  [ "$ok" = 0 ] && rm -rf "$work"
  return "$ok"
}

if [ "${1:-}" = "--clean" ]; then
  clean "$2" "$3"
  exit
fi

lambench=$1 artifacts=$2 suite=$3
if [ -n "${4:-}" ]; then
  work=$4
  clean "$lambench" "$work"
  mkdir -p "$work"
else
  work=$(mktemp -d)
fi
trap 'clean "$lambench" "$work" || true' EXIT

"$lambench" run "$suite" --artifacts "$artifacts" --state-dir "$work/state" --out "$work/out" \
  --memory 256 --cold 2 --warm 3 >"$work/stdout" 2>"$work/stderr" || {
  echo "lambench run failed:"; cat "$work/stderr"; exit 1; }

test -s "$work/out/results.jsonl" && test -s "$work/out/report.md" && test -s "$work/out/report.html"
grep -q '^## Libraries at 256 MB' "$work/out/report.md" || { echo "library table missing"; exit 1; }
grep -q 'cold start and next exec by memory size' "$work/out/report.md" || { echo "memory table missing"; exit 1; }

python3 - "$work/out/results.jsonl" "$artifacts" <<'PY'
import json, os, sys
results, artifacts = sys.argv[1], sys.argv[2]
samples = {}
for line in open(results):
    rec = json.loads(line)
    if rec.get("type") == "sample":
        samples.setdefault((rec["function"], rec["profile"]), []).append(rec)
header = json.loads(open(results).readline())
problems = []
for v in header["variants"]:
    key = (v["function"], v["profile"])
    d = os.path.join(artifacts, v["function"], v["profile"])
    got = samples.get(key, [])
    if os.path.exists(os.path.join(d, "bootstrap")):
        bad = [s for s in got if not s.get("ok")]
        if len(got) != 5 or bad:
            problems.append(f"{key}: {len(got)} samples, failures: "
                            + "; ".join(f'{s.get("error_type")}: {s.get("error_message")}' for s in bad[:2]))
    elif os.path.exists(os.path.join(d, "SKIPPED")):
        if any(s.get("ok") for s in got):
            problems.append(f"{key}: SKIPPED but has successful samples")
    else:
        problems.append(f"{key}: neither bootstrap nor SKIPPED in {d} (build incomplete)")
if problems:
    print("\n".join(problems)); sys.exit(1)
print(f"{len(header['variants'])} variants checked")
PY
