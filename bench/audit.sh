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
cargo build --release --locked --bin regauth --bin regauth-cli
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

# The reports audit merge reads, written by binary "$1" into directory "$2".
reports() {
  local bin=$1 dir=$2
  mkdir -p "$dir"
  env -i HOME="$home" PATH=/usr/bin:/bin "$bin" audit --all-users --no-helpers --fail-on never --system-root \
    "$work/small" --json --fingerprint-key "$work/fp.key" --host machine-0 >"$dir/r0.json"
  for i in $(seq 1 999); do
    sed "s/\"host\": \"machine-0\"/\"host\": \"machine-$i\"/" "$dir/r0.json" >"$dir/r$i.json"
  done
}

# One benchmark ("$1") of this binary and, with BEFORE, of that one: the runs alternate (before, this,
# before, ...) so a busy machine slows both alike; "$2" is the command line with BIN for the binary and
# REPORTS for its reports. Sets t_this and t_before.
bench() {
  local name=$1 line=$2 runs=${RUNS:-3} t_b="" t_t="" t cmd
  for _ in $(seq "$runs"); do
    for who in before this; do
      if [ "$who" = before ] && [ -z "${BEFORE:-}" ]; then continue; fi
      if [ "$who" = before ]; then cmd=${line//BIN/$BEFORE}; cmd=${cmd//REPORTS/$work/reports-before}; else
        cmd=${line//BIN/$regauth}; cmd=${cmd//REPORTS/$work/reports-this}; fi
      out=$work/$name-$who.out
      t=$(RUNS=1 best eval "$cmd")
      if [ "$who" = before ]; then
        if [ -z "$t_b" ] || [ "$(echo "$t < $t_b" | bc)" = 1 ]; then t_b=$t; fi
      elif [ -z "$t_t" ] || [ "$(echo "$t < $t_t" | bc)" = 1 ]; then t_t=$t; fi
    done
  done
  local size lines
  size=$(du -h "$work/$name-this.out" | cut -f1)
  lines=$(wc -l <"$work/$name-this.out")
  if [ -n "${BEFORE:-}" ]; then
    echo "$name: ${t_t} s (before: ${t_b} s), $lines lines, $size"
  else
    echo "$name: ${t_t} s, $lines lines, $size"
  fi
}

audit="env -i HOME=$home PATH=/usr/bin:/bin BIN audit --all-users --no-helpers --fail-on never --system-root"
reports "$regauth" "$work/reports-this"
if [ -n "${BEFORE:-}" ]; then reports "$BEFORE" "$work/reports-before"; fi
echo "audit of 1,000 homes, 100,000 credentials; audit merge of 1,000 reports of 100 credentials (best of ${RUNS:-3})"
bench "audit-text" "$audit $work/root"
bench "audit-json" "$audit $work/root --json --fingerprint-key $work/fp.key"
bench "merge-text" "BIN audit merge --fail-on never REPORTS/*.json"
bench "merge-json" "BIN audit merge --json --fail-on never REPORTS/*.json"
echo "targets: audit at most 0.4 s, merge at most 0.3 s"
