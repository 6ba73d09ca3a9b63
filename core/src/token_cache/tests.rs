use super::keyed::hex;
use super::*;
use std::fs;
use std::os::unix::fs::MetadataExt;

/// jwt exp, issued_at, expires_in, expected expiry.
type LifetimeCase = (Option<i64>, Option<i64>, Option<u64>, i64);
type Spoil<'a> = (&'a str, Box<dyn Fn() + 'a>);
use std::os::unix::fs::PermissionsExt;

fn fetched(jwt_exp: Option<i64>, issued_at: Option<i64>, expires_in: Option<u64>) -> Fetched {
    Fetched { token: Secret::new("t"), jwt_exp, issued_at, expires_in }
}

#[test]
fn lifetime_table() {
    let now = 1_000_000;
    #[rustfmt::skip]
    let cases: &[LifetimeCase] = &[
        // The JWT's exp wins over expires_in.
        (Some(now + 300), None, Some(60), now + 300 - SAFETY_MARGIN),
        (Some(now + 300), Some(now), Some(9999), now + 300 - SAFETY_MARGIN),
        // No JWT: issued_at + expires_in.
        (None, Some(now - 100), Some(300), now + 200 - SAFETY_MARGIN),
        // No issued_at: the request's time.
        (None, None, Some(300), now + 300 - SAFETY_MARGIN),
        // No expires_in (or 0): 60 s.
        (None, None, None, now + 60 - SAFETY_MARGIN),
        (None, None, Some(0), now + 60 - SAFETY_MARGIN),
        // An issued_at in our future does not lengthen the life.
        (None, Some(now + 5000), Some(300), now + 300 - SAFETY_MARGIN),
        // Capped at a day.
        (Some(now + 10 * MAX_LIFETIME), None, None, now + MAX_LIFETIME),
        (None, None, Some(u64::MAX), now + MAX_LIFETIME),
        // Already expired.
        (Some(now - 3600), None, Some(300), now - 3600 - SAFETY_MARGIN),
    ];
    for (i, (exp, issued, expires_in, want)) in cases.iter().enumerate() {
        assert_eq!(expires_at(&fetched(*exp, *issued, *expires_in), now), *want, "case {i}");
    }
}

#[test]
fn never_served_with_less_than_thirty_seconds_left() {
    let now = 5000;
    assert!(servable(now + MIN_LEFT, now));
    assert!(!servable(now + MIN_LEFT - 1, now));
    assert!(!servable(now - 1, now));
    assert!(!servable(i64::MIN, now));
    // The default 60 s lifetime less the margin is still servable at once, and 21 s later no more.
    let e = expires_at(&fetched(None, None, None), now);
    assert!(servable(e, now) && !servable(e, now + 21));
}

#[test]
fn key_derivation() {
    let keyed = Keyed::from_bytes([7; 32]);
    let other = Keyed::from_bytes([8; 32]);
    let secret = Secret::new("s3cret-password");
    let fp = keyed.fingerprint("me", &secret);
    // Keyed: another user's key gives another fingerprint; never the secret or its plain hash.
    assert_ne!(fp, other.fingerprint("me", &secret));
    assert_eq!(fp.as_str().len(), 64);
    assert!(!fp.as_str().contains("s3cret"));
    use sha2::Digest;
    assert_ne!(fp.as_str(), hex(&sha2::Sha256::digest(b"s3cret-password")));
    assert_ne!(fp.as_str(), hex(&sha2::Sha256::digest(b"me:s3cret-password")));
    // The username counts, and the boundary between username and secret is not ambiguous.
    assert_ne!(fp, keyed.fingerprint("you", &secret));
    assert_ne!(keyed.fingerprint("ab", &Secret::new("c")), keyed.fingerprint("a", &Secret::new("bc")));
    // Scopes are a set: order and duplicates do not matter; every other part does.
    let key = |scopes: &[&str], realm: &str, service: Option<&str>, cred: &Fingerprint| {
        Key::new("r.io", realm, service, scopes.iter().map(|s| s.to_string()), cred.clone())
    };
    let a = keyed.token_id(&key(&["repository:a:pull", "repository:b:pull"], "https://t", Some("s"), &fp));
    let b = keyed.token_id(&key(
        &["repository:b:pull", "repository:a:pull", "repository:a:pull"],
        "https://t",
        Some("s"),
        &fp,
    ));
    assert_eq!(a, b);
    assert!(a.starts_with("t-") && a.len() == 34);
    for different in [
        key(&["repository:a:pull"], "https://t", Some("s"), &fp),
        key(&["repository:a:pull", "repository:b:pull"], "https://u", Some("s"), &fp),
        key(&["repository:a:pull", "repository:b:pull"], "https://t", None, &fp),
        key(&["repository:a:pull", "repository:b:pull"], "https://t", Some("s"), &Fingerprint::anonymous()),
    ] {
        assert_ne!(keyed.token_id(&different), a);
    }
    assert_ne!(
        other.token_id(&key(&["repository:a:pull", "repository:b:pull"], "https://t", Some("s"), &fp)),
        a
    );
}

