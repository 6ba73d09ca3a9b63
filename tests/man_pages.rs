//! The man pages in man/ and the shell completions in completions/ are generated from the clap
//! definitions; this test fails when they are stale.
//! Regenerate with: REGAUTH_BLESS=1 cargo test --test man_pages

use std::path::Path;

#[test]
fn man_pages_are_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let bless = std::env::var("REGAUTH_BLESS").is_ok_and(|v| v == "1");
    let pages = regauth::cli::man::pages();
    assert!(pages.len() >= 4, "expected a page per subcommand, got {}", pages.len());
    let mut stale = Vec::new();
    for (name, text) in &pages {
        let path = dir.join(name);
        if std::fs::read(&path).ok().as_deref() != Some(text.as_slice()) {
            if bless {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, text).unwrap();
            } else {
                stale.push(name.clone());
            }
        }
    }
    // A page for a command that no longer exists is stale too.
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let generated = pages.iter().any(|(n, _)| *n == name);
        let ours = name.starts_with("regauth") || name.starts_with("docker-credential-regauth");
        if ours && name.ends_with(".1") && !generated {
            if bless {
                std::fs::remove_file(entry.path()).unwrap();
            } else {
                stale.push(format!("{name} (no such command)"));
            }
        }
    }
    assert!(stale.is_empty(), "stale man pages: {stale:?}; run REGAUTH_BLESS=1 cargo test --test man_pages");
}

/// completions/ holds the scripts `make install` and the Debian package install; stale ones fail here too.
#[test]
fn completions_are_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    let bless = std::env::var("REGAUTH_BLESS").is_ok_and(|v| v == "1");
    let mut stale = Vec::new();
    for (name, text) in regauth::cli::completions::files() {
        let path = dir.join(&name);
        if std::fs::read(&path).ok().as_deref() != Some(text.as_slice()) {
            if bless {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &text).unwrap();
            } else {
                stale.push(name);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale completions: {stale:?}; run REGAUTH_BLESS=1 cargo test --test man_pages"
    );
}

#[test]
fn helper_pages_state_their_limits() {
    let pages = regauth::cli::man::pages();
    let page = |name: &str| {
        let (_, text) = pages.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no page {name}"));
        String::from_utf8(text.clone()).unwrap()
    };
    let keyutils = page("docker-credential-regauth-keyutils.1");
    assert!(keyutils.contains("reboot") && keyutils.contains("seccomp") && keyutils.contains("persistent"));
    assert!(page("docker-credential-regauth-secretservice.1").contains("locked"));
    assert!(page("docker-credential-regauth-env.1").contains("REGAUTH_REGISTRY_DOCKER_IO_USERNAME"));
    assert!(page("regauth-helper-test.1").contains("skipped"));
}

/// Every page has an EXIT STATUS section listing each code once, and regauth(1) lists every code.
#[test]
fn every_page_documents_exit_codes() {
    for (name, text) in regauth::cli::man::pages() {
        let text = String::from_utf8(text).unwrap();
        let section =
            text.split(".SH \"EXIT STATUS\"").nth(1).unwrap_or_else(|| panic!("{name}: no EXIT STATUS"));
        let section = section.split("\n.SH ").next().unwrap();
        let codes: Vec<&str> = section.lines().skip_while(|l| *l != ".TP").skip(1).step_by(3).collect();
        let mut seen = std::collections::HashSet::new();
        for code in &codes {
            assert!(seen.insert(*code), "{name}: exit code {code} listed twice: {codes:?}");
        }
        assert!(!codes.is_empty() || section.contains("regauth(1)"), "{name}: an empty EXIT STATUS");
        if name == "regauth.1" {
            assert_eq!(codes.len(), regauth::exit::Exit::ALL.len(), "{codes:?}");
        }
    }
}

/// Pages with examples in their --help have an EXAMPLES section; regauth(1) has ENVIRONMENT and JSON OUTPUT.
#[test]
fn pages_have_examples_and_topics() {
    let pages = regauth::cli::man::pages();
    let page = |name: &str| {
        let (_, text) = pages.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no page {name}"));
        String::from_utf8(text.clone()).unwrap()
    };
    for name in ["regauth.1", "regauth-diagnose.1", "regauth-login.1", "regauth-token.1"] {
        assert!(page(name).contains(".SH EXAMPLES"), "{name}");
        assert!(!page(name).contains(".SH EXTRA"), "{name}");
    }
    let top = page("regauth.1");
    assert!(top.contains(".SH ENVIRONMENT") && top.contains("REGISTRY_AUTH_FILE"));
    assert!(top.contains(".SH \"JSON OUTPUT\""));
    assert!(page("regauth-cache-list.1").contains("helperAnswers"));
}

/// docs/json.md is generated from the same table as `regauth help json`.
#[test]
fn json_doc_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/json.md");
    let text = regauth::cli::man::json_doc();
    if std::env::var("REGAUTH_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &text).unwrap();
    }
    assert!(
        std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()),
        "docs/json.md is stale; run REGAUTH_BLESS=1 cargo test --test man_pages"
    );
}
