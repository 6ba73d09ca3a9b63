//! docker-credential-regauth-kubelet: a kubelet image credential provider plugin serving the node's docker
//! credentials, helpers included (see regauth_helpers::kubelet).

#![cfg_attr(not(test), no_main)]

regauth_core::main!(regauth_helpers::kubelet::main);