fn file_cache(dir: &Path) -> TokenCache {
    let env = Environ::empty(0).with("XDG_CACHE_HOME", dir).with(MODE_VAR, "file");
    TokenCache::open(&env).unwrap()
}

fn sample_key(cache: &TokenCache) -> Key {
    Key::new(
        "r.io",
        "https://auth.r.io/token",
        Some("r.io"),
        ["repository:a:pull".to_string()],
        cache.fingerprint("me", &Secret::new("password-1")),
    )
}

fn fetch_ok(calls: &std::cell::Cell<u32>) -> Result<Fetched, ()> {
    calls.set(calls.get() + 1);
    Ok(Fetched { token: Secret::new("tok.en.value"), jwt_exp: None, issued_at: None, expires_in: Some(300) })
}

#[test]
fn file_storage_round_trip_and_damage_is_discarded() {
    let dir = tempfile::tempdir().unwrap();
    let cache = file_cache(dir.path());
    let key = sample_key(&cache);
    let calls = std::cell::Cell::new(0);
    let first = cache.get_or_fetch(&key, || fetch_ok(&calls)).unwrap();
    assert!(!first.from_cache && first.stored);
    let second = cache.get_or_fetch(&key, || fetch_ok(&calls)).unwrap();
    assert!(second.from_cache);
    assert_eq!(second.token.expose(), "tok.en.value");
    assert_eq!(calls.get(), 1);
    let path = dir.path().join("regauth/tokens.json");
    let meta = fs::metadata(&path).unwrap();
    assert_eq!(meta.mode() & 0o777, 0o600);
    let text = fs::read_to_string(&path).unwrap();
    assert!(!text.contains("password-1"));
    assert_eq!(cache.list().len(), 1);
    assert_eq!(cache.list()[0].scopes, ["repository:a:pull"]);

    // Truncated, corrupted, world-writable: each is discarded and fetched again, never an error.
    let damage: Vec<Spoil> = vec![
        ("truncated", Box::new(|| fs::write(&path, &text.as_bytes()[..text.len() / 2]).unwrap())),
        ("corrupted", Box::new(|| fs::write(&path, text.replace("tok.en.value", "tok en\u{1b}")).unwrap())),
        (
            "world-writable",
            Box::new(|| fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).unwrap()),
        ),
        ("not JSON", Box::new(|| fs::write(&path, b"\xff\xfe").unwrap())),
        (
            "a FIFO",
            Box::new(|| {
                fs::remove_file(&path).unwrap();
                let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
                assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
            }),
        ),
    ];
    for (what, spoil) in damage {
        spoil();
        let before = calls.get();
        let served = cache.get_or_fetch(&key, || fetch_ok(&calls)).unwrap();
        assert!(!served.from_cache, "{what}");
        assert_eq!(calls.get(), before + 1, "{what}");
        assert!(!cache.take_notes().is_empty(), "{what}: a note says what was discarded");
        if fs::symlink_metadata(&path).unwrap().file_type().is_fifo() {
            fs::remove_file(&path).unwrap();
            cache.get_or_fetch(&key, || fetch_ok(&calls)).unwrap();
        }
        let meta = fs::metadata(&path).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o600, "{what}: rewritten 0600");
        assert!(cache.get_or_fetch(&key, || fetch_ok(&calls)).unwrap().from_cache, "{what}: cached again");
    }
}

