# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_regauth_global_optspecs
    string join \n config= lock-timeout= debug h/help V/version
end

function __fish_regauth_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_regauth_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_regauth_using_subcommand
    set -l cmd (__fish_regauth_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c regauth -n "__fish_regauth_needs_command" -l config -d 'Docker config directory, as docker --config DIR: DIR/config.json is read and written. A DIR that does not exist is an error for commands that write (it is not made); an existing file is taken as the config file itself. Default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json' -r -F
complete -c regauth -n "__fish_regauth_needs_command" -l lock-timeout -d 'Seconds to wait for another writer\'s lock on a config file before giving up (0: do not wait). Edits hold the lock for milliseconds' -r
complete -c regauth -n "__fish_regauth_needs_command" -l debug -d 'Trace every HTTP request and answer on stderr as it happens, secrets redacted as in `diagnose --verbose` (every form of every credential and token: raw, base64, Basic, URL-encoded)'
complete -c regauth -n "__fish_regauth_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regauth -n "__fish_regauth_needs_command" -s V -l version -d 'Print version'
complete -c regauth -n "__fish_regauth_needs_command" -f -a "resolve" -d 'Show which credential docker, podman, nerdctl, buildah, skopeo, buildkit, crane, oras, helm, regctl and containerd\'s CRI would send for an image, and why'
complete -c regauth -n "__fish_regauth_needs_command" -f -a "diagnose" -d 'Tell a wrong or expired credential (authentication) from a valid one that may not pull or push this repository (authorization), with the HTTP exchange that proves it and the fix for this registry'
complete -c regauth -n "__fish_regauth_needs_command" -f -a "export" -d 'Write the credential that a client (default docker) finds for each image\'s registry, in `auths` or through any credential helper, as a Kubernetes pull secret, a docker config.json, a containers auth.json or a kind cluster config: for the named registries only, and only after each credential passed the pull probe on its image (and the push probe with --push). To stdout, or a new file of mode 0600 with --output. The secret is in that document and nowhere else'
complete -c regauth -n "__fish_regauth_needs_command" -f -a "audit" -d 'Inventory every stored registry credential (config files, helpers, caches, environment) with findings'
complete -c regauth -n "__fish_regauth_needs_command" -f -a "helpers" -d 'List and configure credential helpers (credsStore and credHelpers in docker\'s config.json)'
complete -c regauth -n "__fish_regauth_needs_command" -f -a "helper-test" -d 'Check that a credential helper speaks the protocol the way docker\'s clients expect'
complete -c regauth -n "__fish_regauth_needs_command" -f -a "completions" -d 'Print a completion script for your shell'
complete -c regauth -n "__fish_regauth_needs_command" -f -a "login" -d 'Log in to a registry: check the credential, show what it may do, and store it safely'
complete -c regauth -n "__fish_regauth_needs_command" -f -a "logout" -d 'Log out of a registry: erase its credential from every helper and file clients read it from'
complete -c regauth -n "__fish_regauth_needs_command" -f -a "migrate" -d 'Move plaintext credentials out of config.json and auth.json into a credential helper'
complete -c regauth -n "__fish_regauth_needs_command" -f -a "token" -d 'Print a bearer token for the repository of IMAGE, for curl and scripts'
complete -c regauth -n "__fish_regauth_needs_command" -f -a "cache" -d 'The bearer tokens `regauth token` keeps and the helper answers docker-credential-regauth-cache keeps: list them (registry, scopes or server URL and inner helper, expiry; never a secret) or clear them'
complete -c regauth -n "__fish_regauth_needs_command" -f -a "status" -d 'Every registry this user is logged into, per client, and whether each login still works'
complete -c regauth -n "__fish_regauth_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c regauth -n "__fish_regauth_using_subcommand resolve" -l client -d 'Which client\'s lookup rules to apply (all: every one, in this order: docker, podman, nerdctl, buildah, skopeo, crane, oras, helm, regctl, buildkit, containerd)' -r -f -a "docker\t''
podman\t''
nerdctl\t''
buildah\t''
skopeo\t''
crane\t''
oras\t''
helm\t''
regctl\t''
buildkit\t'BuildKit\'s client side (buildctl, buildx, nerdctl build): docker\'s lookup for the host alone'
containerd\t'containerd\'s CRI image service: config.toml\'s registry configs for the host hosts.toml picks'
all\t'Every client above'"
complete -c regauth -n "__fish_regauth_using_subcommand resolve" -l authfile -d 'containers auth file for podman/skopeo/buildah (default: REGISTRY_AUTH_FILE, then their search list)' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand resolve" -l registries-conf -d 'registries.conf for podman/buildah/skopeo, as their own --registries-conf (default: podman\'s and buildah\'s CONTAINERS_REGISTRIES_CONF, then ~/.config/containers/registries.conf or /etc/containers/registries.conf); its credential-helpers are asked first' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand resolve" -l containerd-config -d 'containerd\'s config.toml for --client containerd, as containerd\'s own --config' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand resolve" -l helper-timeout -d 'Seconds to wait for a credential helper before stopping it' -r
complete -c regauth -n "__fish_regauth_using_subcommand resolve" -l config -d 'Docker config directory, as docker --config DIR: DIR/config.json is read and written. A DIR that does not exist is an error for commands that write (it is not made); an existing file is taken as the config file itself. Default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand resolve" -l lock-timeout -d 'Seconds to wait for another writer\'s lock on a config file before giving up (0: do not wait). Edits hold the lock for milliseconds' -r
complete -c regauth -n "__fish_regauth_using_subcommand resolve" -l no-helpers -d 'Do not run credential helpers; only say which one would be asked'
complete -c regauth -n "__fish_regauth_using_subcommand resolve" -l json -d 'Print JSON instead of text (`regauth help json`): the image and one object per client'
complete -c regauth -n "__fish_regauth_using_subcommand resolve" -l debug -d 'Trace every HTTP request and answer on stderr as it happens, secrets redacted as in `diagnose --verbose` (every form of every credential and token: raw, base64, Basic, URL-encoded)'
complete -c regauth -n "__fish_regauth_using_subcommand resolve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -l kube -d 'Diagnose every image of every workload in this `kubectl get ... -o json` output (`-`: stdin) the way the kubelet pulls it: its pull secrets matched by the kubelet\'s rules, each credential tried in its order. Repeatable; each input at most 256 MiB' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -l context -d 'With --kube-live: the kubeconfig context (kubectl --context); default the current one' -r
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -s n -l namespace -d 'With --kube-live: the namespace (kubectl -n); default the context\'s, else `default`' -r
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -l kubectl-timeout -d 'With --kube-live: seconds each kubectl call may take (0.001 to 86400); a kubectl still running then is stopped and named (exit 3)' -r
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -l node-config -d 'With --kube or --kube-live: the node\'s docker config.json, tried after the pull secrets (`auths` only, as the kubelet reads it)' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -l client -d 'Use the credential this client would send' -r -f -a "docker\t'Docker CLI (also buildx, compose, docker-py)'
podman\t'podman (containers/image, as cri-o)'
nerdctl\t'nerdctl (and buildkit through it)'
buildah\t'buildah (containers/image; reads CONTAINERS_REGISTRIES_CONF like podman)'
skopeo\t'skopeo (containers/image; ignores CONTAINERS_REGISTRIES_CONF and DOCKER_CONFIG)'
crane\t'crane (go-containerregistry\'s default keychain)'
oras\t'oras'
helm\t'helm v4 (its registry config, then docker\'s)'
regctl\t'regctl (its config merged over docker\'s)'
containerd\t'containerd\'s CRI image service (the kubelet\'s pulls): config.toml\'s registry configs, not config.json'"
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -l registries-conf -d 'registries.conf for --client podman, buildah or skopeo, as their own --registries-conf (default: podman\'s and buildah\'s CONTAINERS_REGISTRIES_CONF, then the user\'s or the system\'s file)' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -l containerd-config -d 'containerd\'s config.toml for --client containerd, as containerd\'s own --config' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -s u -l username -d 'Username for --password-stdin or --identity-token-stdin' -r
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -l ca-file -d 'Trust this CA certificate (PEM) too. Repeatable' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -l certs-dir -d 'certs.d directories to search instead of docker\'s, containerd\'s and containers\'. Repeatable' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -l tls-verify -d 'podman\'s and skopeo\'s spelling: --tls-verify=false is --insecure' -r -f -a "true\t''
false\t''"
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -l cert-dir -d 'podman\'s and skopeo\'s spelling: trust the *.crt files in this directory (the directory of one registry, not a certs.d tree). Repeatable' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -l registry-type -d 'Treat the registry as this type (recognised from host and token realm otherwise)' -r -f -a "dockerhub\t'Docker Hub (docker.io)'
ghcr\t'GitHub Container Registry (ghcr.io)'
gitlab\t'GitLab container registry (realm .../jwt/auth)'
quay\t'Quay (realm .../v2/auth)'
harbor\t'Harbor (realm .../service/token)'
ecr\t'AWS Elastic Container Registry'
acr\t'Azure Container Registry'
gar\t'Google Artifact Registry'
distribution\t'Any other OCI distribution registry'"
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -l helper-timeout -d 'Seconds to wait for a credential helper (0.001 to 86400)' -r
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -l timeout -d 'Seconds the whole diagnosis may take (0.001 to 86400); when they run out, the report names the step that did not finish and the exit code is 8' -r
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -l config -d 'Docker config directory, as docker --config DIR: DIR/config.json is read and written. A DIR that does not exist is an error for commands that write (it is not made); an existing file is taken as the config file itself. Default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -l lock-timeout -d 'Seconds to wait for another writer\'s lock on a config file before giving up (0: do not wait). Edits hold the lock for milliseconds' -r
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -l kube-live -d 'Like --kube, but read the workloads, service accounts and pull secrets of one namespace from the cluster through your kubectl (its kubeconfig, context and auth plugins); nothing is written to disk. A read the cluster refuses is named with the missing right, and the verdicts are those reachable without it'
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -l push -d 'Also check that the credential may push (opens an upload session and cancels it), also to a repository that does not exist yet (a push creates it)'
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -l password-stdin -d 'Read the password (or access token) from stdin instead of the client\'s config'
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -l identity-token-stdin -d 'Read an identity (OAuth refresh) token from stdin'
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -l anonymous -d 'Use no credential at all'
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -l insecure -d 'Allow plain http and skip certificate verification (docker\'s insecure-registries)'
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -l json -d 'Print the report as JSON (`regauth help json`)'
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -l verbose -d 'Show every request and answer, not only the evidence'
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -l debug -d 'Trace every HTTP request and answer on stderr as it happens, secrets redacted as in `diagnose --verbose` (every form of every credential and token: raw, base64, Basic, URL-encoded)'
complete -c regauth -n "__fish_regauth_using_subcommand diagnose" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regauth -n "__fish_regauth_using_subcommand export" -l format -d 'What to write' -r -f -a "secret\t''
dockerconfigjson\t''
auth.json\t''
kind\t''"
complete -c regauth -n "__fish_regauth_using_subcommand export" -l name -d 'The Secret\'s name (--format secret)' -r
complete -c regauth -n "__fish_regauth_using_subcommand export" -s n -l namespace -d 'The Secret\'s namespace (--format secret); without it, the manifest names none' -r
complete -c regauth -n "__fish_regauth_using_subcommand export" -s o -l output -d 'Write to this new file (mode 0600) instead of stdout; an existing path is refused' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand export" -l client -d 'Export the credential this client would send' -r -f -a "docker\t'Docker CLI (also buildx, compose, docker-py)'
podman\t'podman (containers/image, as cri-o)'
nerdctl\t'nerdctl (and buildkit through it)'
buildah\t'buildah (containers/image; reads CONTAINERS_REGISTRIES_CONF like podman)'
skopeo\t'skopeo (containers/image; ignores CONTAINERS_REGISTRIES_CONF and DOCKER_CONFIG)'
crane\t'crane (go-containerregistry\'s default keychain)'
oras\t'oras'
helm\t'helm v4 (its registry config, then docker\'s)'
regctl\t'regctl (its config merged over docker\'s)'
containerd\t'containerd\'s CRI image service (the kubelet\'s pulls): config.toml\'s registry configs, not config.json'"
complete -c regauth -n "__fish_regauth_using_subcommand export" -l ca-file -d 'Trust this CA certificate (PEM) too. Repeatable' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand export" -l certs-dir -d 'certs.d directories to search instead of docker\'s, containerd\'s and containers\'. Repeatable' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand export" -l tls-verify -d 'podman\'s and skopeo\'s spelling: --tls-verify=false is --insecure' -r -f -a "true\t''
false\t''"
complete -c regauth -n "__fish_regauth_using_subcommand export" -l cert-dir -d 'podman\'s and skopeo\'s spelling: trust the *.crt files in this directory (the directory of one registry, not a certs.d tree). Repeatable' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand export" -l helper-timeout -d 'Seconds to wait for a credential helper (0.001 to 86400)' -r
complete -c regauth -n "__fish_regauth_using_subcommand export" -l timeout -d 'Seconds each image\'s probe may take (0.001 to 86400)' -r
complete -c regauth -n "__fish_regauth_using_subcommand export" -l config -d 'Docker config directory, as docker --config DIR: DIR/config.json is read and written. A DIR that does not exist is an error for commands that write (it is not made); an existing file is taken as the config file itself. Default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand export" -l lock-timeout -d 'Seconds to wait for another writer\'s lock on a config file before giving up (0: do not wait). Edits hold the lock for milliseconds' -r
complete -c regauth -n "__fish_regauth_using_subcommand export" -l push -d 'Also require that each credential may push to its image\'s repository'
complete -c regauth -n "__fish_regauth_using_subcommand export" -l insecure -d 'Allow plain http and skip certificate verification (docker\'s insecure-registries)'
complete -c regauth -n "__fish_regauth_using_subcommand export" -l debug -d 'Trace every HTTP request and answer on stderr as it happens, secrets redacted as in `diagnose --verbose` (every form of every credential and token: raw, base64, Basic, URL-encoded)'
complete -c regauth -n "__fish_regauth_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -l authfile -d 'containers auth file to scan instead of podman\'s search list' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -l helper-timeout -d 'Seconds to wait for a credential helper\'s list or get (0.001 to 86400)' -r
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -l fail-on -d 'Exit 9 when a finding is at least this severe' -r -f -a "info\t''
low\t''
medium\t''
high\t''
never\t''"
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -l kube -d 'Audit the pull secrets in this `kubectl get secret,serviceaccount,pod,deployment,... -o json` output (`-`: stdin) instead of this machine\'s places. Repeatable; each input at most 256 MiB' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -l context -d 'With --kube-live: the kubeconfig context (kubectl --context); default the current one' -r
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -s n -l namespace -d 'With --kube-live: the namespace (kubectl -n); default the context\'s, else `default`' -r
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -l kubectl-timeout -d 'With --kube-live: seconds each kubectl call may take (0.001 to 86400); a kubectl still running then is stopped and named (exit 3)' -r
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -l fingerprint-key -d 'Key file for keyed fingerprints (HMAC-SHA256): each credential\'s fingerprint is printed in the JSON, so the same secret can be matched across machines by whoever holds the key. Keep the key secret; make one with `openssl rand -hex 32`. Without it, no fingerprint leaves regauth' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -l host -d 'The name of this machine in the report (default: the kernel\'s host name)' -r
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -l repo -d 'A repository that matters (REGISTRY/REPO[:TAG]), checked for pull and push with every credential of its registry. Repeatable. With --kube, a pull secret is checked for the images of the workloads that use it instead' -r
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -l expires-within -d 'credential-expires-soon: a credential that expires within this many days (default 14)' -r
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -l online-timeout -d 'Seconds the online checks may take in all (0.001 to 86400); what is not checked by then is reported as timed out' -r
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -l ca-file -d 'Trust this CA certificate (PEM) too. Repeatable' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -l certs-dir -d 'certs.d directories to search instead of docker\'s, containerd\'s and containers\'. Repeatable' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -l tls-verify -d 'podman\'s and skopeo\'s spelling: --tls-verify=false is --insecure' -r -f -a "true\t''
false\t''"
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -l cert-dir -d 'podman\'s and skopeo\'s spelling: trust the *.crt files in this directory (the directory of one registry, not a certs.d tree). Repeatable' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -l system-root -d 'Where the system\'s places are found (homes, /run, /etc, the kubelet\'s): for tests, hidden' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -l config -d 'Docker config directory, as docker --config DIR: DIR/config.json is read and written. A DIR that does not exist is an error for commands that write (it is not made); an existing file is taken as the config file itself. Default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -l lock-timeout -d 'Seconds to wait for another writer\'s lock on a config file before giving up (0: do not wait). Edits hold the lock for milliseconds' -r
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -l all-users -d 'Scan every user\'s home (passwd database, /root, /home/*) and the system-wide places (run as root)'
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -l no-helpers -d 'Do not ask credential helpers to list their entries'
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -l kube-live -d 'Like --kube, but read one namespace from the cluster through your kubectl (its kubeconfig, context and auth plugins): its workloads, service accounts and every secret; nothing is written to disk. A read the cluster refuses is the finding kube-missing-right, naming the right'
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -l json -d 'Print JSON instead of text'
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -s v -l verbose -d 'Text: list every credential and every finding after the summary and the groups'
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -l find-secret-stdin -d 'Read a leaked secret from stdin and report every place that holds it: config files, caches, helpers (each listed entry fetched with `get`), environment variables. The secret is never echoed'
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -l online -d 'Ask each credential\'s registry what it can still do (uses the network; nothing is written): is it accepted, and per --repo may it pull and push. Adds the findings credential-rejected, credential-expires-soon, pull-secret-may-push, account-password and credential-not-needed'
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -l insecure -d 'Allow plain http and skip certificate verification (docker\'s insecure-registries)'
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -l debug -d 'Trace every HTTP request and answer on stderr as it happens, secrets redacted as in `diagnose --verbose` (every form of every credential and token: raw, base64, Basic, URL-encoded)'
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -a "merge" -d 'One report from the `audit --json` reports of many machines'
complete -c regauth -n "__fish_regauth_using_subcommand audit; and not __fish_seen_subcommand_from merge help" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c regauth -n "__fish_regauth_using_subcommand audit; and __fish_seen_subcommand_from merge" -l fail-on -d 'Exit 9 when a finding of any machine is at least this severe' -r -f -a "info\t''
low\t''
medium\t''
high\t''
never\t''"
complete -c regauth -n "__fish_regauth_using_subcommand audit; and __fish_seen_subcommand_from merge" -l config -d 'Docker config directory, as docker --config DIR: DIR/config.json is read and written. A DIR that does not exist is an error for commands that write (it is not made); an existing file is taken as the config file itself. Default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand audit; and __fish_seen_subcommand_from merge" -l lock-timeout -d 'Seconds to wait for another writer\'s lock on a config file before giving up (0: do not wait). Edits hold the lock for milliseconds' -r
complete -c regauth -n "__fish_regauth_using_subcommand audit; and __fish_seen_subcommand_from merge" -l json -d 'Print JSON instead of text'
complete -c regauth -n "__fish_regauth_using_subcommand audit; and __fish_seen_subcommand_from merge" -s v -l verbose -d 'Text: list every finding of every machine after the groups'
complete -c regauth -n "__fish_regauth_using_subcommand audit; and __fish_seen_subcommand_from merge" -l debug -d 'Trace every HTTP request and answer on stderr as it happens, secrets redacted as in `diagnose --verbose` (every form of every credential and token: raw, base64, Basic, URL-encoded)'
complete -c regauth -n "__fish_regauth_using_subcommand audit; and __fish_seen_subcommand_from merge" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regauth -n "__fish_regauth_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "merge" -d 'One report from the `audit --json` reports of many machines'
complete -c regauth -n "__fish_regauth_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and not __fish_seen_subcommand_from list set unset wrap unwrap help" -l config -d 'Docker config directory, as docker --config DIR: DIR/config.json is read and written. A DIR that does not exist is an error for commands that write (it is not made); an existing file is taken as the config file itself. Default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and not __fish_seen_subcommand_from list set unset wrap unwrap help" -l lock-timeout -d 'Seconds to wait for another writer\'s lock on a config file before giving up (0: do not wait). Edits hold the lock for milliseconds' -r
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and not __fish_seen_subcommand_from list set unset wrap unwrap help" -l debug -d 'Trace every HTTP request and answer on stderr as it happens, secrets redacted as in `diagnose --verbose` (every form of every credential and token: raw, base64, Basic, URL-encoded)'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and not __fish_seen_subcommand_from list set unset wrap unwrap help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and not __fish_seen_subcommand_from list set unset wrap unwrap help" -f -a "list" -d 'Show the configured helpers, whether each is installed, and its version'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and not __fish_seen_subcommand_from list set unset wrap unwrap help" -f -a "set" -d 'Configure HELPER as the default (credsStore), or for the registries given with --registry'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and not __fish_seen_subcommand_from list set unset wrap unwrap help" -f -a "unset" -d 'Remove the helper for the registries given with --registry, or the default (credsStore)'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and not __fish_seen_subcommand_from list set unset wrap unwrap help" -f -a "wrap" -d 'Put docker-credential-regauth-cache in front of a helper, for the registries given with --registry or as the default (credsStore), so that get answers from a cache while the answer is fresh'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and not __fish_seen_subcommand_from list set unset wrap unwrap help" -f -a "unwrap" -d 'Take docker-credential-regauth-cache away again: config.json names the inner helper, as before wrap'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and not __fish_seen_subcommand_from list set unset wrap unwrap help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from list" -l config -d 'Docker config directory, as docker --config DIR: DIR/config.json is read and written. A DIR that does not exist is an error for commands that write (it is not made); an existing file is taken as the config file itself. Default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from list" -l lock-timeout -d 'Seconds to wait for another writer\'s lock on a config file before giving up (0: do not wait). Edits hold the lock for milliseconds' -r
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from list" -l json -d 'Print JSON instead of text'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from list" -l debug -d 'Trace every HTTP request and answer on stderr as it happens, secrets redacted as in `diagnose --verbose` (every form of every credential and token: raw, base64, Basic, URL-encoded)'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from set" -l registry -d 'Registry host[:port] to use the helper for (repeatable; a repository path such as ghcr.io/org is refused: helpers are chosen per host). Without it, set credsStore. A value already set is reported as unchanged' -r
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from set" -l config -d 'Docker config directory, as docker --config DIR: DIR/config.json is read and written. A DIR that does not exist is an error for commands that write (it is not made); an existing file is taken as the config file itself. Default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from set" -l lock-timeout -d 'Seconds to wait for another writer\'s lock on a config file before giving up (0: do not wait). Edits hold the lock for milliseconds' -r
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from set" -l json -d 'Print JSON instead of text'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from set" -l debug -d 'Trace every HTTP request and answer on stderr as it happens, secrets redacted as in `diagnose --verbose` (every form of every credential and token: raw, base64, Basic, URL-encoded)'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from unset" -l registry -d 'Registry host[:port] (repeatable). Without it, remove credsStore' -r
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from unset" -l config -d 'Docker config directory, as docker --config DIR: DIR/config.json is read and written. A DIR that does not exist is an error for commands that write (it is not made); an existing file is taken as the config file itself. Default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from unset" -l lock-timeout -d 'Seconds to wait for another writer\'s lock on a config file before giving up (0: do not wait). Edits hold the lock for milliseconds' -r
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from unset" -l json -d 'Print JSON instead of text'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from unset" -l debug -d 'Trace every HTTP request and answer on stderr as it happens, secrets redacted as in `diagnose --verbose` (every form of every credential and token: raw, base64, Basic, URL-encoded)'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from unset" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from wrap" -l registry -d 'Registry host[:port] to wrap (repeatable). Without it, wrap the default (credsStore)' -r
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from wrap" -l inner -d 'The helper to wrap: gcloud for docker-credential-gcloud. Default: the one config.json names' -r
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from wrap" -l ttl -d 'How long an answer is served: 300, 90s, 5m, 1h (at most 24h). A credential that says when it expires (JWT, ECR token) is served until 60 s before that at the latest' -r
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from wrap" -l timeout -d 'How long the inner helper may take before it is stopped and named in the error (at most 300)' -r
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from wrap" -l config -d 'Docker config directory, as docker --config DIR: DIR/config.json is read and written. A DIR that does not exist is an error for commands that write (it is not made); an existing file is taken as the config file itself. Default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from wrap" -l lock-timeout -d 'Seconds to wait for another writer\'s lock on a config file before giving up (0: do not wait). Edits hold the lock for milliseconds' -r
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from wrap" -l json -d 'Print JSON instead of text'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from wrap" -l debug -d 'Trace every HTTP request and answer on stderr as it happens, secrets redacted as in `diagnose --verbose` (every form of every credential and token: raw, base64, Basic, URL-encoded)'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from wrap" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from unwrap" -l registry -d 'Registry host[:port] (repeatable). Without it, unwrap the default (credsStore)' -r
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from unwrap" -l config -d 'Docker config directory, as docker --config DIR: DIR/config.json is read and written. A DIR that does not exist is an error for commands that write (it is not made); an existing file is taken as the config file itself. Default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from unwrap" -l lock-timeout -d 'Seconds to wait for another writer\'s lock on a config file before giving up (0: do not wait). Edits hold the lock for milliseconds' -r
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from unwrap" -l json -d 'Print JSON instead of text'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from unwrap" -l debug -d 'Trace every HTTP request and answer on stderr as it happens, secrets redacted as in `diagnose --verbose` (every form of every credential and token: raw, base64, Basic, URL-encoded)'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from unwrap" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from help" -f -a "list" -d 'Show the configured helpers, whether each is installed, and its version'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from help" -f -a "set" -d 'Configure HELPER as the default (credsStore), or for the registries given with --registry'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from help" -f -a "unset" -d 'Remove the helper for the registries given with --registry, or the default (credsStore)'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from help" -f -a "wrap" -d 'Put docker-credential-regauth-cache in front of a helper, for the registries given with --registry or as the default (credsStore), so that get answers from a cache while the answer is fresh'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from help" -f -a "unwrap" -d 'Take docker-credential-regauth-cache away again: config.json names the inner helper, as before wrap'
complete -c regauth -n "__fish_regauth_using_subcommand helpers; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c regauth -n "__fish_regauth_using_subcommand helper-test" -l config -d 'Docker config directory, as docker --config DIR: DIR/config.json is read and written. A DIR that does not exist is an error for commands that write (it is not made); an existing file is taken as the config file itself. Default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand helper-test" -l lock-timeout -d 'Seconds to wait for another writer\'s lock on a config file before giving up (0: do not wait). Edits hold the lock for milliseconds' -r
complete -c regauth -n "__fish_regauth_using_subcommand helper-test" -l read-only -d 'The helper is read-only: do not expect store to work; report store checks as skipped'
complete -c regauth -n "__fish_regauth_using_subcommand helper-test" -l json -d 'Print JSON instead of text'
complete -c regauth -n "__fish_regauth_using_subcommand helper-test" -l debug -d 'Trace every HTTP request and answer on stderr as it happens, secrets redacted as in `diagnose --verbose` (every form of every credential and token: raw, base64, Basic, URL-encoded)'
complete -c regauth -n "__fish_regauth_using_subcommand helper-test" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regauth -n "__fish_regauth_using_subcommand completions" -l config -d 'Docker config directory, as docker --config DIR: DIR/config.json is read and written. A DIR that does not exist is an error for commands that write (it is not made); an existing file is taken as the config file itself. Default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand completions" -l lock-timeout -d 'Seconds to wait for another writer\'s lock on a config file before giving up (0: do not wait). Edits hold the lock for milliseconds' -r
complete -c regauth -n "__fish_regauth_using_subcommand completions" -l debug -d 'Trace every HTTP request and answer on stderr as it happens, secrets redacted as in `diagnose --verbose` (every form of every credential and token: raw, base64, Basic, URL-encoded)'
complete -c regauth -n "__fish_regauth_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regauth -n "__fish_regauth_using_subcommand login" -s u -l username -d 'Username (prompted for on a terminal when left out)' -r
complete -c regauth -n "__fish_regauth_using_subcommand login" -s p -l password -d 'Refused: a password on the command line is seen by every user of the machine (ps, /proc/PID/cmdline) and kept in shell history. Pipe it in with --password-stdin' -r
complete -c regauth -n "__fish_regauth_using_subcommand login" -l authfile -d 'Write containers\' auth.json FILE (podman\'s --authfile) instead of docker\'s config.json. Default: REGISTRY_AUTH_FILE, when --config is not given' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand login" -l repo -d 'Report pull and push rights on this repository before storing (repeatable)' -r
complete -c regauth -n "__fish_regauth_using_subcommand login" -l ca-file -d 'Trust this CA certificate (PEM) too. Repeatable' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand login" -l certs-dir -d 'certs.d directories to search instead of docker\'s, containerd\'s and containers\'. Repeatable' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand login" -l tls-verify -d 'podman\'s and skopeo\'s spelling: --tls-verify=false is --insecure' -r -f -a "true\t''
false\t''"
complete -c regauth -n "__fish_regauth_using_subcommand login" -l cert-dir -d 'podman\'s and skopeo\'s spelling: trust the *.crt files in this directory (the directory of one registry, not a certs.d tree). Repeatable' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand login" -l helper-timeout -d 'Seconds to wait for a credential helper (0.001 to 86400)' -r
complete -c regauth -n "__fish_regauth_using_subcommand login" -l timeout -d 'Seconds the check of the credential, and each repository\'s probes, may take (0.001 to 86400)' -r
complete -c regauth -n "__fish_regauth_using_subcommand login" -l config -d 'Docker config directory, as docker --config DIR: DIR/config.json is read and written. A DIR that does not exist is an error for commands that write (it is not made); an existing file is taken as the config file itself. Default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand login" -l lock-timeout -d 'Seconds to wait for another writer\'s lock on a config file before giving up (0: do not wait). Edits hold the lock for milliseconds' -r
complete -c regauth -n "__fish_regauth_using_subcommand login" -l password-stdin -d 'Read the password (or access token) from stdin instead of prompting'
complete -c regauth -n "__fish_regauth_using_subcommand login" -l token-stdin -d 'Read a token from stdin, for registries that take a token with any username (the username is -u USER, else "token")'
complete -c regauth -n "__fish_regauth_using_subcommand login" -l plaintext -d 'Store in config.json\'s auths, unencrypted, instead of a credential helper'
complete -c regauth -n "__fish_regauth_using_subcommand login" -l insecure -d 'Allow plain http and skip certificate verification (docker\'s insecure-registries)'
complete -c regauth -n "__fish_regauth_using_subcommand login" -l json -d 'Print a JSON report instead of text'
complete -c regauth -n "__fish_regauth_using_subcommand login" -l debug -d 'Trace every HTTP request and answer on stderr as it happens, secrets redacted as in `diagnose --verbose` (every form of every credential and token: raw, base64, Basic, URL-encoded)'
complete -c regauth -n "__fish_regauth_using_subcommand login" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regauth -n "__fish_regauth_using_subcommand logout" -l authfile -d 'containers\' auth.json to clean too (podman\'s --authfile). Default: REGISTRY_AUTH_FILE, else containers\' own files' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand logout" -l helper-timeout -d 'Seconds to wait for a credential helper (0.001 to 86400)' -r
complete -c regauth -n "__fish_regauth_using_subcommand logout" -l config -d 'Docker config directory, as docker --config DIR: DIR/config.json is read and written. A DIR that does not exist is an error for commands that write (it is not made); an existing file is taken as the config file itself. Default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand logout" -l lock-timeout -d 'Seconds to wait for another writer\'s lock on a config file before giving up (0: do not wait). Edits hold the lock for milliseconds' -r
complete -c regauth -n "__fish_regauth_using_subcommand logout" -l all -d 'Log out of every registry the config files and the credsStore helper know'
complete -c regauth -n "__fish_regauth_using_subcommand logout" -l json -d 'Print JSON instead of text'
complete -c regauth -n "__fish_regauth_using_subcommand logout" -l debug -d 'Trace every HTTP request and answer on stderr as it happens, secrets redacted as in `diagnose --verbose` (every form of every credential and token: raw, base64, Basic, URL-encoded)'
complete -c regauth -n "__fish_regauth_using_subcommand logout" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regauth -n "__fish_regauth_using_subcommand migrate" -l to -d 'Helper to move into (NAME of docker-credential-NAME). Default: the one the file names for the registry, else the best store here' -r
complete -c regauth -n "__fish_regauth_using_subcommand migrate" -l registry -d 'Only this registry\'s entries (repeatable)' -r
complete -c regauth -n "__fish_regauth_using_subcommand migrate" -l helper-timeout -d 'Seconds to wait for a credential helper (0.001 to 86400)' -r
complete -c regauth -n "__fish_regauth_using_subcommand migrate" -l config -d 'Docker config directory, as docker --config DIR: DIR/config.json is read and written. A DIR that does not exist is an error for commands that write (it is not made); an existing file is taken as the config file itself. Default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand migrate" -l lock-timeout -d 'Seconds to wait for another writer\'s lock on a config file before giving up (0: do not wait). Edits hold the lock for milliseconds' -r
complete -c regauth -n "__fish_regauth_using_subcommand migrate" -l default -d 'Make the helper docker\'s default (credsStore) instead of setting credHelpers per registry'
complete -c regauth -n "__fish_regauth_using_subcommand migrate" -l dry-run -d 'Show the plan: what a run would move and configure (each helper is asked what it already holds); change nothing'
complete -c regauth -n "__fish_regauth_using_subcommand migrate" -l json -d 'Print JSON instead of text'
complete -c regauth -n "__fish_regauth_using_subcommand migrate" -l debug -d 'Trace every HTTP request and answer on stderr as it happens, secrets redacted as in `diagnose --verbose` (every form of every credential and token: raw, base64, Basic, URL-encoded)'
complete -c regauth -n "__fish_regauth_using_subcommand migrate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regauth -n "__fish_regauth_using_subcommand token" -l client -d 'Use the credential this client would send' -r -f -a "docker\t'Docker CLI (also buildx, compose, docker-py)'
podman\t'podman (containers/image, as cri-o)'
nerdctl\t'nerdctl (and buildkit through it)'
buildah\t'buildah (containers/image; reads CONTAINERS_REGISTRIES_CONF like podman)'
skopeo\t'skopeo (containers/image; ignores CONTAINERS_REGISTRIES_CONF and DOCKER_CONFIG)'
crane\t'crane (go-containerregistry\'s default keychain)'
oras\t'oras'
helm\t'helm v4 (its registry config, then docker\'s)'
regctl\t'regctl (its config merged over docker\'s)'
containerd\t'containerd\'s CRI image service (the kubelet\'s pulls): config.toml\'s registry configs, not config.json'"
complete -c regauth -n "__fish_regauth_using_subcommand token" -l registries-conf -d 'registries.conf for --client podman, buildah or skopeo, as their own --registries-conf (default: podman\'s and buildah\'s CONTAINERS_REGISTRIES_CONF, then the user\'s or the system\'s file)' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand token" -l containerd-config -d 'containerd\'s config.toml for --client containerd, as containerd\'s own --config' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand token" -s u -l username -d 'Username for --password-stdin or --identity-token-stdin' -r
complete -c regauth -n "__fish_regauth_using_subcommand token" -l ca-file -d 'Trust this CA certificate (PEM) too. Repeatable' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand token" -l certs-dir -d 'certs.d directories to search instead of docker\'s, containerd\'s and containers\'. Repeatable' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand token" -l tls-verify -d 'podman\'s and skopeo\'s spelling: --tls-verify=false is --insecure' -r -f -a "true\t''
false\t''"
complete -c regauth -n "__fish_regauth_using_subcommand token" -l cert-dir -d 'podman\'s and skopeo\'s spelling: trust the *.crt files in this directory (the directory of one registry, not a certs.d tree). Repeatable' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand token" -l helper-timeout -d 'Seconds to wait for a credential helper (0.001 to 86400)' -r
complete -c regauth -n "__fish_regauth_using_subcommand token" -l timeout -d 'Seconds the network part may take (0.001 to 86400)' -r
complete -c regauth -n "__fish_regauth_using_subcommand token" -l config -d 'Docker config directory, as docker --config DIR: DIR/config.json is read and written. A DIR that does not exist is an error for commands that write (it is not made); an existing file is taken as the config file itself. Default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand token" -l lock-timeout -d 'Seconds to wait for another writer\'s lock on a config file before giving up (0: do not wait). Edits hold the lock for milliseconds' -r
complete -c regauth -n "__fish_regauth_using_subcommand token" -l push -d 'A token that may push too (scope pull,push)'
complete -c regauth -n "__fish_regauth_using_subcommand token" -l decode -d 'Show the token\'s claims (access, expiry, issuer, audience) instead of the token'
complete -c regauth -n "__fish_regauth_using_subcommand token" -l json -d 'Print JSON instead of text (`regauth help json`)'
complete -c regauth -n "__fish_regauth_using_subcommand token" -l no-cache -d 'Neither read nor write the token cache'
complete -c regauth -n "__fish_regauth_using_subcommand token" -l password-stdin -d 'Read the password (or access token) from stdin instead of the client\'s config'
complete -c regauth -n "__fish_regauth_using_subcommand token" -l identity-token-stdin -d 'Read an identity (OAuth refresh) token from stdin'
complete -c regauth -n "__fish_regauth_using_subcommand token" -l anonymous -d 'Use no credential at all'
complete -c regauth -n "__fish_regauth_using_subcommand token" -l insecure -d 'Allow plain http and skip certificate verification (docker\'s insecure-registries)'
complete -c regauth -n "__fish_regauth_using_subcommand token" -l debug -d 'Trace every HTTP request and answer on stderr as it happens, secrets redacted as in `diagnose --verbose` (every form of every credential and token: raw, base64, Basic, URL-encoded)'
complete -c regauth -n "__fish_regauth_using_subcommand token" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regauth -n "__fish_regauth_using_subcommand cache; and not __fish_seen_subcommand_from list clear help" -l config -d 'Docker config directory, as docker --config DIR: DIR/config.json is read and written. A DIR that does not exist is an error for commands that write (it is not made); an existing file is taken as the config file itself. Default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand cache; and not __fish_seen_subcommand_from list clear help" -l lock-timeout -d 'Seconds to wait for another writer\'s lock on a config file before giving up (0: do not wait). Edits hold the lock for milliseconds' -r
complete -c regauth -n "__fish_regauth_using_subcommand cache; and not __fish_seen_subcommand_from list clear help" -l debug -d 'Trace every HTTP request and answer on stderr as it happens, secrets redacted as in `diagnose --verbose` (every form of every credential and token: raw, base64, Basic, URL-encoded)'
complete -c regauth -n "__fish_regauth_using_subcommand cache; and not __fish_seen_subcommand_from list clear help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regauth -n "__fish_regauth_using_subcommand cache; and not __fish_seen_subcommand_from list clear help" -f -a "list" -d 'Cached tokens by registry, with their scopes and expiry; never their text'
complete -c regauth -n "__fish_regauth_using_subcommand cache; and not __fish_seen_subcommand_from list clear help" -f -a "clear" -d 'Remove cached tokens and helper answers (of one registry with --registry), and the token services remembered for it'
complete -c regauth -n "__fish_regauth_using_subcommand cache; and not __fish_seen_subcommand_from list clear help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c regauth -n "__fish_regauth_using_subcommand cache; and __fish_seen_subcommand_from list" -l registry -d 'Only this registry (as in an image reference: ghcr.io, docker.io, 127.0.0.1:5000)' -r
complete -c regauth -n "__fish_regauth_using_subcommand cache; and __fish_seen_subcommand_from list" -l config -d 'Docker config directory, as docker --config DIR: DIR/config.json is read and written. A DIR that does not exist is an error for commands that write (it is not made); an existing file is taken as the config file itself. Default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand cache; and __fish_seen_subcommand_from list" -l lock-timeout -d 'Seconds to wait for another writer\'s lock on a config file before giving up (0: do not wait). Edits hold the lock for milliseconds' -r
complete -c regauth -n "__fish_regauth_using_subcommand cache; and __fish_seen_subcommand_from list" -l json -d 'Print JSON instead of text (`regauth help json`)'
complete -c regauth -n "__fish_regauth_using_subcommand cache; and __fish_seen_subcommand_from list" -l debug -d 'Trace every HTTP request and answer on stderr as it happens, secrets redacted as in `diagnose --verbose` (every form of every credential and token: raw, base64, Basic, URL-encoded)'
complete -c regauth -n "__fish_regauth_using_subcommand cache; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regauth -n "__fish_regauth_using_subcommand cache; and __fish_seen_subcommand_from clear" -l registry -d 'Only this registry (as in an image reference: ghcr.io, docker.io, 127.0.0.1:5000)' -r
complete -c regauth -n "__fish_regauth_using_subcommand cache; and __fish_seen_subcommand_from clear" -l config -d 'Docker config directory, as docker --config DIR: DIR/config.json is read and written. A DIR that does not exist is an error for commands that write (it is not made); an existing file is taken as the config file itself. Default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand cache; and __fish_seen_subcommand_from clear" -l lock-timeout -d 'Seconds to wait for another writer\'s lock on a config file before giving up (0: do not wait). Edits hold the lock for milliseconds' -r
complete -c regauth -n "__fish_regauth_using_subcommand cache; and __fish_seen_subcommand_from clear" -l json -d 'Print JSON instead of text (`regauth help json`)'
complete -c regauth -n "__fish_regauth_using_subcommand cache; and __fish_seen_subcommand_from clear" -l debug -d 'Trace every HTTP request and answer on stderr as it happens, secrets redacted as in `diagnose --verbose` (every form of every credential and token: raw, base64, Basic, URL-encoded)'
complete -c regauth -n "__fish_regauth_using_subcommand cache; and __fish_seen_subcommand_from clear" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regauth -n "__fish_regauth_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "list" -d 'Cached tokens by registry, with their scopes and expiry; never their text'
complete -c regauth -n "__fish_regauth_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "clear" -d 'Remove cached tokens and helper answers (of one registry with --registry), and the token services remembered for it'
complete -c regauth -n "__fish_regauth_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c regauth -n "__fish_regauth_using_subcommand status" -l timeout -d 'Seconds the checks may take in all (0.001 to 86400)' -r
complete -c regauth -n "__fish_regauth_using_subcommand status" -l helper-timeout -d 'Seconds to wait for a credential helper (0.001 to 86400)' -r
complete -c regauth -n "__fish_regauth_using_subcommand status" -l ca-file -d 'Trust this CA certificate (PEM) too. Repeatable' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand status" -l certs-dir -d 'certs.d directories to search instead of docker\'s, containerd\'s and containers\'. Repeatable' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand status" -l tls-verify -d 'podman\'s and skopeo\'s spelling: --tls-verify=false is --insecure' -r -f -a "true\t''
false\t''"
complete -c regauth -n "__fish_regauth_using_subcommand status" -l cert-dir -d 'podman\'s and skopeo\'s spelling: trust the *.crt files in this directory (the directory of one registry, not a certs.d tree). Repeatable' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand status" -l config -d 'Docker config directory, as docker --config DIR: DIR/config.json is read and written. A DIR that does not exist is an error for commands that write (it is not made); an existing file is taken as the config file itself. Default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json' -r -F
complete -c regauth -n "__fish_regauth_using_subcommand status" -l lock-timeout -d 'Seconds to wait for another writer\'s lock on a config file before giving up (0: do not wait). Edits hold the lock for milliseconds' -r
complete -c regauth -n "__fish_regauth_using_subcommand status" -l offline -d 'Do not ask the registries: only where each login is stored and what it is'
complete -c regauth -n "__fish_regauth_using_subcommand status" -l json -d 'Print JSON instead of text (`regauth help json`)'
complete -c regauth -n "__fish_regauth_using_subcommand status" -l insecure -d 'Allow plain http and skip certificate verification (docker\'s insecure-registries)'
complete -c regauth -n "__fish_regauth_using_subcommand status" -l debug -d 'Trace every HTTP request and answer on stderr as it happens, secrets redacted as in `diagnose --verbose` (every form of every credential and token: raw, base64, Basic, URL-encoded)'
complete -c regauth -n "__fish_regauth_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regauth -n "__fish_regauth_using_subcommand help; and not __fish_seen_subcommand_from resolve diagnose export audit helpers helper-test completions login logout migrate token cache status help" -f -a "resolve" -d 'Show which credential docker, podman, nerdctl, buildah, skopeo, buildkit, crane, oras, helm, regctl and containerd\'s CRI would send for an image, and why'
complete -c regauth -n "__fish_regauth_using_subcommand help; and not __fish_seen_subcommand_from resolve diagnose export audit helpers helper-test completions login logout migrate token cache status help" -f -a "diagnose" -d 'Tell a wrong or expired credential (authentication) from a valid one that may not pull or push this repository (authorization), with the HTTP exchange that proves it and the fix for this registry'
complete -c regauth -n "__fish_regauth_using_subcommand help; and not __fish_seen_subcommand_from resolve diagnose export audit helpers helper-test completions login logout migrate token cache status help" -f -a "export" -d 'Write the credential that a client (default docker) finds for each image\'s registry, in `auths` or through any credential helper, as a Kubernetes pull secret, a docker config.json, a containers auth.json or a kind cluster config: for the named registries only, and only after each credential passed the pull probe on its image (and the push probe with --push). To stdout, or a new file of mode 0600 with --output. The secret is in that document and nowhere else'
complete -c regauth -n "__fish_regauth_using_subcommand help; and not __fish_seen_subcommand_from resolve diagnose export audit helpers helper-test completions login logout migrate token cache status help" -f -a "audit" -d 'Inventory every stored registry credential (config files, helpers, caches, environment) with findings'
complete -c regauth -n "__fish_regauth_using_subcommand help; and not __fish_seen_subcommand_from resolve diagnose export audit helpers helper-test completions login logout migrate token cache status help" -f -a "helpers" -d 'List and configure credential helpers (credsStore and credHelpers in docker\'s config.json)'
complete -c regauth -n "__fish_regauth_using_subcommand help; and not __fish_seen_subcommand_from resolve diagnose export audit helpers helper-test completions login logout migrate token cache status help" -f -a "helper-test" -d 'Check that a credential helper speaks the protocol the way docker\'s clients expect'
complete -c regauth -n "__fish_regauth_using_subcommand help; and not __fish_seen_subcommand_from resolve diagnose export audit helpers helper-test completions login logout migrate token cache status help" -f -a "completions" -d 'Print a completion script for your shell'
complete -c regauth -n "__fish_regauth_using_subcommand help; and not __fish_seen_subcommand_from resolve diagnose export audit helpers helper-test completions login logout migrate token cache status help" -f -a "login" -d 'Log in to a registry: check the credential, show what it may do, and store it safely'
complete -c regauth -n "__fish_regauth_using_subcommand help; and not __fish_seen_subcommand_from resolve diagnose export audit helpers helper-test completions login logout migrate token cache status help" -f -a "logout" -d 'Log out of a registry: erase its credential from every helper and file clients read it from'
complete -c regauth -n "__fish_regauth_using_subcommand help; and not __fish_seen_subcommand_from resolve diagnose export audit helpers helper-test completions login logout migrate token cache status help" -f -a "migrate" -d 'Move plaintext credentials out of config.json and auth.json into a credential helper'
complete -c regauth -n "__fish_regauth_using_subcommand help; and not __fish_seen_subcommand_from resolve diagnose export audit helpers helper-test completions login logout migrate token cache status help" -f -a "token" -d 'Print a bearer token for the repository of IMAGE, for curl and scripts'
complete -c regauth -n "__fish_regauth_using_subcommand help; and not __fish_seen_subcommand_from resolve diagnose export audit helpers helper-test completions login logout migrate token cache status help" -f -a "cache" -d 'The bearer tokens `regauth token` keeps and the helper answers docker-credential-regauth-cache keeps: list them (registry, scopes or server URL and inner helper, expiry; never a secret) or clear them'
complete -c regauth -n "__fish_regauth_using_subcommand help; and not __fish_seen_subcommand_from resolve diagnose export audit helpers helper-test completions login logout migrate token cache status help" -f -a "status" -d 'Every registry this user is logged into, per client, and whether each login still works'
complete -c regauth -n "__fish_regauth_using_subcommand help; and not __fish_seen_subcommand_from resolve diagnose export audit helpers helper-test completions login logout migrate token cache status help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c regauth -n "__fish_regauth_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "merge" -d 'One report from the `audit --json` reports of many machines'
complete -c regauth -n "__fish_regauth_using_subcommand help; and __fish_seen_subcommand_from helpers" -f -a "list" -d 'Show the configured helpers, whether each is installed, and its version'
complete -c regauth -n "__fish_regauth_using_subcommand help; and __fish_seen_subcommand_from helpers" -f -a "set" -d 'Configure HELPER as the default (credsStore), or for the registries given with --registry'
complete -c regauth -n "__fish_regauth_using_subcommand help; and __fish_seen_subcommand_from helpers" -f -a "unset" -d 'Remove the helper for the registries given with --registry, or the default (credsStore)'
complete -c regauth -n "__fish_regauth_using_subcommand help; and __fish_seen_subcommand_from helpers" -f -a "wrap" -d 'Put docker-credential-regauth-cache in front of a helper, for the registries given with --registry or as the default (credsStore), so that get answers from a cache while the answer is fresh'
complete -c regauth -n "__fish_regauth_using_subcommand help; and __fish_seen_subcommand_from helpers" -f -a "unwrap" -d 'Take docker-credential-regauth-cache away again: config.json names the inner helper, as before wrap'
complete -c regauth -n "__fish_regauth_using_subcommand help; and __fish_seen_subcommand_from cache" -f -a "list" -d 'Cached tokens by registry, with their scopes and expiry; never their text'
complete -c regauth -n "__fish_regauth_using_subcommand help; and __fish_seen_subcommand_from cache" -f -a "clear" -d 'Remove cached tokens and helper answers (of one registry with --registry), and the token services remembered for it'
