#!/usr/bin/env bash
# Whole-process `get` latency of regauth's helpers against the process-spawn floor (/bin/true) and
# Debian's upstream docker-credential-secretservice and docker-credential-pass, on the same keyrings, in
# the same run. Not a test: prints medians and ratios, and beside them the instructions (callgrind Ir) of
# one floor and one `get` of each regauth helper. Targets (issue 22): keyutils and env within 1.05x of the
# floor; our secretservice at most half of upstream's. Wall ratios are noise on a busy machine; the
# instruction counts are not.
#
# The helpers measured are the ones the release build installs: static-pie, from `make static`
# (target/release-static). The plain dynamic `cargo build --release` keyutils and env helpers
# (target/release, what `cargo install --path helpers` gives) run beside them as *-dynamic.
#
# Needs: hyperfine, valgrind, python3, keyutils, dbus, gnome-keyring, pass, gnupg, golang-docker-credential-helpers
# (scripts/install-test-deps installs them). Everything runs in private dirs and a private D-Bus session;
# the kernel-keyring entry lives in a namespace of its own and is erased at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/instructions.sh

if [ "${1:-}" != "--inside" ]; then
  cargo build --release --locked -p regauth-helpers --bins
  make --no-print-directory static
  work=$(mktemp -d)
  trap 'GNUPGHOME="$work/gnupg" gpgconf --kill all 2>/dev/null || true; rm -rf "$work"' EXIT
  for d in home data config cache run gnupg; do mkdir -p -m 700 "$work/$d"; done
  # One private session bus with an unlocked gnome-keyring for both Secret Service helpers.
  HOME="$work/home" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config" XDG_CACHE_HOME="$work/cache" \
    XDG_RUNTIME_DIR="$work/run" GNUPGHOME="$work/gnupg" PASSWORD_STORE_DIR="$work/pass" BENCH_WORK="$work" \
    dbus-run-session -- "$0" --inside
  exit
fi

work="$BENCH_WORK"
eval "$(printf bench-pw | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
export PATH="$PWD/target/release-static:$PATH"
dynamic="$PWD/target/release"
export REGAUTH_KEYUTILS_NAMESPACE="bench-$$"
server="bench.regauth.invalid"
printf %s "$server" >"$work/key"
body="{\"ServerURL\":\"$server\",\"Username\":\"bench\",\"Secret\":\"bench-secret-value\"}"
export REGAUTH_REGISTRY_BENCH_REGAUTH_INVALID_USERNAME=bench REGAUTH_REGISTRY_BENCH_REGAUTH_INVALID_PASSWORD=x

# pass needs a GPG key without passphrase.
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

for helper in regauth-keyutils regauth-secretservice secretservice pass; do
  printf %s "$body" | "docker-credential-$helper" store
  "docker-credential-$helper" get <"$work/key" | grep -q bench-secret-value
done
docker-credential-regauth-env get <"$work/key" >/dev/null

# No shell: a shell's start-up (and hyperfine's subtraction of it) would swamp a 1 ms process. The key goes
# to stdin with --input (hyperfine >= 1.17); older hyperfine cannot feed stdin without a shell, so every
# command then runs under the same `sh -c 'exec ...'` and the floor includes that shell.
hyperfine="${HYPERFINE:-hyperfine}"
names=(floor regauth-keyutils regauth-env regauth-secretservice regauth-keyutils-dynamic regauth-env-dynamic
  upstream-secretservice upstream-pass)
programs=(/bin/true docker-credential-regauth-keyutils docker-credential-regauth-env
  docker-credential-regauth-secretservice "$dynamic/docker-credential-regauth-keyutils"
  "$dynamic/docker-credential-regauth-env" docker-credential-secretservice docker-credential-pass)
args=()
# The floor runs without "get": coreutils' true given one argument looks for --help/--version and sets up
# its locale first (~300,000 instructions instead of ~127,000), which would flatter every helper.
verb() { if [ "$1" = /bin/true ]; then echo "$1"; else echo "$1 get"; fi; }
if "$hyperfine" --help | grep -q -- '--input'; then
  args+=(--input "$work/key")
  for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "$(verb "${programs[$i]}")"); done
else
  echo "note: $("$hyperfine" --version) has no --input: every command, the floor too, runs under sh -c"
  for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "sh -c 'exec $(verb "${programs[$i]}") <$work/key'"); done
fi
"$hyperfine" -N --style basic --warmup 20 --min-runs 300 --export-json "$work/results.json" "${args[@]}" >/dev/null
# shellcheck disable=SC2046 # verb's words are the command line
for i in 0 1 2 3 4 5; do ir_table "$work/ir" "${names[$i]}" "$work/key" $(verb "${programs[$i]}"); done

for helper in regauth-keyutils regauth-secretservice secretservice pass; do
  "docker-credential-$helper" erase <"$work/key"
done

python3 - "$work/results.json" "$work/ir" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
med = {k: v["median"] * 1000 for k, v in r.items()}
ir = {n: (int(v) if v.isdigit() else None) for n, v in (l.split() for l in open(sys.argv[2]))}
floor, up_ss, ir_floor = med["floor"], med["upstream-secretservice"], ir.get("floor")
def irs(k):
    i = ir.get(k)
    return f"{i:>12,}{i / ir_floor:>9.2f}" if i and ir_floor else f"{'-':>12}{'-':>9}"
print(f"{'command (get, whole process)':<28}{'median ms':>10}{'mean ms':>9}{'x floor':>9}{'x upstream ss':>15}"
      f"{'Ir':>12}{'Ir x fl':>9}")
for k, m in med.items():
    mean = r[k]["mean"] * 1000
    print(f"{k:<28}{m:>10.2f}{mean:>9.2f}{m / floor:>9.2f}{m / up_ss:>15.2f}{irs(k)}")
ss = med["regauth-secretservice"] / up_ss
for h in ("regauth-keyutils", "regauth-env", "regauth-keyutils-dynamic", "regauth-env-dynamic"):
    x = med[h] / floor
    print(f"target {h} <= 1.05x floor (wall, noisy on a busy machine): {x:.2f}x {'MET' if x <= 1.05 else 'MISSED'}")
print(f"target regauth secretservice <= 0.5x upstream: {ss:.2f}x {'MET' if ss <= 0.5 else 'MISSED'}")
PY
