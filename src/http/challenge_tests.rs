use super::*;

fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn ch(scheme: &str, pairs: &[(&str, &str)]) -> Challenge {
    Challenge { scheme: scheme.into(), params: params(pairs) }
}

#[test]
fn case_table() {
    #[rustfmt::skip]
    let cases: Vec<(&str, Vec<Challenge>)> = vec![
        // comma inside quotes
        (r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push""#,
         vec![ch("bearer", &[("realm", "https://auth.docker.io/token"), ("service", "registry.docker.io"), ("scope", "repository:samalba/my-app:pull,push")])]),
        // no service
        (r#"Bearer realm="https://us-docker.pkg.dev/v2/token""#,
         vec![ch("bearer", &[("realm", "https://us-docker.pkg.dev/v2/token")])]),
        // service is not the host
        (r#"Bearer realm="https://gitlab.com/jwt/auth",service="container_registry""#,
         vec![ch("bearer", &[("realm", "https://gitlab.com/jwt/auth"), ("service", "container_registry")])]),
        (r#"Bearer realm="https://r.azurecr.io/oauth2/token",service="r.azurecr.io",scope="registry:catalog:*""#,
         vec![ch("bearer", &[("realm", "https://r.azurecr.io/oauth2/token"), ("service", "r.azurecr.io"), ("scope", "registry:catalog:*")])]),
        // upper-case scheme
        (r#"BASIC realm="Sonatype Nexus Repository Manager""#,
         vec![ch("basic", &[("realm", "Sonatype Nexus Repository Manager")])]),
        (r#"Basic realm="https://1234.dkr.ecr.eu-west-2.amazonaws.com/",service="ecr.amazonaws.com""#,
         vec![ch("basic", &[("realm", "https://1234.dkr.ecr.eu-west-2.amazonaws.com/"), ("service", "ecr.amazonaws.com")])]),
        // empty quoted value
        (r#"Bearer realm="r",empty="",service="s""#,
         vec![ch("bearer", &[("realm", "r"), ("empty", ""), ("service", "s")])]),
        // two challenges on one line
        (r#"Basic realm="quay.io", Bearer realm="https://quay.io/v2/auth",service="quay.io""#,
         vec![ch("basic", &[("realm", "quay.io")]), ch("bearer", &[("realm", "https://quay.io/v2/auth"), ("service", "quay.io")])]),
        // space-joined resources; host:port in the name
        (r#"Bearer realm="r",scope="repository:a:pull repository:b:push""#,
         vec![ch("bearer", &[("realm", "r"), ("scope", "repository:a:pull repository:b:push")])]),
        (r#"Bearer realm="r",scope="repository:localhost:5000/foo:pull""#,
         vec![ch("bearer", &[("realm", "r"), ("scope", "repository:localhost:5000/foo:pull")])]),
        // escapes, case-insensitive parameter names, spaces around '=', unquoted values, error parameter
        (r#"Bearer Realm = "a\"b\\c", ERROR=insufficient_scope ,service=svc"#,
         vec![ch("bearer", &[("realm", "a\"b\\c"), ("error", "insufficient_scope"), ("service", "svc")])]),
        // a scheme with no parameters, then another challenge
        ("Negotiate, Basic realm=x", vec![ch("negotiate", &[]), ch("basic", &[("realm", "x")])]),
        // junk and truncation never panic and keep what was readable
        (r#"Bearer realm="unterminated"#, vec![ch("bearer", &[("realm", "unterminated")])]),
        ("", vec![]),
        (" , ,", vec![]),
        ("=x", vec![ch("x", &[])]),
        ("Bearer realm=\"r\" \u{1b}[31m", vec![ch("bearer", &[("realm", "r")]), ch("31m", &[])]),
    ];
    for (line, want) in cases {
        assert_eq!(parse(line), want, "line: {line}");
    }
}

#[test]
fn several_header_lines() {
    let all = parse_all([r#"Basic realm="a""#, r#"bearer realm="b",service="c""#]);
    assert_eq!(all.len(), 2);
    assert!(all[0].is_basic() && all[1].is_bearer());
    assert_eq!(all[1].param("service"), Some("c"));
}

#[test]
fn scopes_split_on_spaces_only() {
    let c = &parse(r#"Bearer realm="r",scope="repository:a:pull repository:localhost:5000/b:pull,push""#)[0];
    assert_eq!(c.scopes(), vec!["repository:a:pull", "repository:localhost:5000/b:pull,push"]);
}

#[test]
fn scope_table() {
    #[rustfmt::skip]
    type Want<'a> = Option<(&'a str, &'a str, &'a [&'a str])>;
    let cases: Vec<(&str, Want)> = vec![
        ("repository:team/app:pull,push", Some(("repository", "team/app", &["pull", "push"]))),
        ("repository:localhost:5000/foo:pull", Some(("repository", "localhost:5000/foo", &["pull"]))),
        ("repository(plugin):a/b:pull", Some(("repository", "a/b", &["pull"]))),
        ("registry:catalog:*", Some(("registry", "catalog", &["*"]))),
        ("repository:a:", Some(("repository", "a", &[]))),
        ("repository:a", None),
        (":a:pull", None),
        ("(x):a:pull", None),
        ("", None),
    ];
    for (text, want) in cases {
        let got = Scope::parse(text);
        let want = want.map(|(k, n, a)| Scope {
            kind: k.into(),
            name: n.into(),
            actions: a.iter().map(|s| s.to_string()).collect(),
        });
        assert_eq!(got, want, "{text}");
    }
    assert_eq!(Scope::repository("a/b", &["pull", "push"]).to_string(), "repository:a/b:pull,push");
}
