#!/usr/bin/env bash
# Wall time of `regauth audit --all-users` over 1,000 homes holding 100,000 credentials (a generated
# --system-root tree: an etc/passwd of 1,000 users, homes spread over /home, /var/lib and /srv, 100 auths
# entries each, a mix of token kinds), text and --json with a fingerprint key; then `regauth audit merge` of
# 1,000 machine reports (100 credentials each, generated from one audit). Targets (issue 22): each audit
# at most 0.4 s, the merge at most 0.3 s, text and JSON.
# Needs python3 (generation only). RUNS=N repeats each timing (default 3; the best is kept); KEEP=1 keeps
# the generated tree and reports; BEFORE=path/to/another/regauth times that binary too, on the same data in
# the same run (its merge reads reports it wrote itself), for a before/after.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --bin regauth
regauth=$PWD/target/release/regauth
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"' EXIT

python3 - "$work" <<'PY'
import base64, os, sys
work = sys.argv[1]
root = os.path.join(work, "root")
kinds = ["dckr_pat_", "ghp_", "glpat-", "glrt-", "ghu_", "AKCp" + "x" * 60, "", "ya29."]
passwd = ["root:x:0:0:root:/root:/bin/sh"]
os.makedirs(os.path.join(root, "root"))
def write(path, text, mode=0o600):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
for u in range(1000):
    home = ["/home/u%d", "/var/lib/svc%d", "/srv/app%d"][u % 3] % u
    passwd.append("u%d:x:%d:%d::%s:/bin/sh" % (u, 2000 + u, 2000 + u, home))
    entries = []
    for e in range(100):
        secret = "%s%08d%04dS%s" % (kinds[e % len(kinds)], u, e, "k" * 16)
        auth = base64.b64encode(("user%d:%s" % (e, secret)).encode()).decode()
        entries.append('"r%d.example.com":{"auth":"%s"}' % (e, auth))
    write(root + home + "/.docker/config.json", '{"auths":{%s}}' % ",".join(entries), 0o644 if u % 10 == 0 else 0o600)
write(os.path.join(root, "etc/passwd"), "\n".join(passwd) + "\n", 0o644)
# A small machine for the merge: 1 home, 100 entries.
small = os.path.join(work, "small")
write(os.path.join(small, "etc/passwd"), "root:x:0:0::/root:/bin/sh\nci:x:999:999::/var/lib/ci:/bin/sh\n", 0o644)
os.makedirs(os.path.join(small, "root"))
entries = []
for e in range(100):
    secret = "%s%04dshared%s" % (kinds[e % len(kinds)], e, "k" * 16)
    auth = base64.b64encode(("user%d:%s" % (e, secret)).encode()).decode()
    entries.append('"r%d.example.com":{"auth":"%s"}' % (e, auth))
write(os.path.join(small, "var/lib/ci/.docker/config.json"), '{"auths":{%s}}' % ",".join(entries))
PY
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/fp.key"
chmod 600 "$work/fp.key"
home=$work/own
mkdir -p "$home"

# Best of RUNS wall times, in seconds, of "$@" with stdout to $out.
best() {
  local runs=${RUNS:-3} best="" start end t
  for _ in $(seq "$runs"); do
    start=$(date +%s.%N)
    "$@" >"$out"
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
  done
  printf '%.3f' "$best"
}

# Times one binary ("$1", named "$2") on the data: the audit (text, keyed JSON), its merge (text, JSON).
measure() {
  local bin=$1 name=$2
  audit=(env -i HOME="$home" PATH=/usr/bin:/bin "$bin" audit --all-users --no-helpers --fail-on never --system-root)
  out=$work/audit.txt
  t_text=$(best "${audit[@]}" "$work/root")
  lines=$(wc -l <"$out")
  out=$work/audit.json
  t_json=$(best "${audit[@]}" "$work/root" --json --fingerprint-key "$work/fp.key")
  creds=$(grep -c '"place": ' "$out" || true)
  size=$(du -h "$out" | cut -f1)
  rm -rf "$work/reports"
  mkdir -p "$work/reports"
  "${audit[@]}" "$work/small" --json --fingerprint-key "$work/fp.key" --host machine-0 >"$work/reports/r0.json"
  for i in $(seq 1 999); do
    sed "s/\"host\": \"machine-0\"/\"host\": \"machine-$i\"/" "$work/reports/r0.json" >"$work/reports/r$i.json"
  done
  out=$work/merge.txt
  t_merge=$(best "$bin" audit merge --fail-on never "$work"/reports/*.json)
  merge_lines=$(wc -l <"$out")
  out=$work/merge.json
  t_merge_json=$(best "$bin" audit merge --json --fail-on never "$work"/reports/*.json)
  merge_size=$(du -h "$out" | cut -f1)
  echo "$name: audit, 1,000 homes, $creds credentials:  text ${t_text} s ($lines lines), --json --fingerprint-key ${t_json} s ($size)"
  echo "$name: audit merge, 1,000 reports of 100 credentials:  text ${t_merge} s ($merge_lines lines), --json ${t_merge_json} s ($merge_size)"
}

if [ -n "${BEFORE:-}" ]; then
  measure "$BEFORE" before
fi
measure "$regauth" this
echo "targets: audit at most 0.4 s, merge at most 0.3 s"
