#!/usr/bin/env bash
# Instructions (callgrind Ir, deterministic where wall time on a shared machine is not) of one cache hit of
# each docker-credential-regauth-cache binary given (e.g. a build of main and one of a branch), each with its
# own cache dir and keyring namespace, on the keyring and the file storage, over a fake inner helper.
# The spawn floor (/bin/true) is printed first, for the ratio (issue 22's target: a hit within 1.2x of the
# floor in wall time; bench/cache-helper.sh measures that).
# Usage: bench/cache-hit-instructions.sh BINARY...   Needs valgrind.
set -euo pipefail
. "$(dirname "$0")/instructions.sh"
k=0
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for d in home config bin; do mkdir -p -m 700 "$work/$d"; done
mkdir -m 700 "$work/config/regauth"
cat >"$work/bin/docker-credential-fake" <<'S'
#!/bin/sh
read -r url; printf '{"ServerURL":"%s","Username":"u","Secret":"bench-secret"}\n' "$url"
S
chmod 755 "$work/bin/docker-credential-fake"
printf '{"version":1,"registries":{"bench.example":{"inner":"fake","ttlSeconds":600,"timeoutSeconds":30}}}' \
  >"$work/config/regauth/cache-helper.json"
chmod 600 "$work/config/regauth/cache-helper.json"
printf bench.example >"$work/key"
echo "floor /bin/true Ir=$(ir /dev/null /bin/true)"
export HOME="$work/home" XDG_CONFIG_HOME="$work/config" PATH="$work/bin:/usr/bin:/bin" AWS_PROFILE=bench
for mode in keyring file; do
  for b in "$@"; do
    k=$((k + 1)); n="$b#$k"; mkdir -p -m 700 "$work/cache-$k"
    export XDG_CACHE_HOME="$work/cache-$k" REGAUTH_KEYUTILS_NAMESPACE="cachehit$$-$k"
    REGAUTH_TOKEN_CACHE=$mode "$b" get <"$work/key" | grep -q bench-secret
    for i in 1 2 3; do
      ir=$(REGAUTH_TOKEN_CACHE=$mode valgrind --tool=callgrind --callgrind-out-file=/dev/null "$b" get \
        <"$work/key" 2>&1 >/dev/null | sed -n 's/.*Collected : //p')
      echo "$mode $n run$i Ir=$ir"
    done
    printf 'bench.example' | REGAUTH_TOKEN_CACHE=$mode "$b" erase >/dev/null 2>&1 || true
  done
done
