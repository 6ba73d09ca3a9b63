//! docker-credential-regauth-kubelet: a kubelet image credential provider plugin serving the node's docker
//! credentials, helpers included (see regauth_helpers::kubelet).

fn main() {
    std::process::exit(regauth_helpers::kubelet::main());
}
