use super::*;

fn parse(text: &str) -> Result<Document, ConfigError> {
    Document::parse(text.as_bytes(), Path::new("/t/config.json"))
}

const RICH: &str = concat!(
    "{\n\t\"auths\": {\n\t\t\"https://index.docker.io/v1/\": {\n\t\t\t\"auth\": \"dXNlcjpwYXNz\",\n",
    "\t\t\t\"email\": \"u@example.com\",\n\t\t\t\"x-unknown\": [\n\t\t\t\t1,\n\t\t\t\t2.50,\n",
    "\t\t\t\t{\n\t\t\t\t\t\"deep\": true\n\t\t\t\t}\n\t\t\t]\n\t\t},\n\t\t\"ghcr.io\": {\n",
    "\t\t\t\"identitytoken\": \"refresh-tok\"\n\t\t}\n\t},\n\t\"psFormat\": \"table {{.ID}}\",\n",
    "\t\"credHelpers\": {\n\t\t\"gcr.io\": \"gcloud\"\n\t},\n\t\"zzz\": 12345678901234567890123,\n",
    "\t\"credsStore\": \"desktop\",\n\t\"aaa\": null\n}",
);

#[test]
fn typed_views() {
    let doc = parse(RICH).unwrap();
    assert_eq!(doc.creds_store(), Some("desktop"));
    assert_eq!(doc.cred_helpers(), [("gcr.io", "gcloud")]);
    assert_eq!(doc.auth_keys(), ["https://index.docker.io/v1/", "ghcr.io"]);
    let hub = doc.auth("https://index.docker.io/v1/", AuthEncoding::Docker).unwrap();
    assert_eq!(hub.username.as_deref(), Some("user"));
    assert_eq!(hub.password.as_ref().unwrap().expose(), "pass");
    let ghcr = doc.auth("ghcr.io", AuthEncoding::Docker).unwrap();
    assert_eq!(ghcr.identity_token.as_ref().unwrap().expose(), "refresh-tok");
    assert!(ghcr.username.is_none());
}

#[test]
fn unchanged_document_round_trips_byte_for_byte() {
    let doc = parse(RICH).unwrap();
    assert_eq!(String::from_utf8(doc.to_bytes()).unwrap(), RICH);
}

#[test]
fn an_edit_touches_only_its_entry() {
    let mut doc = parse(RICH).unwrap();
    doc.set_cred_helper("127.0.0.1:5000", "regauth-keyutils");
    let text = String::from_utf8(doc.to_bytes()).unwrap();
    let expected = RICH.replace(
        "\t\t\"gcr.io\": \"gcloud\"\n",
        "\t\t\"gcr.io\": \"gcloud\",\n\t\t\"127.0.0.1:5000\": \"regauth-keyutils\"\n",
    );
    assert_eq!(text, expected);
    assert_eq!(doc.remove_cred_helper("127.0.0.1:5000").as_deref(), Some("regauth-keyutils"));
    assert_eq!(String::from_utf8(doc.to_bytes()).unwrap(), RICH);
}