use std::os::unix::fs::FileTypeExt;

#[test]
fn short_lived_and_expired_tokens_are_not_stored() {
    let dir = tempfile::tempdir().unwrap();
    let cache = file_cache(dir.path());
    let key = sample_key(&cache);
    let mut calls = 0;
    for expires_in in [1, 39] {
        let served = cache
            .get_or_fetch(&key, || -> Result<Fetched, ()> {
                calls += 1;
                Ok(Fetched {
                    token: Secret::new("short"),
                    jwt_exp: None,
                    issued_at: None,
                    expires_in: Some(expires_in),
                })
            })
            .unwrap();
        assert!(!served.stored && !served.from_cache);
    }
    assert_eq!(calls, 2);
    assert!(cache.list().is_empty());
}

#[test]
fn clear_and_forget() {
    let dir = tempfile::tempdir().unwrap();
    let cache = file_cache(dir.path());
    let calls = std::cell::Cell::new(0);
    let mine = sample_key(&cache);
    let mut anon = mine.clone();
    anon.credential = Fingerprint::anonymous();
    let mut other = mine.clone();
    other.registry = "other.io".into();
    for key in [&mine, &anon, &other] {
        cache.get_or_fetch(key, || fetch_ok(&calls)).unwrap();
    }
    cache.remember_service("r.io", "https://auth.r.io/token", Some("r.io"));
    assert_eq!(cache.service_for("r.io"), Some(("https://auth.r.io/token".into(), Some("r.io".into()))));
    assert_eq!(cache.list().len(), 3);
    assert_eq!(cache.forget_credential("r.io", &mine.credential).unwrap(), 1);
    assert!(cache.get(&anon).is_some() && cache.get(&mine).is_none());
    assert_eq!(cache.clear(Some("r.io")).unwrap(), 1);
    assert_eq!(cache.service_for("r.io"), None);
    assert_eq!(cache.clear(None).unwrap(), 1);
    assert!(cache.list().is_empty());
}

#[test]
fn an_unsafe_cache_directory_turns_the_cache_off() {
    let dir = tempfile::tempdir().unwrap();
    let env = Environ::empty(0).with("XDG_CACHE_HOME", dir.path()).with(MODE_VAR, "file");
    fs::create_dir(dir.path().join("regauth")).unwrap();
    fs::set_permissions(dir.path().join("regauth"), fs::Permissions::from_mode(0o777)).unwrap();
    let err = TokenCache::open(&env).err().unwrap();
    assert!(err.0.contains("writable by others"), "{err}");
    fs::remove_dir(dir.path().join("regauth")).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("regauth")).unwrap();
    let err = TokenCache::open(&env).err().unwrap();
    assert!(err.0.contains("not a directory"), "{err}");
    let off = Environ::empty(0).with("XDG_CACHE_HOME", dir.path()).with(MODE_VAR, "off");
    assert!(TokenCache::open(&off).is_err());
}

#[test]
fn a_replaced_key_makes_old_entries_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    let cache = file_cache(dir.path());
    let calls = std::cell::Cell::new(0);
    cache.get_or_fetch(&sample_key(&cache), || fetch_ok(&calls)).unwrap();
    let key_file = dir.path().join("regauth/key");
    assert_eq!(fs::metadata(&key_file).unwrap().mode() & 0o777, 0o600);
    fs::set_permissions(&key_file, fs::Permissions::from_mode(0o644)).unwrap();
    let reopened = file_cache(dir.path());
    assert_eq!(fs::metadata(&key_file).unwrap().mode() & 0o777, 0o600, "a readable key is replaced");
    assert!(reopened.get(&sample_key(&reopened)).is_none());
    assert!(reopened.list().is_empty(), "entries under the old key no longer match their ids");
}

