#!/usr/bin/env bash
# `regauth audit --online` over 1,000 stored credentials (1,000 homes of a generated --system-root tree, one
# credential each for the tests' TLS registry with token auth, examples/testbed.rs; alice may pull and push,
# bob may pull) checked on one repository, beside the same checks done one `regauth diagnose --push` at a
# time, in the same run. Prints wall times, requests per credential and the ratio. Not a test.
# Target: --online at least 10x faster than one by one, at most 3 requests per credential and repository.
# N=COUNT changes the number of credentials (default 1000). Needs docker-registry and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --bin regauth --bin regauth-cli --example testbed
regauth=$PWD/target/release/regauth
n=${N:-1000}
work=$(mktemp -d)
coproc BED { target/release/examples/testbed; }
bed_pid=$BED_PID
cleanup() {
  exec {BED[1]}>&-
  wait "$bed_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
read -r -u "${BED[0]}" registry_line
read -r -u "${BED[0]}" ca_line
REGISTRY=${registry_line#REGISTRY=}
CA=${ca_line#CA_DIR=}/ca.crt
python3 - "$work" "$REGISTRY" "$n" <<'PY'
import base64, os, sys
work, registry, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
root = os.path.join(work, "root")
passwd = ["root:x:0:0:root:/root:/bin/sh"]
os.makedirs(os.path.join(root, "root"))
for u in range(n):
    home = "/home/u%d" % u
    passwd.append("u%d:x:%d:%d::%s:/bin/sh" % (u, 2000 + u, 2000 + u, home))
    user, pw = ("alice", "alice-pw-1") if u % 2 == 0 else ("bob", "bob-pw-22")
    auth = base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()
    path = root + home + "/.docker/config.json"
    os.makedirs(os.path.dirname(path))
    with open(path, "w") as f:
        f.write('{"auths":{"%s":{"auth":"%s"}}}' % (registry, auth))
    os.chmod(path, 0o600)
with open(os.path.join(root, "etc/passwd") if os.path.isdir(os.path.join(root, "etc")) else (os.makedirs(os.path.join(root, "etc")) or os.path.join(root, "etc/passwd")), "w") as f:
    f.write("\n".join(passwd) + "\n")
PY
export HOME=$work/own REGAUTH_CERTS_D=$work/none
mkdir -p "$HOME"
image="$REGISTRY/team/app:v1"

start=$(date +%s.%N)
"$regauth" audit --all-users --no-helpers --fail-on never --system-root "$work/root" --online \
  --repo "$image" --ca-file "$CA" --json >"$work/online.json"
end=$(date +%s.%N)
online_s=$(echo "$end - $start" | bc -l)

start=$(date +%s.%N)
requests=0
for u in $(seq 0 $((n - 1))); do
  if [ $((u % 2)) = 0 ]; then user=alice pw=alice-pw-1; else user=bob pw=bob-pw-22; fi
  r=$(printf %s "$pw" | "$regauth" diagnose "$image" --push --username "$user" --password-stdin \
        --ca-file "$CA" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])' || true)
  requests=$((requests + ${r:-0}))
done
end=$(date +%s.%N)
one_by_one_s=$(echo "$end - $start" | bc -l)

python3 - "$work/online.json" "$online_s" "$one_by_one_s" "$requests" "$n" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
online_s, one_s, diag_requests, n = float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
o = report["online"]
per_cred = [c["requests"] for c in o["credentials"]]
statuses = {}
for c in o["credentials"]:
    statuses[c["status"]] = statuses.get(c["status"], 0) + 1
print(f"credentials: {n}, one repository each; statuses: {statuses}")
print(f"{'':34}{'wall s':>9}{'requests':>10}{'per credential':>16}")
print(f"{'audit --online':34}{online_s:>9.2f}{o['requests']:>10}{o['requests'] / n:>16.2f}")
print(f"{'diagnose --push, one at a time':34}{one_s:>9.2f}{diag_requests:>10}{diag_requests / n:>16.2f}")
ratio = one_s / online_s
print(f"max requests for one credential and repository: {max(per_cred)}")
print(f"target >= 10x faster: {ratio:.1f}x {'MET' if ratio >= 10 else 'MISSED'}; "
      f"target <= 3 requests per credential and repository: {'MET' if max(per_cred) <= 3 else 'MISSED'}")
PY