#[test]
fn removing_keeps_order_of_the_rest() {
    let mut doc = parse(r#"{"a":1,"credsStore":"x","b":2,"c":3}"#).unwrap();
    assert_eq!(doc.set_creds_store(None).as_deref(), Some("x"));
    assert_eq!(String::from_utf8(doc.to_bytes()).unwrap(), "{\n\t\"a\": 1,\n\t\"b\": 2,\n\t\"c\": 3\n}");
    doc.remove_cred_helper("nothing");
    let mut doc = parse("{\"credHelpers\":{\"a\":\"x\"},\"k\":1}").unwrap();
    doc.remove_cred_helper("a");
    assert!(doc.field("credHelpers").is_none(), "an emptied credHelpers is removed");
}

#[test]
fn indentation_is_detected_and_kept() {
    let two = "{\n  \"auths\": {},\n  \"x\": 1\n}\n";
    let doc = parse(two).unwrap();
    assert_eq!(String::from_utf8(doc.to_bytes()).unwrap(), two);
    let four = "{\n    \"x\": [\n        1\n    ]\n}";
    assert_eq!(String::from_utf8(parse(four).unwrap().to_bytes()).unwrap(), four);
}

#[test]
fn set_auth_keeps_other_fields_of_the_entry() {
    let mut doc = parse(RICH).unwrap();
    doc.set_auth("https://index.docker.io/v1/", "other", &Secret::new("pw2"));
    let entry = doc.auth("https://index.docker.io/v1/", AuthEncoding::Docker).unwrap();
    assert_eq!(entry.username.as_deref(), Some("other"));
    assert_eq!(entry.password.unwrap().expose(), "pw2");
    let text = String::from_utf8(doc.to_bytes()).unwrap();
    assert!(text.contains("\"x-unknown\": [\n"), "{text}");
    assert!(text.contains("u@example.com"));
    assert!(doc.remove_auth("ghcr.io"));
    assert!(!doc.remove_auth("ghcr.io"));
}

#[test]
fn empty_and_blank_files_are_empty_configs() {
    for text in ["", "  \n", "\u{feff}"] {
        let doc = parse(text).unwrap();
        assert!(doc.auth_keys().is_empty());
        assert_eq!(doc.creds_store(), None);
    }
}

/// Each kind of damage names the file and a position (or the field), and parsing fails.
#[test]
fn malformed_files_are_rejected_with_position() {
    let cases: &[(&str, &str)] = &[
        ("{", ":1:1:"),
        ("{\"auths\": {}", ":1:12:"),
        ("{\"auths\": {},}", ":1:14:"),
        ("{\n\t\"a\": 1\n\t\"b\": 2\n}", ":3:2:"),
        ("{'auths': {}}", ":1:2:"),
        ("{\"a\": tru}", ":1:"),
        ("{\"a\": 1} trailing", ":1:10:"),
        ("{\"a\": \"\u{1}\"}", ":1:"),
        ("{\"a\": \"unterminated}", ":1:"),
        ("\u{0}", ":1:1:"),
        ("// comment\n{}", ":1:1:"),
        ("{\"a\": 01}", ":1:"),
    ];
    for (text, position) in cases {
        let err = parse(text).unwrap_err();
        let shown = err.to_string();
        assert!(matches!(err, ConfigError::Parse { .. }), "{text:?}: {err:?}");
        assert!(shown.starts_with("/t/config.json:"), "{text:?}: {shown}");
        assert!(shown.contains(position), "{text:?}: {shown} lacks {position}");
    }
    let wrong_types: &[(&str, &str)] = &[
        ("[]", "the top level"),
        ("\"text\"", "the top level"),
        ("42", "the top level"),
        ("{\"auths\": []}", "\"auths\""),
        ("{\"auths\": {\"h\": \"x\"}}", "\"auths\".\"h\""),
        ("{\"credsStore\": 5}", "\"credsStore\""),
        ("{\"credHelpers\": []}", "\"credHelpers\""),
        ("{\"credHelpers\": {\"h\": 1}}", "\"credHelpers\".\"h\""),
    ];
    for (text, field) in wrong_types {
        let err = parse(text).unwrap_err();
        assert!(err.to_string().contains(field), "{text:?}: {err}");
    }
}

#[test]
fn an_entry_is_decoded_for_its_reader_and_a_bad_auth_leaves_the_fields() {
    let doc =
        parse(r#"{"auths":{"h":{"auth":"dTpwOmM"},"k":{"auth":"dTpwOmM","username":"x","password":"y"}}}"#)
            .unwrap();
    assert_eq!(doc.auth("h", AuthEncoding::Kubelet).unwrap().username.as_deref(), Some("u"));
    let docker = doc.auth("h", AuthEncoding::Docker).unwrap();
    assert!(docker.problem.is_some() && docker.username.is_none() && !docker.has_secret());
    // docker falls back to the entry's own username and password when `auth` does not decode.
    let k = doc.auth("k", AuthEncoding::Docker).unwrap();
    assert!(k.problem.is_some());
    assert_eq!((k.username.as_deref(), k.password.as_ref().map(|p| p.expose())), (Some("x"), Some("y")));
    let doc = parse(r#"{"auths":{"h":{"auth":"!!!","username":"x"}}}"#).unwrap();
    assert!(doc.auth("h", AuthEncoding::Containers).unwrap().problem.is_some());
}

#[test]
fn legacy_dockercfg_root_is_auths() {
    let doc = Document::parse_legacy(
        br#"{"https://index.docker.io/v1/":{"auth":"dTpw","email":"e"}}"#,
        Path::new("/h/.dockercfg"),
    )
    .unwrap();
    assert_eq!(doc.auth_keys(), ["https://index.docker.io/v1/"]);
    assert_eq!(
        doc.auth("https://index.docker.io/v1/", AuthEncoding::Docker).unwrap().username.as_deref(),
        Some("u")
    );
}

#[test]
fn crlf_files_keep_crlf() {
    let text = "{\r\n\t\"a\": \"x\\ny\",\r\n\t\"b\": 1\r\n}\r\n";
    let mut doc = parse(text).unwrap();
    assert_eq!(String::from_utf8(doc.to_bytes()).unwrap(), text);
    doc.set_creds_store(Some("pass"));
    let out = String::from_utf8(doc.to_bytes()).unwrap();
    assert!(out.contains("\"credsStore\": \"pass\"\r\n}"), "{out:?}");
    assert!(!out.replace("\r\n", "").contains('\n'), "a bare LF slipped in: {out:?}");
    assert!(out.contains("x\\ny"), "escaped newlines inside strings stay escaped");
}

#[test]
fn duplicate_keys_are_read_last_wins_and_reported() {
    let doc =
        parse(r#"{"auths":{"ghcr.io":{"auth":"Zmlyc3Q6cHc="},"ghcr.io":{"auth":"bGFzdDpwdw=="}}}"#).unwrap();
    assert_eq!(doc.auth("ghcr.io", AuthEncoding::Docker).unwrap().username.as_deref(), Some("last"));
    assert_eq!(doc.duplicate_keys(), ["\"auths\".\"ghcr.io\""]);
    assert!(parse(RICH).unwrap().duplicate_keys().is_empty());
}

#[test]
fn remove_auth_secret_keeps_other_fields_and_drops_emptied_entries() {
    let mut doc = parse(
        r#"{"auths":{"a.io":{"auth":"dTpw","email":"e","x-custom":1},"b.io":{"auth":"dTpw","identitytoken":"t"}},"z":1}"#,
    )
    .unwrap();
    assert!(doc.remove_auth_secret("a.io"));
    assert!(doc.remove_auth_secret("b.io"));
    assert!(!doc.remove_auth_secret("c.io"));
    let out = String::from_utf8(doc.to_bytes()).unwrap();
    assert!(
        out.contains("\"email\": \"e\"") && out.contains("\"x-custom\": 1") && out.contains("\"z\": 1"),
        "{out}"
    );
    assert!(!out.contains("dTpw") && !out.contains("b.io") && !out.contains("identitytoken"), "{out}");
    assert!(!doc.auth("a.io", AuthEncoding::Docker).unwrap().has_secret());
}

#[test]
fn identity_tokens_are_written_as_docker_writes_them() {
    let mut doc = parse(r#"{"auths":{"a.io":{"email":"e"}}}"#).unwrap();
    doc.set_identity_token("a.io", "alice", &Secret::new("refresh-token-1"));
    let entry = doc.auth("a.io", AuthEncoding::Docker).unwrap();
    assert_eq!(entry.username.as_deref(), Some("alice"));
    assert_eq!(entry.identity_token.as_ref().map(Secret::expose), Some("refresh-token-1"));
    assert!(String::from_utf8(doc.to_bytes()).unwrap().contains("\"email\": \"e\""));
}
