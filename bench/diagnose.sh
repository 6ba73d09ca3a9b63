#!/usr/bin/env bash
# Requests made and wall time of `regauth diagnose` (pull, then push) beside `skopeo inspect` of the same
# image, in the same run, against a local TLS registry with token auth (the tests' token server, started by
# examples/testbed.rs). All three read the same credential from the same config.json.
# Needs docker-registry, skopeo and hyperfine (scripts/install-test-deps). RUNS=N sets hyperfine's runs;
# BEFORE=path/to/another/regauth times that build's pull diagnosis too, in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --bin regauth --bin regauth-cli --example testbed
work=$(mktemp -d)
coproc BED { target/release/examples/testbed; }
bed_pid=$BED_PID
trap 'exec {BED[1]}>&-; wait "$bed_pid" 2>/dev/null; rm -rf "$work"' EXIT
read -r -u "${BED[0]}" registry_line
read -r -u "${BED[0]}" ca_line
REGISTRY=${registry_line#REGISTRY=}
CA_DIR=${ca_line#CA_DIR=}
image="$REGISTRY/team/app:v1"
mkdir -p "$work/docker"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REGISTRY" "$(printf alice:alice-pw-1 | base64)" >"$work/docker/config.json"
export DOCKER_CONFIG="$work/docker" REGAUTH_CERTS_D="$work/none"
regauth=(target/release/regauth diagnose "$image" --ca-file "$CA_DIR/ca.crt")
skopeo=(skopeo inspect --authfile "$work/docker/config.json" --cert-dir "$CA_DIR" "docker://$image")

requests() { grep -o '"requests": [0-9]*' | grep -o '[0-9]*$'; }
methods() { grep -o '"method": "[A-Z]*"' | grep -o '[A-Z]*"$' | tr -d '"' | paste -sd' ' -; }
echo "image: $image (TLS, token auth, local token server)"
pull_json=$("${regauth[@]}" --json)
push_json=$("${regauth[@]}" --json --push)
echo "regauth diagnose (pull):        $(requests <<<"$pull_json") requests: $(methods <<<"$pull_json")"
echo "regauth diagnose --push:        $(requests <<<"$push_json") requests: $(methods <<<"$push_json")"
skopeo_requests=$("${skopeo[@]}" --debug 2>&1 >/dev/null | grep -cE 'msg="(GET|HEAD|POST|PUT|PATCH|DELETE) ')
echo "skopeo inspect:                 $skopeo_requests requests"
echo
hyperfine -N --warmup 3 --runs "${RUNS:-30}" \
  -n "regauth diagnose (pull)" "${regauth[*]}" \
  -n "regauth diagnose --push" "${regauth[*]} --push" \
  -n "skopeo inspect" "${skopeo[*]}" \
  ${BEFORE:+-n "regauth diagnose (pull), BEFORE" "$BEFORE ${regauth[*]:1}"}
