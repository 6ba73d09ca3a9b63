use super::*;

/// What the lossless loader makes of `bytes`, as text (an error by its message).
fn lossless(bytes: &[u8], legacy: bool, client: AuthEncoding) -> Result<Entries, String> {
    let path = Path::new("/t/config.json");
    let doc = if legacy { Document::parse_legacy(bytes, path) } else { Document::parse(bytes, path) };
    doc.map(|doc| Entries::of_document(&doc, client)).map_err(|e| e.to_string())
}

/// `parse` must answer what `Document` answers, on any input; the one pass must take `bytes` or leave them
/// to `Document` as the table says.
pub(crate) fn check(bytes: &[u8], legacy: bool, client: AuthEncoding) -> bool {
    let want = lossless(bytes, legacy, client);
    let fast = one_pass(bytes, legacy, client);
    if let Some(fast) = &fast {
        assert_eq!(
            Ok(fast),
            want.as_ref(),
            "the one pass differs from Document: {:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    let got = parse(bytes, Path::new("/t/config.json"), legacy, client).map_err(|e| e.to_string());
    assert_eq!(got, want, "{:?}", String::from_utf8_lossy(bytes));
    fast.is_some()
}

const PAIR: &str = "dXNlcjpwYXNz"; // user:pass
const NO_PAD: &str = "dXNlcjpwYXM"; // user:pas, padding dropped

/// (input, legacy, taken by the one pass). Good inputs are read in one pass; everything odd goes to
/// Document, and the answer is the same either way.
#[test]
fn the_one_pass_answers_what_document_answers() {
    let cases: Vec<(String, bool, bool)> = vec![
        // Plain files, as docker and podman write them.
        (format!(r#"{{"auths":{{"ghcr.io":{{"auth":"{PAIR}"}}}}}}"#), false, true),
        (format!("\u{feff}{{\n\t\"auths\": {{\n\t\t\"a\": {{\n\t\t\t\"auth\": \"{PAIR}\"\n\t\t}}\n\t}}\n}}\n"), false, true),
        ("".into(), false, true),
        (" \n\t\x0c".into(), false, true),
        ("{}".into(), false, true),
        (r#"{"auths":null,"credsStore":null,"credHelpers":null}"#.into(), false, true),
        (r#"{"auths":{},"credsStore":"","credHelpers":{}}"#.into(), false, true),
        (r#"{"credsStore":"desktop","credHelpers":{"gcr.io":"gcloud","b":""}}"#.into(), false, true),
        // Every field, other fields of any type, numbers of any size.
        (
            format!(
                r#"{{"auths":{{"a":{{"auth":"{PAIR}","username":"u","password":"p","identitytoken":"i","registrytoken":"r","email":"e","x":[1,2.5e400,{{"deep":[null,true]}}],"n":-0.0}}}},"psFormat":"t","zzz":12345678901234567890123456789,"f":1e-999}}"#
            ),
            false,
            true,
        ),
        // Fields of another type are absent; an auth the client cannot decode is flagged.
        (r#"{"auths":{"a":{"auth":5,"username":{"x":1},"password":[1],"identitytoken":true,"registrytoken":null}}}"#.into(), false, true),
        (format!(r#"{{"auths":{{"a":{{"auth":"{NO_PAD}"}},"b":{{"auth":"bm9jb2xvbg=="}},"c":{{"auth":"Ongi"}},"d":{{"auth":" {PAIR} "}}}}}}"#), false, true),
        // Escapes: decoded, not borrowed.
        (r#"{"auths":{"h\u0061":{"username":"\u00e9\n","password":"p\"q"}},"credsStore":"d\/x"}"#.into(), false, true),
        // ~/.dockercfg: the top level is the auths map; a value that is not an object is no entry.
        (format!(r#"{{"a":{{"auth":"{PAIR}"}},"b":5,"c":"x","d":[1],"e":null,"f":true}}"#), true, true),
        // (a number past u64, i64 and f64 is the private number object: left to Document)
        (format!(r#"{{"a":{{"auth":"{PAIR}"}},"b":1e999}}"#), true, false),
        (r#"{"credsStore":"x","a":{}}"#.into(), true, false),
        // Not JSON, or not the shape: Document's error, word for word.
        ("{".into(), false, false),
        (r#"{"auths":{}} x"#.into(), false, false),
        ("[]".into(), false, false),
        ("5".into(), false, false),
        ("\"s\"".into(), false, false),
        (r#"{"auths":[]}"#.into(), false, false),
        (r#"{"auths":5}"#.into(), false, false),
        (r#"{"auths":{"a":5}}"#.into(), false, false),
        (r#"{"auths":{"a":"x"}}"#.into(), false, false),
        (r#"{"credsStore":5}"#.into(), false, false),
        (r#"{"credsStore":{}}"#.into(), false, false),
        (r#"{"credHelpers":{"a":5}}"#.into(), false, false),
        (r#"{"credHelpers":{"a":null}}"#.into(), false, false),
        (r#"{"credHelpers":[]}"#.into(), false, false),
        (r#"{"a":01}"#.into(), false, false),
        (r#"{"a":"\x01"}"#.replace("\\x01", "\u{1}"), false, false),
        (r#"{"a":"\ud800"}"#.into(), false, false),
        (r#"{"a":"\q"}"#.into(), false, false),
        ("{\"a\":[".to_string() + &"[".repeat(200) + &"]".repeat(200) + "]}", false, false),
        // Duplicate keys where the audit reads: Document's last-wins, in the first one's place.
        (format!(r#"{{"auths":{{"a":{{"auth":"{PAIR}"}},"b":{{}},"a":{{"username":"x"}}}}}}"#), false, false),
        (r#"{"auths":{"a":{"username":"x","username":"y"}}}"#.into(), false, false),
        (r#"{"credsStore":"a","credsStore":"b"}"#.into(), false, false),
        (r#"{"auths":{},"auths":{"a":{}}}"#.into(), false, false),
        // ...and where it does not: no difference to what is read.
        (r#"{"x":{"a":1,"a":2},"auths":{"a":{"e":{"k":1,"k":2}}}}"#.into(), false, true),
        // serde_json's private number token: Value reads such an object as a number.
        (r#"{"x":{"$serde_json::private::Number":"12"}}"#.into(), false, true),
        (r#"{"x":{"$serde_json::private::Number":"1x"}}"#.into(), false, false),
        (r#"{"x":{"$serde_json::private::Number":"1","b":2}}"#.into(), false, false),
        (r#"{"auths":{"$serde_json::private::Number":"1"}}"#.into(), false, false),
        (r#"{"auths":{"a":{"$serde_json::private::Number":"1"}}}"#.into(), false, false),
        (r#"{"x":{"\u0024serde_json::private::Number":"1"}}"#.into(), false, true),
        (r#"{"x":{"b":1,"$serde_json::private::RawValue":"1"}}"#.into(), false, false),
    ];
    for (text, legacy, one) in &cases {
        for client in [AuthEncoding::Docker, AuthEncoding::Containers, AuthEncoding::Kubelet] {
            let taken = check(text.as_bytes(), *legacy, client);
            assert_eq!(taken, *one, "one pass {}: {text:?}", if *one { "expected" } else { "not expected" });
        }
    }
    // Invalid UTF-8, in a value read and one skipped.
    for bytes in [&b"{\"auths\":{\"a\":{\"username\":\"\xff\"}}}"[..], b"{\"x\":\"\xc3\x28\"}"] {
        assert!(!check(bytes, false, AuthEncoding::Docker));
    }
}

#[test]
fn many_entries_and_a_duplicate_past_the_few() {
    let entries: Vec<String> = (0..300).map(|i| format!(r#""r{i}":{{"auth":"{PAIR}"}}"#)).collect();
    let text = format!(r#"{{"auths":{{{}}}}}"#, entries.join(","));
    assert!(check(text.as_bytes(), false, AuthEncoding::Docker));
    let text = format!(r#"{{"auths":{{{},"r7":{{}}}}}}"#, entries.join(","));
    assert!(!check(text.as_bytes(), false, AuthEncoding::Docker), "a duplicate after 300 keys is seen");
}

#[test]
fn values_are_read_as_document_reads_them() {
    let text =
        format!(r#"{{"auths":{{"a":{{"auth":"{NO_PAD}"}}}},"credHelpers":{{"a":"x"}},"credsStore":"s"}}"#);
    let read = one_pass(text.as_bytes(), false, AuthEncoding::Docker).unwrap();
    assert_eq!(read.creds_store.as_deref(), Some("s"));
    assert_eq!(read.cred_helper("a"), Some("x"));
    let (entry, unreadable) = &read.entries[0];
    assert_eq!(
        (entry.username.as_deref(), entry.password.as_ref().map(|p| p.expose())),
        (Some("user"), Some("pas"))
    );
    assert!(unreadable.is_some(), "docker needs the padding");
}

/// The table's inputs mutated (bytes changed, inserted, dropped: a small fuzz run that `cargo test`
/// repeats): wherever the one pass answers, it is Document's answer.
#[test]
fn mutated_inputs_answer_what_document_answers() {
    let seeds = [
        format!(
            r#"{{"auths":{{"a":{{"auth":"{PAIR}","email":[1,{{"x":null}}]}},"b":{{"auth":"{NO_PAD}"}}}},"credsStore":"s","credHelpers":{{"a":"h"}},"n":1.5e3}}"#
        ),
        format!(r#"{{"a":{{"auth":"{PAIR}"}},"b":{{"username":"u\u00e9","password":"p"}}}}"#),
    ];
    let alphabet = b"{}[]\":,\\u0123456789.eE+-truefalsnl \t\nab$";
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (x >> 33) as usize % n
    };
    let (mut taken, mut total) = (0, 0);
    for seed in &seeds {
        for _ in 0..1500 {
            let mut bytes = seed.as_bytes().to_vec();
            for _ in 0..=next(3) {
                let at = next(bytes.len() + 1);
                match next(3) {
                    0 if at < bytes.len() => bytes[at] = alphabet[next(alphabet.len())],
                    1 => bytes.insert(at, alphabet[next(alphabet.len())]),
                    _ if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    _ => {}
                }
            }
            for legacy in [false, true] {
                total += 1;
                taken += usize::from(check(&bytes, legacy, AuthEncoding::Docker));
            }
        }
    }
    assert!(taken > total / 10, "the mutations exercise the one pass too: {taken} of {total}");
}
