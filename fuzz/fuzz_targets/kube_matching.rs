#![no_main]
//! The kubelet's key matching and the Kubernetes object reader never panic on any key, image or JSON;
//! a key that parses serves an image named by its own host and path.
use libfuzzer_sys::fuzz_target;
use regauth::kube::matching::Key;
use regauth::kube::objects::{parse_into, Cluster};

fuzz_target!(|data: &[u8]| {
    let mut cluster = Cluster::default();
    let _ = parse_into(data, "fuzz", &mut cluster);
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
