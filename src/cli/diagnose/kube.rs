//! `regauth diagnose --kube FILE|-` (and `--kube-live`): the objects read, then `kube::diagnosis` (the
//! credentials the kubelet would try, probed in its order, and its verdict per image), printed.

use super::super::output::Failed;
use super::Args;
use crate::exit::Exit;
use crate::kube::diagnosis::{diagnose_cluster, ProbeOptions};
use crate::kube::keyring::NodeConfig;
use crate::kube::live;
use crate::kube::objects;
use regauth_core::fsread;

mod render;

use render::render;

pub(super) fn run(cli_args: &Args, env: &regauth_core::environ::Environ) -> anyhow::Result<Exit> {
    let cluster = if cli_args.kube_live {
        let request = live::Request {
            context: cli_args.context.clone(),
            namespace: cli_args.namespace.clone(),
            objects: cli_args.image.iter().chain(&cli_args.objects).cloned().collect(),
            secrets: live::Secrets::Named,
            timeout: cli_args.kubectl_timeout,
        };
        live::read(env, &request).map_err(|e| e.to_string())
    } else {
        objects::read_inputs(&cli_args.kube).map_err(|e| e.to_string())
    };
    let cluster = match cluster {
        Ok(c) => c,
        Err(e) => return Err(Failed::local(e)),
    };
    let node = match &cli_args.node_config {
        None => None,
        Some(path) => {
            let read = fsread::read_regular(path, fsread::CONFIG_LIMIT)
                .map_err(|e| e.to_string())
                .and_then(|c| NodeConfig::parse(&c.bytes, path).map_err(|e| e.to_string()));
            match read {
                Ok(n) => Some(n),
                Err(e) => return Err(Failed::local(e)),
            }
        }
    };
    let opts = ProbeOptions {
        certs_dirs: cli_args.trust.certs_dirs(),
        ca_files: cli_args.trust.all_ca_files(),
        insecure: cli_args.trust.allows_insecure(),
        timeout: cli_args.timeout,
        registry_type: cli_args.registry_type,
    };
    let report = diagnose_cluster(&cluster, node.as_ref(), &opts)?;
    if cli_args.json {
        super::super::output::print_report(&report, 1, report.verdict.exit())?;
    } else {
        super::super::output::print(&render(&report))?;
    }
    Ok(report.verdict.exit())
}