fn lock_files(dir: &Path) -> Vec<String> {
    fs::read_dir(dir.join("regauth/locks"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn locks_stay_bounded_over_ten_thousand_entries_and_clear_removes_legacy_ones() {
    let dir = tempfile::tempdir().unwrap();
    let cache = file_cache(dir.path());
    // Per-entry lock files an older version left behind.
    let legacy: Vec<String> = (0..50).map(|i| format!("a-{i:032x}.lock")).collect();
    for name in &legacy {
        fs::write(dir.path().join("regauth/locks").join(name), "").unwrap();
    }
    let short_lived = || -> Result<Fetched, ()> {
        Ok(Fetched { token: Secret::new("t"), jwt_exp: None, issued_at: None, expires_in: Some(1) })
    };
    for i in 0..10_000 {
        // Each call takes its entry's lock; a token that lives 1 s is not stored, so the file stays small.
        let key =
            Key::new("r.io", "https://a", None, [format!("repository:r{i}:pull")], Fingerprint::anonymous());
        cache.get_or_fetch(&key, short_lived).unwrap();
        let answer_key = AnswerKey {
            server_url: format!("r{i}.example"),
            helper: "h".into(),
            identity: cache.identity("h", &Environ::empty(0)),
        };
        cache
            .answer_or_ask(&answer_key, Duration::ZERO, FETCH_WAIT, || Ok::<_, ()>(Answer::NotFound))
            .unwrap();
    }
    let files = lock_files(dir.path());
    assert!(files.len() <= locks::STRIPES + legacy.len(), "{} lock files", files.len());
    cache.clear(None).unwrap();
    let files = lock_files(dir.path());
    assert!(files.len() <= locks::STRIPES, "{} lock files after clear", files.len());
    assert!(files.iter().all(|f| !legacy.contains(f)), "clear left the legacy lock files");
}

fn answer_key(cache: &TokenCache, url: &str) -> AnswerKey {
    AnswerKey {
        server_url: url.into(),
        helper: "h".into(),
        identity: cache.identity("h", &Environ::empty(0)),
    }
}

fn found(secret: &str) -> Result<Answer, ()> {
    Ok(Answer::Found { username: "u".into(), secret: Secret::new(secret) })
}

#[test]
fn a_store_or_erase_during_the_ask_is_never_undone() {
    let dir = tempfile::tempdir().unwrap();
    let cache = file_cache(dir.path());
    let ttl = Duration::from_secs(300);
    let key = answer_key(&cache, "https://r.io/v1/");
    // A store through any URL form of the registry lands while the inner helper is being asked.
    let answered = cache
        .answer_or_ask(&key, ttl, FETCH_WAIT, || {
            cache.forget_answers("r.io").unwrap();
            found("old")
        })
        .unwrap();
    assert!(!answered.from_cache);
    assert!(cache.cached_answer(&key).is_none(), "the old answer was cached after the store");
    // Undisturbed, the answer is cached; a store for a registry of another stripe does not stop it.
    let other = (0..)
        .map(|i| format!("q{i}.io"))
        .find(|q| answers::stripe_of(&cache, q) != answers::stripe_of(&cache, "r.io"))
        .unwrap();
    cache
        .answer_or_ask(&key, ttl, FETCH_WAIT, || {
            cache.forget_answers(&other).unwrap();
            found("new")
        })
        .unwrap();
    assert!(cache.cached_answer(&key).is_some());
    // A store afterwards removes it.
    cache.forget_answers("r.io").unwrap();
    assert!(cache.cached_answer(&key).is_none());
}

#[test]
fn a_damaged_generations_file_caches_nothing_until_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let cache = file_cache(dir.path());
    let ttl = Duration::from_secs(300);
    let key = answer_key(&cache, "r.io");
    let path = dir.path().join("regauth/generations");
    fs::write(&path, "short").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    cache.answer_or_ask(&key, ttl, FETCH_WAIT, || found("a")).unwrap();
    assert!(cache.cached_answer(&key).is_none());
    assert_eq!(fs::metadata(&path).unwrap().len(), 256 * 8, "the damaged file was not rewritten");
    assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
    cache.answer_or_ask(&key, ttl, FETCH_WAIT, || found("a")).unwrap();
    assert!(cache.cached_answer(&key).is_some());
}

#[test]
fn identity_follows_the_helpers_variables_and_the_uid() {
    let dir = tempfile::tempdir().unwrap();
    let cache = file_cache(dir.path());
    let env = |uid: u32, vars: &[(&str, &str)]| {
        vars.iter().fold(Environ::empty(uid).with("HOME", "/home/a"), |e, (k, v)| e.with(k, *v))
    };
    let base = cache.identity("ecr-login", &env(1000, &[("AWS_PROFILE", "a")]));
    assert_ne!(base, cache.identity("ecr-login", &env(1000, &[("AWS_PROFILE", "b")])));
    assert_ne!(base, cache.identity("ecr-login", &env(1001, &[("AWS_PROFILE", "a")])));
    assert_ne!(base, cache.identity("ecr-login", &env(1000, &[("AWS_PROFILE", "a"), ("HOME", "/h")])));
    assert_eq!(base, cache.identity("ecr-login", &env(1000, &[("AWS_PROFILE", "a"), ("EDITOR", "vi")])));
    // gcloud does not read PASSWORD_STORE_DIR; an unknown helper might.
    let g = cache.identity("gcloud", &env(1000, &[]));
    assert_eq!(g, cache.identity("gcloud", &env(1000, &[("PASSWORD_STORE_DIR", "/s")])));
    let u = cache.identity("mine", &env(1000, &[]));
    assert_ne!(u, cache.identity("mine", &env(1000, &[("PASSWORD_STORE_DIR", "/s")])));
    // Name and value boundaries do not collide.
    assert_ne!(
        cache.identity("ecr-login", &env(1000, &[("AWS_A", "BC")])),
        cache.identity("ecr-login", &env(1000, &[("AWS_AB", "C")]))
    );
}

#[test]
fn hex_is_lower_case_two_digits_a_byte() {
    assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff, 0x10]), "000fa5ff10");
    let all: Vec<u8> = (0..=255).collect();
    let expected: String = all.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex(&all), expected);
}

