#![no_main]
//! The kubelet's key matching and the Kubernetes object reader never panic on any key, image or JSON;
//! a key that parses serves an image named by its own host and path. The reader's two forms agree: the
//! secrets read as views of the input (what `audit --kube` keeps) are the cluster's, value for value, and
//! their docker configs read in one pass (`docker_entries`) are what the lossless loader reads.
use libfuzzer_sys::fuzz_target;
use regauth::kube::keyring::{docker_entries, lossless_entries, secret_entries};
use regauth::kube::matching::Key;
use regauth::kube::objects::{parse_into, parse_objects, Cluster, Parsed};

fuzz_target!(|data: &[u8]| {
    let mut cluster = Cluster::default();
    let whole = parse_into(data, "fuzz", &mut cluster);
    let mut parsed = Parsed::default();
    let viewed = parse_objects(data, "fuzz", &mut parsed);
    assert_eq!(whole.is_ok(), viewed.is_ok());
    assert_eq!(cluster.secrets.len(), parsed.secrets.len());
    for (secret, view) in cluster.secrets.iter().zip(&parsed.secrets) {
        assert_eq!(
            (&*secret.namespace, &*secret.name, &*secret.kind),
            (&*view.namespace, &*view.name, &*view.kind)
        );
        let owned = secret_entries(secret).map(|e| e.len()).map_err(|e| format!("{e:?}"));
        let borrowed =
            docker_entries(&view.kind, view.docker_value()).map(|e| e.len()).map_err(|e| format!("{e:?}"));
        assert_eq!(owned, borrowed);
        // The one pass over the pull secret's config reads what the lossless loader reads, entry for entry.
        let value = view.docker_value();
        assert_eq!(docker_entries(&view.kind, value), lossless_entries(&view.kind, value));
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (key, target) = text.split_once('\n').unwrap_or((text, "registry.example.com/team/app"));
    if let Some(k) = Key::parse(key) {
        let _ = k.serves(target);
        let own = &k.normalized;
        if !own.contains(['*', '[', '\\', '@']) && own.contains('/') {
            assert!(k.serves(own).is_ok(), "a literal key must serve its own name");
        }
    }
});
