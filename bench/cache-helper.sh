#!/usr/bin/env bash
# Whole-process `get` through docker-credential-regauth-cache (a cache hit) in front of the real
# docker-credential-gcloud and upstream docker-credential-pass, against each of them alone and against the
# process-spawn floor (/bin/true), in one hyperfine run. Not a test: prints medians and ratios, and beside
# them the instructions (callgrind Ir) of one floor and one hit over each inner helper.
# Targets (issue 22): a hit over any inner helper within 1.2x of the floor; at least 20x faster than pass
# alone, 300x faster than gcloud. Wall ratios are noise on a busy machine; the instruction counts are not.
# The cache helper measured is the one the release build installs: static-pie, from `make static`
# (target/release-static); the plain dynamic `cargo build --release` one (target/release) runs beside it
# over pass as cache-over-pass-dynamic.
#
# Needs: hyperfine, python3, pass, gnupg, golang-docker-credential-helpers (docker-credential-pass),
# google-cloud-cli (docker-credential-gcloud), keyutils, valgrind. Everything runs in private dirs: a throwaway
# GNUPGHOME and pass store, a private CLOUDSDK_CONFIG answering offline from a token file, the cache's
# keyring entries in a namespace of their own (erased at the end through the wrapper).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/instructions.sh

cargo build --release --locked -p regauth-helpers --bins
make --no-print-directory static
work=$(mktemp -d)
trap 'GNUPGHOME="$work/gnupg" gpgconf --kill all 2>/dev/null || true; rm -rf "$work"' EXIT
for d in home config cache gnupg gcloud; do mkdir -p -m 700 "$work/$d"; done
export HOME="$work/home" XDG_CONFIG_HOME="$work/config" XDG_CACHE_HOME="$work/cache" GNUPGHOME="$work/gnupg" \
  PASSWORD_STORE_DIR="$work/pass" CLOUDSDK_CONFIG="$work/gcloud" CLOUDSDK_AUTH_ACCESS_TOKEN_FILE="$work/token"
export PATH="$PWD/target/release-static:$PATH" REGAUTH_KEYUTILS_NAMESPACE="bench-cache-$$"
dynamic="$PWD/target/release/docker-credential-regauth-cache"
printf %s "ya29.bench-token-value" >"$work/token"
pass_server="bench.regauth.invalid"
printf %s "$pass_server" >"$work/pass-key"
printf %s "gcr.io" >"$work/gcloud-key"

# The mapping `regauth helpers wrap` would write (the regauth command is not built here): gcr.io through
# gcloud, the bench registry through pass, answers kept 10 minutes.
mkdir -m 700 "$work/config/regauth"
cat >"$work/config/regauth/cache-helper.json" <<JSON
{"version": 1, "registries": {
  "gcr.io": {"inner": "gcloud", "ttlSeconds": 600, "timeoutSeconds": 30},
  "$pass_server": {"inner": "pass", "ttlSeconds": 600, "timeoutSeconds": 30}}}
JSON
chmod 600 "$work/config/regauth/cache-helper.json"

gpg --batch --quiet --generate-key 2>/dev/null <<'PARAMS'
%no-protection
Key-Type: EdDSA
Key-Curve: ed25519
Subkey-Type: ECDH
Subkey-Curve: cv25519
Name-Real: regauth bench
Name-Email: bench@regauth.invalid
Expire-Date: 0
%commit
PARAMS
pass init "$(gpg --list-keys --with-colons | awk -F: '/^fpr/ {print $10; exit}')" >/dev/null
printf '{"ServerURL":"%s","Username":"bench","Secret":"bench-secret-value"}' "$pass_server" |
  docker-credential-regauth-cache store
# Warm the cache (the first get asks the inner helper) and check every answer.
docker-credential-regauth-cache get <"$work/pass-key" | grep -q bench-secret-value
"$dynamic" get <"$work/pass-key" | grep -q bench-secret-value
docker-credential-pass get <"$work/pass-key" | grep -q bench-secret-value
docker-credential-regauth-cache get <"$work/gcloud-key" | grep -q ya29.bench-token-value
docker-credential-gcloud get <"$work/gcloud-key" | grep -q ya29.bench-token-value

# hyperfine 1.15 has no --input: every command, the floor too, runs under the same `sh -c 'exec ...'`.
names=(floor cache-over-gcloud cache-over-pass cache-over-pass-dynamic pass-alone gcloud-alone)
commands=("/bin/true <$work/pass-key" "docker-credential-regauth-cache get <$work/gcloud-key"
  "docker-credential-regauth-cache get <$work/pass-key" "$dynamic get <$work/pass-key"
  "docker-credential-pass get <$work/pass-key" "docker-credential-gcloud get <$work/gcloud-key")
args=()
for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "sh -c 'exec ${commands[$i]}'"); done
# Fast commands run up to 500 times in hyperfine's 3 s budget; gcloud (0.8 s a call) its minimum of 15.
hyperfine -N --style basic --warmup 5 --min-runs 15 --max-runs 500 --export-json "$work/results.json" \
  "${args[@]}" >/dev/null
ir_table "$work/ir" floor "$work/pass-key" /bin/true
ir_table "$work/ir" cache-over-gcloud "$work/gcloud-key" docker-credential-regauth-cache get
ir_table "$work/ir" cache-over-pass "$work/pass-key" docker-credential-regauth-cache get
ir_table "$work/ir" cache-over-pass-dynamic "$work/pass-key" "$dynamic" get

# Erase through the wrapper: the pass entry goes, and so do the cached answers of both registries.
docker-credential-regauth-cache erase <"$work/pass-key"
docker-credential-regauth-cache erase <"$work/gcloud-key" >/dev/null 2>&1 || true

python3 - "$work/results.json" "$work/ir" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
med = {k: v["median"] * 1000 for k, v in r.items()}
ir = {n: (int(v) if v.isdigit() else None) for n, v in (l.split() for l in open(sys.argv[2]))}
floor, ir_floor = med["floor"], ir.get("floor")
def irs(k):
    i = ir.get(k)
    return f"{i:>12,}{i / ir_floor:>9.2f}" if i and ir_floor else f"{'-':>12}{'-':>9}"
print(f"{'command (get, whole process)':<28}{'median ms':>10}{'mean ms':>9}{'runs':>6}{'x floor':>9}{'Ir':>12}{'Ir x fl':>9}")
for k, m in med.items():
    print(f"{k:<28}{m:>10.2f}{r[k]['mean'] * 1000:>9.2f}{len(r[k]['times']):>6}{m / floor:>9.2f}{irs(k)}")
x = med["cache-over-pass-dynamic"] / floor
print(f"cache over pass, dynamic build (for comparison): {x:.2f}x floor")
for inner in ("gcloud", "pass"):
    hit = med[f"cache-over-{inner}"]
    print(f"cache over {inner}: {hit / floor:.2f}x floor "
          f"({'MET' if hit / floor <= 1.2 else 'MISSED'} <= 1.2x, wall, noisy on a busy machine), "
          f"{med[f'{inner}-alone'] / hit:.0f}x faster than {inner} alone "
          f"({'MET' if med[f'{inner}-alone'] / hit >= (300 if inner == 'gcloud' else 20) else 'MISSED'} "
          f">= {300 if inner == 'gcloud' else 20}x)")
PY
