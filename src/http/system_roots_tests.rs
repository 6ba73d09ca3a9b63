use super::*;
use std::collections::BTreeSet;

const A: &str = "-----BEGIN CERTIFICATE-----\nQUJD\nREVG\n-----END CERTIFICATE-----\n";

#[test]
fn pem_texts_table() {
    let key = "-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n";
    let trusted = "-----BEGIN TRUSTED CERTIFICATE-----\nVFJV\n-----END TRUSTED CERTIFICATE-----\n";
    let two_crlf = "-----BEGIN CERTIFICATE-----\r\nQUJD\r\n-----END CERTIFICATE-----\r\n\
                    # a comment\r\n-----BEGIN CERTIFICATE-----\r\nREVG\r\n-----END CERTIFICATE-----\r\n";
    let table: &[(&str, String, &[&str])] = &[
        ("empty", String::new(), &[]),
        ("one block", A.into(), &["QUJDREVG"]),
        ("text around it", format!("Subject: x\n{A}trailing"), &["QUJDREVG"]),
        ("CRLF, two blocks and a comment", two_crlf.into(), &["QUJD", "REVG"]),
        ("spaces and tabs inside", "-----BEGIN CERTIFICATE-----\n QU JD\t\n-----END CERTIFICATE-----".into(), &["QUJD"]),
        ("a key is no certificate", format!("{key}{A}"), &["QUJDREVG"]),
        ("nor a trusted certificate", trusted.into(), &[]),
        ("unterminated", "-----BEGIN CERTIFICATE-----\nQUJD\n".into(), &[]),
        ("unterminated after a good one", format!("{A}-----BEGIN CERTIFICATE-----\nQUJD"), &["QUJDREVG"]),
        (
            "a block run into the next",
            format!("-----BEGIN CERTIFICATE-----\nQUJD\n-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END CERTIFICATE-----\n{A}"),
            &["QUJDREVG"],
        ),
        ("an END alone", "-----END CERTIFICATE-----\n".into(), &[]),
    ];
    for (what, pem, want) in table {
        let got: Vec<String> =
            pem_texts(pem.as_bytes()).into_iter().map(|t| String::from_utf8(t).unwrap()).collect();
        assert_eq!(got, *want, "{what}");
    }
}

#[test]
fn decode_table() {
    assert_eq!(decode(b"QUJD"), Some(b"ABC".to_vec()));
    for bad in [&b""[..], b"QUJ", b"Q!JD", b"QUJD=", b"\xff\xfe"] {
        assert_eq!(decode(bad), None, "{:?}", String::from_utf8_lossy(bad));
    }
}

fn pem_of(name: &str) -> String {
    rcgen::generate_simple_self_signed(vec![name.to_owned()]).unwrap().cert.pem()
}

fn set(certs: Vec<CertificateDer<'_>>) -> BTreeSet<Vec<u8>> {
    certs.iter().map(|c| c.as_ref().to_vec()).collect()
}

/// This machine's trust store, whatever it holds: the same set as rustls-native-certs reads.
#[test]
fn the_system_roots_are_rustls_native_certs_roots() {
    let theirs = rustls_native_certs::load_native_certs().certs;
    assert_eq!(set(load()), set(theirs));
}

/// A bundle and a directory with copies, links, a FIFO, a subdirectory and a file of no PEM: the same set
/// as rustls-native-certs reads from them, each certificate once.
#[test]
fn files_and_directories_as_rustls_native_certs_reads_them() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (pem_of("a.test"), pem_of("b.test"), pem_of("c.test"));
    let bundle = tmp.path().join("bundle.pem");
    std::fs::write(&bundle, format!("{a}{b}")).unwrap();
    let dir = tmp.path().join("certs");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("a-copy.pem"), &a).unwrap();
    std::fs::write(dir.join("c.pem"), &c).unwrap();
    std::fs::write(dir.join("sub/d.pem"), pem_of("d.test")).unwrap();
    std::fs::write(dir.join("README"), "not a certificate").unwrap();
    std::os::unix::fs::symlink(dir.join("c.pem"), dir.join("0123abcd.0")).unwrap();
    std::os::unix::fs::symlink(&bundle, dir.join("bundle-link.pem")).unwrap();
    let fifo = std::ffi::CString::new(dir.join("fifo.pem").into_os_string().into_encoded_bytes()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);

    let ours = load_from(Some(&bundle), std::slice::from_ref(&dir));
    assert_eq!(ours.len(), 3, "a, b and c once each; the FIFO not opened, the subdirectory not read");
    std::fs::remove_file(dir.join("fifo.pem")).unwrap(); // the crate would open it and wait
    let theirs = rustls_native_certs::load_certs_from_paths(Some(&bundle), Some(&dir)).certs;
    assert_eq!(set(ours), set(theirs));
}

#[test]
fn a_malformed_block_skips_that_block_only() {
    let tmp = tempfile::tempdir().unwrap();
    let good = pem_of("good.test");
    let file = tmp.path().join("bundle.pem");
    std::fs::write(
        &file,
        format!("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n{good}"),
    )
    .unwrap();
    let certs = load_from(Some(&file), &[]);
    assert_eq!(certs.len(), 1);
    assert!(good.contains(&base64::engine::general_purpose::STANDARD.encode(&certs[0])[..40]));
    assert!(load_from(Some(&tmp.path().join("missing")), &[tmp.path().join("nothing here")]).is_empty());
}
