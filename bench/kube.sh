#!/usr/bin/env bash
# Two measurements of the Kubernetes modes, in one run:
#  1. `regauth audit --kube` of a generated dump of 100,000 pull secrets (1,000 namespaces, service accounts
#     naming half of them, 1,000 distinct credentials of several token kinds, each in 100 namespaces), JSON:
#     wall time (best of RUNS, default 3), user+system CPU time and peak memory (/usr/bin/time) against the
#     input's size. Targets: at most 0.5 s, peak memory at most 3x the input. The same again for a dump in
#     which every secret is distinct (no copy decoded once for 100): the harder case, no target of its own.
#     AUDIT_ONLY=1 stops after these.
#  2. `regauth diagnose --kube` of 200 workloads over 20 images on the local TLS registry with token auth
#     (examples/testbed.rs with TESTBED_IMAGES=20), beside `regauth diagnose` of the 20 distinct images once
#     each, one after another. Target: --kube within 2x of that.
# Needs docker-registry and python3 (to generate the dump). SECRETS=N and WORKLOADS=N change the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${AUDIT_ONLY:-}" ]; then
  cargo build --release --locked --bin regauth --bin regauth-cli
else
  cargo build --release --locked --bin regauth --bin regauth-cli --example testbed
fi
work=$(mktemp -d)
secrets=${SECRETS:-100000}
workloads=${WORKLOADS:-200}
images=20

# $1: the dump's file; $2: 1 for every secret distinct.
generate() {
  python3 - "$secrets" "$2" >"$1" <<'PY'
import base64, json, sys
n, distinct = int(sys.argv[1]), sys.argv[2] == "1"
def b64(s): return base64.b64encode(s.encode()).decode()
kinds = ["dckr_pat_{:028d}", "ghp_{:036d}", "glpat-{:020d}", "plain-password-{:06d}"]
servers = ["https://index.docker.io/v1/", "ghcr.io", "registry.gitlab.com", "registry.example.com:5000"]
items = []
for i in range(n):
    ns = "ns%d" % (i % 1000)
    c = i if distinct else (i // 100) % 1000  # each credential in 100 namespaces, or each its own
    user, pw, server = "user%d" % c, kinds[c % 4].format(c), servers[(c // 4) % 4]
    cfg = {"auths": {server: {"username": user, "password": pw, "auth": b64(user + ":" + pw)}}}
    items.append({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
                  "metadata": {"name": "pull-%d" % i, "namespace": ns},
                  "data": {".dockerconfigjson": b64(json.dumps(cfg))}})
for ns in range(1000):
    names = [{"name": "pull-%d" % i} for i in range(ns, n, 2000)]
    items.append({"apiVersion": "v1", "kind": "ServiceAccount",
                  "metadata": {"name": "default", "namespace": "ns%d" % ns}, "imagePullSecrets": names})
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, sys.stdout)
PY
}

# $1: the dump's file; $2: what to call it.
audit() {
  local bytes best t start end user sys cpu peak_kb credentials findings
  bytes=$(stat -c %s "$1")
  echo "audit --kube: $secrets secrets, $2, $((bytes / 1048576)) MiB"
  best=""
  for _ in $(seq "${RUNS:-3}"); do
    start=$(date +%s.%N)
    target/release/regauth audit --kube "$1" --json --fail-on never >"$work/audit.json"
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
  done
  /usr/bin/time -f '%M %U %S' -o "$work/time.txt" target/release/regauth audit --kube "$1" --json \
    --fail-on never >/dev/null
  read -r peak_kb user sys <"$work/time.txt"
  cpu=$(echo "$user + $sys" | bc)
  credentials=$(grep -o '"storage": "kubernetes-secret"' "$work/audit.json" | wc -l)
  findings=$(grep -o '"code": "kube-[a-z-]*"' "$work/audit.json" | sort | uniq -c | tr -s ' ' | paste -sd, -)
  printf '  %.2f s (target 0.5; CPU %.2f s), %d credentials; findings:%s\n' "$best" "$cpu" "$credentials" \
    "$findings"
  printf '  peak memory %d MiB, %.1fx the input (target 3x)\n' "$((peak_kb / 1024))" \
    "$(echo "$peak_kb * 1024 / $bytes" | bc -l)"
}

generate "$work/cluster.json" 0
audit "$work/cluster.json" "each credential in 100 namespaces"
generate "$work/distinct.json" 1
audit "$work/distinct.json" "every secret distinct"
rm -f "$work/distinct.json"
if [ -n "${AUDIT_ONLY:-}" ]; then
  rm -rf "$work"
  exit 0
fi

coproc BED { TESTBED_IMAGES=$images target/release/examples/testbed; }
bed_pid=$BED_PID
trap 'exec {BED[1]}>&-; wait "$bed_pid" 2>/dev/null; rm -rf "$work"' EXIT
read -r -u "${BED[0]}" registry_line
read -r -u "${BED[0]}" ca_line
REGISTRY=${registry_line#REGISTRY=}
CA_DIR=${ca_line#CA_DIR=}
export REGAUTH_CERTS_D="$work/none"

python3 - "$REGISTRY" "$workloads" "$images" >"$work/workloads.json" <<'PY'
import base64, json, sys
registry, n, images = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cfg = {"auths": {registry: {"auth": base64.b64encode(b"alice:alice-pw-1").decode()}}}
items = [{"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
          "metadata": {"name": "regcred", "namespace": "ns%d" % ns},
          "data": {".dockerconfigjson": base64.b64encode(json.dumps(cfg).encode()).decode()}} for ns in range(10)]
for i in range(n):
    image = "%s/team/app%d:v1" % (registry, i % images + 1)
    items.append({"apiVersion": "apps/v1", "kind": "Deployment",
                  "metadata": {"name": "web%d" % i, "namespace": "ns%d" % (i % 10)},
                  "spec": {"template": {"spec": {"imagePullSecrets": [{"name": "regcred"}],
                                                 "containers": [{"name": "app", "image": image}]}}}})
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, sys.stdout)
PY
echo
echo "diagnose --kube: $workloads workloads over $images images on $REGISTRY (TLS, token auth)"
start=$(date +%s.%N)
target/release/regauth diagnose --kube "$work/workloads.json" --ca-file "$CA_DIR/ca.crt" --json >"$work/kube.json" || {
  echo "diagnose --kube failed (exit $?)"; exit 1; }
end=$(date +%s.%N)
kube=$(echo "$end - $start" | bc)
probes=$(grep -c '"schemaVersion": 1' "$work/kube.json" || true)
printf '  %.2f s (%d probe reports, verdict %s)\n' "$kube" "$((probes - 1))" \
  "$(grep -o '"verdict": "[a-zA-Z]*"' "$work/kube.json" | tail -1)"
start=$(date +%s.%N)
for i in $(seq 1 "$images"); do
  printf %s alice-pw-1 | target/release/regauth diagnose "$REGISTRY/team/app$i:v1" --ca-file "$CA_DIR/ca.crt" \
    --username alice --password-stdin >/dev/null
done
end=$(date +%s.%N)
single=$(echo "$end - $start" | bc)
printf '  the %d images diagnosed once each, one after another: %.2f s\n' "$images" "$single"
printf '  ratio: %.2f (target: at most 2)\n' "$(echo "$kube / $single" | bc -l)"
