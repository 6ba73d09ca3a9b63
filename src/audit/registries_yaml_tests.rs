use super::*;

/// (host, username, has a secret, whether containerd can decode `auth`) of one entry.
type Seen = (String, Option<String>, bool, bool);
/// A case of a bad file: its name, its text, and whether the problem is the expected one.
type Bad<'a> = (&'a str, &'a str, fn(&Problem) -> bool);

fn summary(text: &str) -> Result<Vec<Seen>, Problem> {
    Ok(parse(text)?
        .into_iter()
        .map(|(e, unreadable)| (e.key.clone(), e.username.clone(), e.has_secret(), unreadable.is_none()))
        .collect())
}

fn one(
    host: &str,
    user: Option<&str>,
    secret: bool,
    readable: bool,
) -> Vec<(String, Option<String>, bool, bool)> {
    vec![(host.to_owned(), user.map(str::to_owned), secret, readable)]
}

#[test]
fn good_files() {
    let cases: &[(&str, &str, Vec<Seen>)] = &[
        (
            "username and password",
            "configs:\n  registry.example.com:5000:\n    auth:\n      username: ci\n      password: s3cret\n",
            one("registry.example.com:5000", Some("ci"), true, true),
        ),
        (
            "quoted host, auth field",
            "configs:\n  \"ghcr.io\":\n    auth:\n      auth: YWxpY2U6cHc=\n",
            one("ghcr.io", Some("alice"), true, true),
        ),
        (
            "auth without padding: regauth reads it, containerd does not",
            "configs:\n  ghcr.io:\n    auth:\n      auth: YWxpY2U6cHc\n",
            one("ghcr.io", Some("alice"), true, false),
        ),
        (
            "identity token",
            "configs:\n  quay.io:\n    auth:\n      identity_token: refresh-xyz\n",
            one("quay.io", None, true, true),
        ),
        (
            "flow style and mirrors beside",
            "mirrors:\n  docker.io:\n    endpoint: [\"https://m.example\"]\nconfigs: {r.example: {auth: {username: u, password: p}, tls: {insecure_skip_verify: true}}}\n",
            one("r.example", Some("u"), true, true),
        ),
        (
            "an anchor shared by two hosts",
            "configs:\n  a.example:\n    auth: &shared\n      username: u\n      password: p\n  b.example:\n    auth: *shared\n",
            vec![
                ("a.example".into(), Some("u".into()), true, true),
                ("b.example".into(), Some("u".into()), true, true),
            ],
        ),
        (
            "null password, tls only, no auth",
            "configs:\n  a.example:\n    auth:\n      username: u\n      password: ~\n  b.example:\n    tls:\n      ca_file: /x.crt\n",
            one("a.example", Some("u"), false, true),
        ),
        ("empty file", "", vec![]),
        ("no configs", "mirrors:\n  docker.io:\n    endpoint:\n      - https://m.example\n", vec![]),
        ("a list at the top", "- a\n- b\n", vec![]),
        (
            "only the first document",
            "configs:\n  a.example:\n    auth: {username: u, password: p}\n---\nconfigs:\n  b.example:\n    auth: {username: v, password: q}\n",
            one("a.example", Some("u"), true, true),
        ),
    ];
    for (name, text, want) in cases {
        assert_eq!(summary(text).as_ref(), Ok(want), "{name}");
    }
}

#[test]
fn bad_files() {
    let laughs = {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        text
    };
    let long = "x".repeat(1 << 20);
    let big_scalar = format!("s: &s {long}\nl: [{}]\n", ["*s"; 8].join(", "));
    let deep = format!("{}x{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    let cases: &[Bad] = &[
        ("tab indentation", "configs:\n\tr.example: {}\n", |p| matches!(p, Problem::Yaml { .. })),
        ("unclosed flow", "configs: {r.example: {auth: {username: u", |p| matches!(p, Problem::Yaml { .. })),
        ("billion laughs", &laughs, |p| *p == Problem::TooManyNodes),
        ("one big scalar copied", &big_scalar, |p| *p == Problem::TooManyNodes),
        ("too deep", &deep, |p| *p == Problem::TooDeep),
        ("unknown alias", "configs: *nowhere\n", |p| {
            matches!(p, Problem::Yaml { .. } | Problem::UnknownAlias)
        }),
        // The anchor is not complete while its own collection is read.
        ("recursive alias", "a: &a [x, *a]\n", |p| matches!(p, Problem::Yaml { .. } | Problem::UnknownAlias)),
    ];
    for (name, text, check) in cases {
        match summary(text) {
            Err(problem) => assert!(check(&problem), "{name}: {problem:?}"),
            Ok(found) => panic!("{name}: read as {found:?}"),
        }
    }
}

#[test]
fn problems_never_echo_a_secret() {
    let text = "configs:\n  r.example:\n    auth:\n      password: \"s3cret-value\n";
    let problem = summary(text).unwrap_err().to_string();
    assert!(!problem.contains("s3cret"), "{problem}");
}
