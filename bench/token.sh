#!/usr/bin/env bash
# Whole-process `regauth token` on a cache hit, as `make install` installs it (the static-pie front in
# bin/, regauth-cli in libexec/regauth/), against the same hit answered by regauth-cli itself (the whole
# command: what a hit cost before the front), a miss (--no-cache: challenge + token request) and the
# process-spawn floor (/bin/true), in the same run, against the tests' TLS registry with token
# auth (examples/testbed.rs). Not a test: prints medians and ratios, and beside them the instructions
# (callgrind Ir) of one floor, one hit, and one hit parsed by clap (REGAUTH_FULL_PARSE=1: what the lean
# token parser saves). Target (issue 22): a hit makes no network request and costs at most 1.5x the floor.
# Wall ratios are noise on a busy machine; the instruction counts are not.
# Needs docker-registry, hyperfine and valgrind (scripts/install-test-deps); strace, when present, counts
# the hit's connect(2) calls. RUNS=N sets hyperfine's runs.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/instructions.sh
make build
cargo build --release --locked --example testbed
work=$(mktemp -d)
make -s install PREFIX="$work/prefix" >/dev/null
coproc BED { target/release/examples/testbed; }
bed_pid=$BED_PID
export REGAUTH_KEYUTILS_NAMESPACE="bench-$$"
cleanup() {
  target/release/regauth-cli cache clear >/dev/null 2>&1 || true
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
token="$work/prefix/bin/regauth token $image --ca-file $CA_DIR/ca.crt"
whole="$work/prefix/libexec/regauth/regauth-cli token $image --ca-file $CA_DIR/ca.crt"

# Fill the cache, and check that the next call is a hit.
$token >/dev/null
hit_json=$($token --json)
grep -q '"fromCache": true' <<<"$hit_json" || { echo "the second call was not a cache hit" >&2; exit 1; }
echo "image: $image (TLS, token auth); cache: ${REGAUTH_TOKEN_CACHE:-auto} ($(target/release/regauth-cli cache list --json | grep -o '"storage": "[a-z]*"' | head -1))"
if command -v strace >/dev/null; then
  connects=$(strace -f -e trace=connect -o "$work/strace" $token >/dev/null && grep -c 'connect(' "$work/strace" || true)
  echo "connect(2) calls on a hit: $connects"
else
  echo "connect(2) calls on a hit: (strace not installed; the hit path builds no HTTP client by construction)"
fi

hyperfine -N --style basic --warmup 10 --runs "${RUNS:-200}" --export-json "$work/results.json" \
  -n floor /bin/true \
  -n hit "$token" \
  -n hit-by-regauth-cli "$whole" \
  -n miss "$token --no-cache" >/dev/null
ir_table "$work/ir" floor /dev/null /bin/true
# shellcheck disable=SC2086 # $token is a command line
ir_table "$work/ir" hit /dev/null $token
# shellcheck disable=SC2086
ir_table "$work/ir" hit-by-regauth-cli /dev/null $whole
# shellcheck disable=SC2086
REGAUTH_FULL_PARSE=1 ir_table "$work/ir" hit-parsed-by-clap /dev/null $token

python3 - "$work/results.json" "$work/ir" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
med = {k: v["median"] * 1000 for k, v in r.items()}
ir = {n: (int(v) if v.isdigit() else None) for n, v in (l.split() for l in open(sys.argv[2]))}
floor, ir_floor = med["floor"], ir.get("floor")
def irs(k):
    i = ir.get(k)
    return f"{i:>12,}{i / ir_floor:>9.2f}" if i and ir_floor else f"{'-':>12}{'-':>9}"
print(f"{'regauth token (whole process)':<30}{'median ms':>10}{'mean ms':>9}{'x floor':>9}{'Ir':>12}{'Ir x fl':>9}")
for k in list(med) + [k for k in ir if k not in med]:
    m = med.get(k)
    wall = f"{m:>10.2f}{r[k]['mean'] * 1000:>9.2f}{m / floor:>9.2f}" if m else f"{'-':>10}{'-':>9}{'-':>9}"
    print(f"{k:<30}{wall}{irs(k)}")
print(f"miss / hit: {med['miss'] / med['hit']:.1f}x")
ratio = med["hit"] / floor
print(f"target hit <= 1.5x floor (wall, noisy on a busy machine): {ratio:.2f}x {'MET' if ratio <= 1.5 else 'MISSED'}")
if ir.get("hit") and ir_floor:
    print(f"instructions: hit {ir['hit'] / ir_floor:.2f}x the floor's")
PY
