use super::*;
use base64::Engine;

fn b64(text: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// Configs whose `auth` fields the kubelet and the lenient reading treat differently, or that the one pass
/// hands to the loader: both readings must give the same entries or the same reason.
#[test]
fn the_one_pass_reads_every_config_as_the_loader() {
    let padded = b64(b"user:pw-12");
    assert!(padded.ends_with('='), "the cases need padding");
    let bare = padded.trim_end_matches('=').to_owned();
    let auths = [
        padded.clone(),
        bare.clone(),
        format!("{padded} "),
        format!(" {padded}"),
        format!("{padded}\n"),
        format!("{bare}\r\n"),
        format!("{}\n{}", &padded[..4], &padded[4..]),
        format!("{bare}="),
        format!("{bare}\t"),
        b64(b"no-colon"),
        b64(b":empty-user"),
        b64(b"user:\0pw\0"),
        b64(b"user:pw:with:colons"),
        b64(&[0xff, 0xfe, b':', b'x']),
        "#not-base64#".into(),
        "Y".into(),
        String::new(),
    ];
    let mut configs: Vec<String> = Vec::new();
    for auth in &auths {
        let auth = serde_json::to_string(auth).unwrap();
        configs.push(format!(
            r#"{{"auths":{{"ghcr.io":{{"auth":{auth}}},"quay.io":{{"username":"u","password":"p"}}}}}}"#
        ));
        configs.push(format!(
            r#"{{"auths":{{"ghcr.io":{{"auth":{auth},"username":"other","password":"other-pw"}}}}}}"#
        ));
        configs.push(format!(r#"{{"ghcr.io":{{"auth":{auth},"email":"a@b"}}}}"#));
    }
    configs.extend(
        [
            r#"{"auths":{"a":{"identitytoken":"it"},"b":{"registrytoken":"rt","username":"u"},"c":{}}}"#,
            r#"{"auths":{"a":{"password":"p"},"a":{"password":"q"}}}"#,
            r#"{"auths":{"a":{"password":"p","password":"q"}}}"#,
            r#"{"auths":{"a":"not an object"}}"#,
            r#"{"auths":{"a":{"password":5}}}"#,
            r#"{"auths":null,"credsStore":"pass"}"#,
            r#"{"auths":[]}"#,
            r#"{"auths":{"a":{"password":1e400}}}"#,
            r#"{"a":"x","b":[1,2],"c":null,"d":{"password":"p"}}"#,
            r#"{"credsStore":"pass","a":{"password":"p"}}"#,
            "\u{feff}{\"auths\":{\"a\":{\"password\":\"p\"}}}",
            "   \n",
            "{not json",
            "[]",
            r#"{"auths":{}} trailing"#,
        ]
        .map(str::to_owned),
    );
    let (mut entries, mut reasons) = (0, 0);
    for config in &configs {
        for kind in [objects::DOCKER_CONFIG_JSON, objects::DOCKERCFG] {
            let value = ValueRef::Base64(b64(config.as_bytes()).into());
            let got = docker_entries(kind, Some(&value));
            assert_eq!(got, lossless_entries(kind, Some(&value)), "{kind}: {config}");
            match got {
                Ok(list) => entries += list.len(),
                Err(_) => reasons += 1,
            }
        }
    }
    assert!(
        entries > 40 && reasons > 25,
        "the table reads entries and refuses configs: {entries}, {reasons}"
    );
    // No data, data that is not base64, a type the kubelet does not read.
    for (kind, value) in [
        (objects::DOCKER_CONFIG_JSON, None),
        (objects::DOCKER_CONFIG_JSON, Some(ValueRef::Base64("%%".into()))),
        (objects::DOCKER_CONFIG_JSON, Some(ValueRef::Base64("".into()))),
        ("Opaque", Some(ValueRef::Plain("{}".into()))),
    ] {
        assert_eq!(docker_entries(kind, value.as_ref()), lossless_entries(kind, value.as_ref()));
    }
}
