//! Certificates for the test bed, made with rcgen: a private CA and a server certificate for 127.0.0.1
//! (TLS registry), and the token server's signing key with the certificate the registry trusts.

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use std::path::{Path, PathBuf};

/// A private CA and a server certificate signed by it, as PEM files in `dir`.
pub struct ServerCerts {
    pub ca: PathBuf,
    pub certificate: PathBuf,
    pub key: PathBuf,
}

pub fn server_certs(dir: &Path) -> ServerCerts {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "regauth test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    let out = ServerCerts {
        ca: dir.join("ca.crt"),
        certificate: dir.join("server.crt"),
        key: dir.join("server.key"),
    };
    std::fs::write(&out.ca, ca.pem()).unwrap();
    std::fs::write(&out.certificate, cert.pem()).unwrap();
    std::fs::write(&out.key, key.serialize_pem()).unwrap();
    out
}

/// The token server's ES256 key, its self-signed certificate (the registry's `rootcertbundle`) and its
/// libtrust key id.
pub struct SigningKey {
    pub pkcs8: Vec<u8>,
    pub kid: String,
    pub bundle: PathBuf,
}

pub fn signing_key(dir: &Path) -> SigningKey {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(rcgen::DnType::CommonName, "regauth test token signer");
    let cert = params.self_signed(&key).unwrap();
    let bundle = dir.join("token-bundle.crt");
    std::fs::write(&bundle, cert.pem()).unwrap();
    SigningKey { pkcs8: key.serialize_der(), kid: libtrust_kid(&key.public_key_der()), bundle }
}

/// distribution's key id: base32(sha256(SubjectPublicKeyInfo DER)[..30]), 12 groups of 4 joined by `:`.
fn libtrust_kid(spki: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let hash = Sha256::digest(spki);
    let mut bits = 0u32;
    let mut count = 0;
    let mut chars = String::new();
    for byte in &hash[..30] {
        bits = (bits << 8) | u32::from(*byte);
        count += 8;
        while count >= 5 {
            count -= 5;
            chars.push(ALPHABET[((bits >> count) & 31) as usize] as char);
        }
    }
    let groups: Vec<&str> = (0..12).map(|i| &chars[i * 4..i * 4 + 4]).collect();
    groups.join(":")
}
