#!/usr/bin/env bash
# Whole-process `regauth token` on a cache hit, against a miss (--no-cache: challenge + token request) and
# against the process-spawn floor (/bin/true), in the same run, against the tests' TLS registry with token
# auth (examples/testbed.rs). Not a test: prints medians and ratios. Target: a hit makes no network request
# and costs at most 3x the floor.
# Needs docker-registry and hyperfine (scripts/install-test-deps); strace, when present, counts the hit's
# connect(2) calls. RUNS=N sets hyperfine's runs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --bin regauth --example testbed
work=$(mktemp -d)
coproc BED { target/release/examples/testbed; }
bed_pid=$BED_PID
export REGAUTH_KEYUTILS_NAMESPACE="bench-$$"
cleanup() {
  target/release/regauth cache clear >/dev/null 2>&1 || true
  exec {BED[1]}>&-
  wait "$bed_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
read -r -u "${BED[0]}" registry_line
read -r -u "${BED[0]}" ca_line
REGISTRY=${registry_line#REGISTRY=}
CA_DIR=${ca_line#CA_DIR=}
image="$REGISTRY/team/app:v1"
mkdir -p "$work/docker" "$work/home" "$work/cache"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REGISTRY" "$(printf alice:alice-pw-1 | base64)" >"$work/docker/config.json"
export HOME="$work/home" XDG_CACHE_HOME="$work/cache" DOCKER_CONFIG="$work/docker" REGAUTH_CERTS_D="$work/none"
token="target/release/regauth token $image --ca-file $CA_DIR/ca.crt"

# Fill the cache, and check that the next call is a hit.
$token >/dev/null
hit_json=$($token --json)
grep -q '"fromCache": true' <<<"$hit_json" || { echo "the second call was not a cache hit" >&2; exit 1; }
echo "image: $image (TLS, token auth); cache: ${REGAUTH_TOKEN_CACHE:-auto} ($(target/release/regauth cache list --json | grep -o '"storage": "[a-z]*"' | head -1))"
if command -v strace >/dev/null; then
  connects=$(strace -f -e trace=connect -o "$work/strace" $token >/dev/null && grep -c 'connect(' "$work/strace" || true)
  echo "connect(2) calls on a hit: $connects"
else
  echo "connect(2) calls on a hit: (strace not installed; the hit path builds no HTTP client by construction)"
fi

hyperfine -N --style basic --warmup 10 --runs "${RUNS:-200}" --export-json "$work/results.json" \
  -n floor /bin/true \
  -n hit "$token" \
  -n miss "$token --no-cache" >/dev/null

python3 - "$work/results.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
med = {k: v["median"] * 1000 for k, v in r.items()}
floor = med["floor"]
print(f"{'regauth token (whole process)':<30}{'median ms':>10}{'mean ms':>9}{'x floor':>9}")
for k, m in med.items():
    print(f"{k:<30}{m:>10.2f}{r[k]['mean'] * 1000:>9.2f}{m / floor:>9.2f}")
print(f"miss / hit: {med['miss'] / med['hit']:.1f}x")
ratio = med["hit"] / floor
print(f"target hit <= 3x floor: {ratio:.2f}x {'MET' if ratio <= 3 else 'MISSED'}")
PY
