//! `regauth helpers wrap` and `unwrap`: put docker-credential-regauth-cache in front of a helper, and
//! take it out again.

use super::*;

/// One scope of wrap/unwrap: a registry (its `RegistryHost` name and config keys) or the default.
struct Scope {
    /// `None`: the default (credsStore).
    registry: Option<String>,
    keys: Vec<String>,
}

fn scopes(registries: &[String]) -> Result<Vec<Scope>, UsageError> {
    if registries.is_empty() {
        return Ok(vec![Scope { registry: None, keys: Vec::new() }]);
    }
    registries
        .iter()
        .map(|r| {
            let host = registry_host(r)?;
            Ok(Scope { registry: Some(host.as_str().to_owned()), keys: host.helper_keys() })
        })
        .collect()
}

fn wrapping_path(env: &Environ) -> Result<PathBuf, UsageError> {
    cache_helper::path(env)
        .ok_or_else(|| UsageError("no place for cache-helper.json: set HOME or XDG_CONFIG_HOME".into()))
}

pub(super) fn wrap(
    path: &Path,
    env: &Environ,
    lock_timeout: Duration,
    registries: &[String],
    inner: Option<&str>,
    ttl: Duration,
    timeout: Duration,
) -> anyhow::Result<Vec<Change>> {
    let scopes = scopes(registries)?;
    let inner = inner.map(helper_name).transpose()?;
    if timeout > cache_helper::MAX_INNER_TIMEOUT {
        return Err(UsageError("--timeout is at most 300 seconds".into()).into());
    }
    let wrapping_path = wrapping_path(env)?;
    let doc = config::load(path, false)?.unwrap_or_default();
    let recorded = cache_helper::load(&wrapping_path).map_err(anyhow::Error::msg)?;
    // The inner helper of each scope: --inner, else what config.json names there, else (already wrapped)
    // what was recorded.
    let mut plan = Vec::new();
    for scope in &scopes {
        let current = match &scope.registry {
            None => doc.creds_store().map(str::to_owned),
            Some(_) => scope.keys.iter().find_map(|k| doc.cred_helper(k)).map(str::to_owned),
        };
        let recorded = match &scope.registry {
            None => recorded.default.as_ref(),
            Some(r) => recorded.registries.get(r),
        };
        let chosen = inner
            .clone()
            .or_else(|| current.filter(|c| c != cache_helper::HELPER_NAME))
            .or_else(|| recorded.map(|w| w.inner.clone()));
        let Some(chosen) = chosen else {
            let what = scope.registry.as_deref().map_or("the default (credsStore)".to_owned(), one_line);
            return Err(UsageError(format!(
                "no helper to wrap for {what}: config.json names none; pass --inner HELPER"
            ))
            .into());
        };
        if chosen == cache_helper::HELPER_NAME {
            return Err(UsageError("regauth-cache cannot wrap itself: pass --inner HELPER".into()).into());
        }
        plan.push(chosen);
    }
    for chosen in &plan {
        warn_if_missing(chosen, env);
    }
    warn_if_missing(cache_helper::HELPER_NAME, env);
    let wrapped = |inner: &str| cache_helper::Wrapped {
        inner: inner.to_owned(),
        ttl_seconds: ttl.as_secs(),
        timeout_seconds: timeout.as_secs().max(1),
    };
    // The mapping first: config.json must never name the wrapper before it knows what it wraps.
    let mut changes = cache_helper::update(&wrapping_path, lock_timeout, |w| {
        let mut changes = Vec::new();
        for (scope, inner) in scopes.iter().zip(&plan) {
            let (field, old) = match &scope.registry {
                None => ("default".to_owned(), w.default.replace(wrapped(inner))),
                Some(r) => (format!("registries.{r}"), w.registries.insert(r.clone(), wrapped(inner))),
            };
            changes.push(Change {
                field: format!("{}: {field}", wrapping_path.display()),
                old: old.map(|o| describe(&o)),
                new: Some(describe(&wrapped(inner))),
            });
        }
        Ok(changes)
    })
    .map_err(anyhow::Error::msg)?;
    let keys: Vec<String> = scopes.iter().flat_map(|s| s.keys.clone()).collect();
    let registries_given: Vec<String> = if keys.is_empty() { Vec::new() } else { registries.to_vec() };
    changes.extend(edit(path, lock_timeout, &registries_given, Some(cache_helper::HELPER_NAME))?);
    Ok(changes)
}

fn describe(w: &cache_helper::Wrapped) -> String {
    format!("{} (ttl {}s, timeout {}s)", w.inner, w.ttl_seconds, w.timeout_seconds)
}

pub(super) fn unwrap(
    path: &Path,
    env: &Environ,
    lock_timeout: Duration,
    registries: &[String],
) -> anyhow::Result<Vec<Change>> {
    let scopes = scopes(registries)?;
    let wrapping_path = wrapping_path(env)?;
    let recorded = cache_helper::load(&wrapping_path).map_err(anyhow::Error::msg)?;
    // config.json first: the wrapper must not be named once its mapping is gone.
    let mut changes = config::update(path, lock_timeout, |doc| {
        let mut changes = Vec::new();
        for scope in &scopes {
            let inner = match &scope.registry {
                None => recorded.default.as_ref(),
                Some(r) => recorded.registries.get(r),
            }
            .map(|w| w.inner.clone());
            match &scope.registry {
                None => {
                    if doc.creds_store() == Some(cache_helper::HELPER_NAME) {
                        let old = doc.set_creds_store(inner.as_deref());
                        changes.push(Change { field: "credsStore".into(), old, new: inner.clone() });
                    }
                }
                Some(_) => {
                    for key in &scope.keys {
                        if doc.cred_helper(key) != Some(cache_helper::HELPER_NAME) {
                            continue;
                        }
                        let old = match &inner {
                            Some(h) => doc.set_cred_helper(key, h),
                            None => doc.remove_cred_helper(key),
                        };
                        changes.push(Change { field: format!("credHelpers.{key}"), old, new: inner.clone() });
                    }
                }
            }
        }
        Ok::<_, ConfigError>(changes)
    })?;
    let removed = cache_helper::update(&wrapping_path, lock_timeout, |w| {
        let mut changes = Vec::new();
        for scope in &scopes {
            let (field, old) = match &scope.registry {
                None => ("default".to_owned(), w.default.take()),
                Some(r) => (format!("registries.{r}"), w.registries.remove(r)),
            };
            if let Some(old) = old {
                changes.push(Change {
                    field: format!("{}: {field}", wrapping_path.display()),
                    old: Some(describe(&old)),
                    new: None,
                });
            }
        }
        Ok(changes)
    })
    .map_err(anyhow::Error::msg)?;
    changes.extend(removed);
    if let Ok(cache) = regauth_core::token_cache::TokenCache::open(env) {
        for registry in scopes.iter().filter_map(|s| s.registry.as_deref()) {
            let _ = cache.forget_answers(registry);
        }
    }
    Ok(changes)
}