/// Keyring entries are read with a small buffer first: a token too large for it is read again whole, and
/// both are served as stored. Skipped where the kernel keyring cannot be used.
#[test]
fn keyring_entries_small_and_larger_than_the_first_read_come_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    let namespace = format!("unit-{}-bigtoken", std::process::id());
    let env = Environ::empty(unsafe { libc::getuid() })
        .with("XDG_CACHE_HOME", dir.path())
        .with(MODE_VAR, "keyring")
        .with("REGAUTH_KEYUTILS_NAMESPACE", namespace.as_str());
    let Ok(cache) = TokenCache::open(&env) else { return };
    if cache.storage() != "keyring" {
        return;
    }
    for (n, size) in [(0, 40), (1, 4090), (2, 12_000)] {
        let token = format!("{n}{}", "t".repeat(size));
        let key = Key::new(
            "r.io",
            "https://auth.r.io/token",
            Some("r.io"),
            [format!("repository:big{n}:pull")],
            cache.fingerprint("me", &Secret::new("password-1")),
        );
        let fetched = || -> Result<Fetched, ()> {
            Ok(Fetched { token: Secret::new(&token), jwt_exp: None, issued_at: None, expires_in: Some(300) })
        };
        let first = cache.get_or_fetch(&key, fetched).unwrap();
        assert!(first.stored, "{size}");
        let hit = cache.get(&key).unwrap_or_else(|| panic!("a {size}-byte token is served"));
        assert!(hit.from_cache);
        assert_eq!(hit.token.expose(), token, "{size}");
    }
    let _ = cache.clear(None);
}
