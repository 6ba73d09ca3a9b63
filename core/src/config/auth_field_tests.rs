use super::*;
use AuthEncoding::{Containers, Docker, Kubelet};

/// What a reader should make of a field: `Ok((user, password))`, `Ok` of `None` for "nothing here", or
/// the problem.
type Want = Result<Option<(&'static str, &'static str)>, AuthProblem>;

fn pair(user: &'static str, password: &'static str) -> Want {
    Ok(Some((user, password)))
}

fn b64(encoding: AuthEncoding, problem: Base64Problem) -> Want {
    Err(AuthProblem::Base64 { encoding, problem })
}

fn got(auth: &str, encoding: AuthEncoding) -> Result<Option<(String, String)>, AuthProblem> {
    decode(auth, encoding).map(|d| match d {
        Decoded::Pair(u, p) => Some((u, p.expose().to_owned())),
        Decoded::Nothing => None,
    })
}

#[test]
fn each_reader_decodes_as_its_program_does() {
    use Base64Problem::*;
    let space = |position| Character { position, whitespace: true };
    // (field, docker, containers/image, kubelet); "alice:pw" is YWxpY2U6cHc=.
    let table: Vec<(&str, Want, Want, Want)> = vec![
        ("YWxpY2U6cHc=", pair("alice", "pw"), pair("alice", "pw"), pair("alice", "pw")),
        // Padding-less: Go's StdEncoding refuses it; the kubelet switches to RawStdEncoding.
        ("YWxpY2U6cHc", b64(Docker, MissingPadding), b64(Containers, MissingPadding), pair("alice", "pw")),
        ("dTpwOmM", b64(Docker, MissingPadding), b64(Containers, MissingPadding), pair("u", "p:c")),
        // CR and LF are skipped anywhere, other white space is not.
        ("YWxp\nY2U6cHc=", pair("alice", "pw"), pair("alice", "pw"), pair("alice", "pw")),
        ("YWxpY2U6cHc=\r\n", pair("alice", "pw"), pair("alice", "pw"), pair("alice", "pw")),
        ("YWxpY2U6cHc\n", b64(Docker, MissingPadding), b64(Containers, MissingPadding), pair("alice", "pw")),
        ("YWxpY2U6cHc= ", b64(Docker, space(12)), b64(Containers, space(12)), b64(Kubelet, space(12))),
        (" YWxpY2U6cHc=", b64(Docker, space(0)), b64(Containers, space(0)), b64(Kubelet, space(0))),
        ("YWxpY2U6cHc ", b64(Docker, space(11)), b64(Containers, space(11)), b64(Kubelet, space(11))),
        // Go does not check the unused trailing bits.
        ("YWxpY2U6cHd=", pair("alice", "pw"), pair("alice", "pw"), pair("alice", "pw")),
        ("YWxpY2U6cHc==", b64(Docker, Padding), b64(Containers, Padding), b64(Kubelet, Padding)),
        ("YQ==YQ==", b64(Docker, Padding), b64(Containers, Padding), b64(Kubelet, Padding)),
        ("YQ==YQ", b64(Docker, Padding), b64(Containers, Padding), b64(Kubelet, Padding)),
        ("YWxpY", b64(Docker, Length), b64(Containers, Length), b64(Kubelet, Length)),
        (
            "!!!",
            b64(Docker, Character { position: 0, whitespace: false }),
            b64(Containers, Character { position: 0, whitespace: false }),
            b64(Kubelet, Character { position: 0, whitespace: false }),
        ),
        // "nocolon"
        (
            "bm9jb2xvbg==",
            Err(AuthProblem::NoColon { encoding: Docker }),
            Ok(None),
            Err(AuthProblem::NoColon { encoding: Kubelet }),
        ),
        // ":pw": docker/cli refuses an empty username, the others take it.
        ("OnB3", Err(AuthProblem::EmptyUsername { encoding: Docker }), pair("", "pw"), pair("", "pw")),
        // "alice:pw\0": NULs trimmed by docker and containers/image, not by the kubelet.
        ("YWxpY2U6cHcA", pair("alice", "pw"), pair("alice", "pw"), pair("alice", "pw\0")),
        ("dTo=", pair("u", ""), pair("u", ""), pair("u", "")),
        // Only the first ":" splits.
        ("dTpwOmM=", pair("u", "p:c"), pair("u", "p:c"), pair("u", "p:c")),
        (
            "/w==",
            Err(AuthProblem::NotUtf8 { encoding: Docker }),
            Err(AuthProblem::NotUtf8 { encoding: Containers }),
            Err(AuthProblem::NotUtf8 { encoding: Kubelet }),
        ),
    ];
    let mut wrong = Vec::new();
    for (field, docker, containers, kubelet) in &table {
        for (encoding, want) in [(Docker, docker), (Containers, containers), (Kubelet, kubelet)] {
            let want = (*want).map(|o| o.map(|(u, p)| (u.to_owned(), p.to_owned())));
            let got = got(field, encoding);
            if got != want {
                wrong.push(format!("{field:?} as {encoding:?}: got {got:?}, want {want:?}"));
            }
            // `problem` is `decode`'s error, whatever the field.
            if problem(field, encoding) != want.err() {
                wrong.push(format!("{field:?} as {encoding:?}: problem() differs from decode()"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn lenient_reads_what_the_field_holds() {
    for field in ["YWxpY2U6cHc=", "YWxpY2U6cHc", " YWxpY2U6cHc=\n", "YWxp\nY2U6cHc"] {
        assert_eq!(got(field, AuthEncoding::Lenient), Ok(Some(("alice".into(), "pw".into()))), "{field:?}");
    }
    assert!(got("YWxpY2U6cHc==", AuthEncoding::Lenient).is_err());
    assert_eq!(
        got("bm9jb2xvbg==", AuthEncoding::Lenient),
        Err(AuthProblem::NoColon { encoding: AuthEncoding::Lenient })
    );
}

#[test]
fn problems_say_whose_reading_and_never_echo_the_field() {
    let err = decode("YWxpY2U6cHc", Docker).unwrap_err();
    assert_eq!(err.to_string(), "\"auth\" is not valid base64 as docker decodes it: missing padding");
    for field in ["YWxpY2U6cHc", "c2VjcmV0", "!!!", "/w==", "OnNlY3JldA=="] {
        for encoding in [Docker, Containers, Kubelet] {
            if let Err(e) = decode(field, encoding) {
                let text = e.to_string();
                assert!(!text.contains(field) && !text.contains("secret"), "{text}");
            }
        }
    }
}

#[test]
fn containerd_reads_as_its_cri_parse_auth() {
    use AuthEncoding::Containerd;
    let cases: &[(&str, Want)] = &[
        ("YWxpY2U6cHc=", pair("alice", "pw")),
        // An empty username is taken: containerd then sends the password as a refresh token.
        ("OnB3", pair("", "pw")),
        ("bm9jb2xvbg==", Err(AuthProblem::NoColon { encoding: Containerd })),
        ("YWxpY2U6cHc", b64(Containerd, Base64Problem::MissingPadding)),
        // NULs around the password are trimmed (Go decodes into a buffer of the longest length).
        ("YWxpY2U6cHcA", pair("alice", "pw")),
    ];
    for (field, want) in cases {
        let got = got(field, Containerd);
        let got = got.as_ref().map(|p| p.as_ref().map(|(u, p)| (u.as_str(), p.as_str())));
        assert_eq!(got, want.as_ref().map(|p| *p), "{field:?}");
    }
}
