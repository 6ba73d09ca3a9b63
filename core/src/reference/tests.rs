use super::*;

const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// (input, registry, repository, tag, digest)
type GoodCase = (String, &'static str, String, Option<&'static str>, Option<&'static str>);
/// (input, does the error have the expected kind)
type BadCase = (String, fn(&ReferenceError) -> bool);

fn good_cases() -> Vec<GoodCase> {
    // At the limit: the repository path is 255 characters, whatever the registry host adds.
    let long_ok = format!("a/{}", "b".repeat(MAX_NAME_LEN - "a/".len()));
    let long_host_path = "a".repeat(MAX_NAME_LEN);
    let long_library = "c".repeat(MAX_NAME_LEN - "library/".len());
    vec![
        ("nginx".into(), "docker.io", "library/nginx".into(), Some("latest"), None),
        ("nginx:1.25".into(), "docker.io", "library/nginx".into(), Some("1.25"), None),
        ("library/nginx".into(), "docker.io", "library/nginx".into(), Some("latest"), None),
        ("docker.io/nginx".into(), "docker.io", "library/nginx".into(), Some("latest"), None),
        ("docker.io/library/nginx:alpine".into(), "docker.io", "library/nginx".into(), Some("alpine"), None),
        ("index.docker.io/library/nginx".into(), "docker.io", "library/nginx".into(), Some("latest"), None),
        ("index.docker.io/nginx".into(), "docker.io", "library/nginx".into(), Some("latest"), None),
        ("user/app".into(), "docker.io", "user/app".into(), Some("latest"), None),
        (
            "sebastianpaucar/rocky8-test-docker-hub:latest".into(),
            "docker.io",
            "sebastianpaucar/rocky8-test-docker-hub".into(),
            Some("latest"),
            None,
        ),
        ("ghcr.io/owner/app:v1".into(), "ghcr.io", "owner/app".into(), Some("v1"), None),
        ("ghcr.io/app".into(), "ghcr.io", "app".into(), Some("latest"), None),
        ("quay.io/org/repo".into(), "quay.io", "org/repo".into(), Some("latest"), None),
        (
            "registry.gitlab.com/group/sub/project/img:1".into(),
            "registry.gitlab.com",
            "group/sub/project/img".into(),
            Some("1"),
            None,
        ),
        ("localhost/app".into(), "localhost", "app".into(), Some("latest"), None),
        ("localhost:5000/app".into(), "localhost:5000", "app".into(), Some("latest"), None),
        ("localhost:5000/team/app:v2".into(), "localhost:5000", "team/app".into(), Some("v2"), None),
        ("127.0.0.1:5000/team/app:v1".into(), "127.0.0.1:5000", "team/app".into(), Some("v1"), None),
        ("127.0.0.1/app".into(), "127.0.0.1", "app".into(), Some("latest"), None),
        ("[::1]:5000/foo".into(), "[::1]:5000", "foo".into(), Some("latest"), None),
        ("[::1]/foo:bar".into(), "[::1]", "foo".into(), Some("bar"), None),
        ("[2001:db8::1]:443/a/b".into(), "[2001:db8::1]:443", "a/b".into(), Some("latest"), None),
        ("myhost:65535/x".into(), "myhost:65535", "x".into(), Some("latest"), None),
        ("My.Registry.io/app".into(), "My.Registry.io", "app".into(), Some("latest"), None),
        ("Registry/app".into(), "Registry", "app".into(), Some("latest"), None),
        (
            "123456789012.dkr.ecr.eu-west-2.amazonaws.com/repo:tag".into(),
            "123456789012.dkr.ecr.eu-west-2.amazonaws.com",
            "repo".into(),
            Some("tag"),
            None,
        ),
        (
            "us-docker.pkg.dev/proj/repo/img".into(),
            "us-docker.pkg.dev",
            "proj/repo/img".into(),
            Some("latest"),
            None,
        ),
        (
            "myreg.azurecr.io/a.b/c_d/e__f/g-h/i---j".into(),
            "myreg.azurecr.io",
            "a.b/c_d/e__f/g-h/i---j".into(),
            Some("latest"),
            None,
        ),
        ("a/b/c/d/e/f".into(), "docker.io", "a/b/c/d/e/f".into(), Some("latest"), None),
        ("nginx:Latest_1.2-rc".into(), "docker.io", "library/nginx".into(), Some("Latest_1.2-rc"), None),
        ("nginx:_tag".into(), "docker.io", "library/nginx".into(), Some("_tag"), None),
        (
            format!("nginx:{}", "t".repeat(128)),
            "docker.io",
            "library/nginx".into(),
            Some(leak("t".repeat(128))),
            None,
        ),
        (format!("nginx@{D}"), "docker.io", "library/nginx".into(), None, Some(D)),
        (format!("nginx:1.25@{D}"), "docker.io", "library/nginx".into(), Some("1.25"), Some(D)),
        (format!("localhost:5000/app@{D}"), "localhost:5000", "app".into(), None, Some(D)),
        (long_ok.clone(), "docker.io", long_ok, Some("latest"), None),
        (
            format!("example.com/{long_host_path}"),
            "example.com",
            long_host_path.clone(),
            Some("latest"),
            None,
        ),
        (
            format!("registry.example.com:5000/{long_host_path}:v1"),
            "registry.example.com:5000",
            long_host_path,
            Some("v1"),
            None,
        ),
        (long_library.clone(), "docker.io", format!("library/{long_library}"), Some("latest"), None),
        ("localhost:5000".into(), "docker.io", "library/localhost".into(), Some("5000"), None),
        ("0/1".into(), "docker.io", "0/1".into(), Some("latest"), None),
        ("a1b2/c3".into(), "docker.io", "a1b2/c3".into(), Some("latest"), None),
    ]
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn bad_cases() -> Vec<BadCase> {
    use ReferenceError as E;
    vec![
        ("".into(), |e| matches!(e, E::Empty)),
        (":tag".into(), |e| matches!(e, E::Empty)),
        ("@sha256:abc".into(), |e| matches!(e, E::InvalidDigest(_))),
        ("ngi nx".into(), |e| matches!(e, E::BadCharacter)),
        ("nginx\n".into(), |e| matches!(e, E::BadCharacter)),
        ("nginx\t:1".into(), |e| matches!(e, E::BadCharacter)),
        ("Nginx".into(), |e| matches!(e, E::Uppercase(..))),
        ("user/MyApp".into(), |e| matches!(e, E::Uppercase(..))),
        ("ghcr.io/Owner/app".into(), |e| matches!(e, E::Uppercase(..))),
        ("nginx:".into(), |e| matches!(e, E::InvalidTag(_))),
        ("nginx:-tag".into(), |e| matches!(e, E::InvalidTag(_))),
        ("nginx:.tag".into(), |e| matches!(e, E::InvalidTag(_))),
        ("nginx:ta/g".into(), |e| matches!(e, E::InvalidPort(_))),
        ("nginx:t+g".into(), |e| matches!(e, E::InvalidTag(_))),
        (format!("nginx:{}", "t".repeat(129)), |e| matches!(e, E::InvalidTag(_))),
        ("nginx@sha256:abc".into(), |e| matches!(e, E::InvalidDigest(_))),
        ("nginx@sha256".into(), |e| matches!(e, E::InvalidDigest(_))),
        (format!("nginx@{}", D.to_uppercase().replace("SHA256", "sha256")), |e| {
            matches!(e, E::InvalidDigest(_))
        }),
        (format!("nginx@{D}0"), |e| matches!(e, E::InvalidDigest(_))),
        (format!("nginx@md5:{}", "a".repeat(32)), |e| matches!(e, E::UnsupportedDigest(_))),
        (format!("nginx@:{}", "a".repeat(64)), |e| matches!(e, E::InvalidDigest(_))),
        (format!("nginx@{D}@{D}"), |e| matches!(e, E::InvalidDigest(_))),
        ("a".repeat(64), |e| matches!(e, E::HexOnlyName(_))),
        ("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".into(), |e| {
            matches!(e, E::HexOnlyName(_))
        }),
        ("user//app".into(), |e| matches!(e, E::InvalidComponent(_))),
        ("user/app/".into(), |e| matches!(e, E::InvalidComponent(_))),
        ("/app".into(), |e| matches!(e, E::InvalidComponent(_) | E::InvalidRegistry(_))),
        ("user/-app".into(), |e| matches!(e, E::InvalidComponent(_))),
        ("user/app-".into(), |e| matches!(e, E::InvalidComponent(_))),
        ("user/a..b".into(), |e| matches!(e, E::InvalidComponent(_))),
        ("user/a___b".into(), |e| matches!(e, E::InvalidComponent(_))),
        ("user/a._b".into(), |e| matches!(e, E::InvalidComponent(_))),
        ("user/a%b".into(), |e| matches!(e, E::InvalidComponent(_))),
        ("user/ä".into(), |e| matches!(e, E::InvalidComponent(_))),
        ("nginx:1:2".into(), |e| matches!(e, E::InvalidComponent(_))),
        ("localhost:/app".into(), |e| matches!(e, E::InvalidPort(_))),
        ("localhost:0/app".into(), |e| matches!(e, E::InvalidPort(_))),
        ("localhost:65536/app".into(), |e| matches!(e, E::InvalidPort(_))),
        ("localhost:50a0/app".into(), |e| matches!(e, E::InvalidPort(_))),
        ("-host.io/app".into(), |e| matches!(e, E::InvalidRegistry(_))),
        ("host-.io/app".into(), |e| matches!(e, E::InvalidRegistry(_))),
        ("host..io/app".into(), |e| matches!(e, E::InvalidRegistry(_))),
        ("ho_st.io/app".into(), |e| matches!(e, E::InvalidRegistry(_))),
        ("[::1/app".into(), |e| matches!(e, E::InvalidRegistry(_))),
        ("[zz::1]:5000/app".into(), |e| matches!(e, E::InvalidRegistry(_))),
        ("::1:5000/app".into(), |e| matches!(e, E::InvalidRegistry(_) | E::InvalidPort(_))),
        ("[::1]x/app".into(), |e| matches!(e, E::InvalidPort(_))),
        (format!("a/{}", "b".repeat(MAX_NAME_LEN)), |e| matches!(e, E::NameTooLong(_))),
        // The path alone counts: one over the limit, with a short and a long registry host.
        (format!("ghcr.io/{}", "b".repeat(MAX_NAME_LEN + 1)), |e| matches!(e, E::NameTooLong(256))),
        (format!("example.com/{}", "a".repeat(MAX_NAME_LEN + 1)), |e| matches!(e, E::NameTooLong(256))),
        (format!("example.com/a/{}", "b".repeat(MAX_NAME_LEN - 1)), |e| matches!(e, E::NameTooLong(256))),
        // Docker Hub's `library/` is part of the path.
        ("c".repeat(MAX_NAME_LEN - "library/".len() + 1), |e| matches!(e, E::NameTooLong(256))),
    ]
}

#[test]
fn good_references_parse_and_normalise() {
    let cases = good_cases();
    assert!(cases.len() >= 35);
    for (input, registry, repository, tag, digest) in cases {
        let r = Reference::parse(&input).unwrap_or_else(|e| panic!("{input:?} should parse: {e}"));
        assert_eq!(r.registry, registry, "registry of {input:?}");
        assert_eq!(r.repository, repository, "repository of {input:?}");
        assert_eq!(r.tag.as_deref(), tag, "tag of {input:?}");
        assert_eq!(r.digest.as_deref(), digest, "digest of {input:?}");
        // Normalised form is a fixed point.
        let again = Reference::parse(&r.to_string()).unwrap();
        assert_eq!(again, r, "{input:?} -> {r} does not re-parse to itself");
    }
}

#[test]
fn bad_references_are_rejected_with_the_right_reason() {
    let cases = bad_cases();
    assert!(cases.len() >= 45);
    for (input, expected) in cases {
        match Reference::parse(&input) {
            Ok(r) => panic!("{input:?} should be rejected, got {r:?}"),
            Err(e) => assert!(expected(&e), "{input:?}: unexpected error {e:?}"),
        }
    }
}

#[test]
fn uppercase_error_suggests_the_lowercase_name() {
    let e = Reference::parse("user/MyApp").unwrap_err();
    assert_eq!(e.to_string(), "repository name \"user/MyApp\" must be lowercase (try \"user/myapp\")");
}

#[test]
fn manifest_reference_prefers_digest() {
    let r = Reference::parse(&format!("nginx:1@{D}")).unwrap();
    assert_eq!(r.manifest_reference(), D);
    assert_eq!(Reference::parse("nginx").unwrap().manifest_reference(), "latest");
    assert_eq!(Reference::parse("nginx").unwrap().name(), "docker.io/library/nginx");
}
