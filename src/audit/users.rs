//! Whose homes `--all-users` scans: every user of the passwd database (`etc/passwd` under the system root,
//! read bounded and without following a link), then `root` and `/home/*` directories the database does not
//! list. CI runners and services keep credentials in homes such as /var/lib/jenkins or /srv/app, which a
//! scan of /home alone misses.

use regauth_core::fsread;
use serde::Serialize;
use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The most of /etc/passwd read: a large directory-backed system lists tens of thousands of users in a few
/// MiB.
pub const PASSWD_LIMIT: u64 = 16 * 1024 * 1024;

/// One user whose home was scanned.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub name: String,
    pub uid: Option<u32>,
    /// The directory scanned (under `--system-root`, the path in that tree).
    pub home: String,
    /// `passwd`, or `home-directory` for a directory under /home (or /root) that passwd does not list.
    pub source: &'static str,
}

/// The homes to scan, in passwd's order then the unlisted ones sorted, each directory once; and the error
/// reading passwd, if any (the scan goes on with /root and /home/*).
pub fn homes(system_root: &Path) -> (Vec<(User, PathBuf)>, Option<fsread::FileError>) {
    let mut out: Vec<(User, PathBuf)> = Vec::new();
    let mut seen = BTreeSet::new();
    let passwd = system_root.join("etc/passwd");
    let error = match fsread::read_regular(&passwd, PASSWD_LIMIT) {
        Ok(contents) => {
            for (name, uid, home) in parse(&contents.bytes) {
                // The home as the system names it, inside the system root (itself in tests).
                let dir = under_root(system_root, &home);
                if is_dir(&dir) && seen.insert(dir.clone()) {
                    out.push((
                        User { name, uid: Some(uid), home: dir.display().to_string(), source: "passwd" },
                        dir,
                    ));
                }
            }
            None
        }
        Err(e) => Some(e),
    };
    let mut unlisted = vec![system_root.join("root")];
    if let Ok(entries) = std::fs::read_dir(system_root.join("home")) {
        unlisted.extend(entries.flatten().map(|e| e.path()));
    }
    unlisted.sort();
    for dir in unlisted {
        // lstat: a link in /home is not a home of its own (the directory it leads to is scanned if listed).
        let Ok(meta) = std::fs::symlink_metadata(&dir) else { continue };
        if !meta.is_dir() || !seen.insert(dir.clone()) {
            continue;
        }
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let home = dir.display().to_string();
        out.push((User { name, uid: Some(meta.uid()), home, source: "home-directory" }, dir));
    }
    (out, error)
}

/// `(name, uid, home)` of each well-formed line `name:password:uid:gid:gecos:home:shell`; comments, NIS
/// `+`/`-` lines and lines with a relative or empty home are skipped.
fn parse(bytes: &[u8]) -> Vec<(String, u32, String)> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            let [name, _, uid, _, _, home, ..] = fields[..] else { return None };
            if name.is_empty() || name.starts_with(['#', '+', '-']) || !home.starts_with('/') {
                return None;
            }
            Some((name.to_owned(), uid.parse().ok()?, home.to_owned()))
        })
        .collect()
}

/// A path of the scanned system, inside the system root.
fn under_root(system_root: &Path, path: &str) -> PathBuf {
    let relative = path.trim_start_matches('/');
    if relative.is_empty() {
        system_root.to_owned()
    } else {
        system_root.join(relative)
    }
}

fn is_dir(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_dir())
}

/// The name of `uid` in the system's passwd file, when it has one.
pub fn name_of(system_root: &Path, uid: u32) -> Option<String> {
    let passwd = fsread::read_regular(&system_root.join("etc/passwd"), PASSWD_LIMIT).ok()?;
    parse(&passwd.bytes).into_iter().find(|(_, u, _)| *u == uid).map(|(name, _, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_lines() {
        let text = "root:x:0:0:root:/root:/bin/bash\n# comment\n+nis::::::\njenkins:x:999:999::/var/lib/jenkins:/bin/sh\nbad:x:notanumber:0::/x:/bin/sh\nrel:x:5:5::home/rel:/bin/sh\nshort:x:6\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
        let parsed = parse(text.as_bytes());
        let names: Vec<(&str, u32, &str)> =
            parsed.iter().map(|(n, u, h)| (n.as_str(), *u, h.as_str())).collect();
        assert_eq!(
            names,
            [("root", 0, "/root"), ("jenkins", 999, "/var/lib/jenkins"), ("nobody", 65534, "/nonexistent")]
        );
    }

    #[test]
    fn homes_from_passwd_then_unlisted_home_dirs() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        for dir in ["root", "home/alice", "home/zed", "var/lib/jenkins", "srv/app"] {
            std::fs::create_dir_all(r.join(dir)).unwrap();
        }
        std::fs::create_dir_all(r.join("etc")).unwrap();
        std::fs::write(
            r.join("etc/passwd"),
            "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\njenkins:x:999:999::/var/lib/jenkins:/bin/sh\napp:x:998:998::/srv/app:/bin/sh\ngone:x:997:997::/nonexistent:/bin/sh\nalias:x:996:996::/home/alice:/bin/sh\n",
        )
        .unwrap();
        std::os::unix::fs::symlink(r.join("srv/app"), r.join("home/link")).unwrap();
        let (homes, error) = homes(r);
        assert!(error.is_none());
        let got: Vec<(&str, &str)> = homes.iter().map(|(u, _)| (u.name.as_str(), u.source)).collect();
        assert_eq!(
            got,
            [
                ("root", "passwd"),
                ("alice", "passwd"),
                ("jenkins", "passwd"),
                ("app", "passwd"),
                ("zed", "home-directory")
            ]
        );
        assert_eq!(homes[2].1, r.join("var/lib/jenkins"));
        assert_eq!(name_of(r, 999).as_deref(), Some("jenkins"));
    }

    #[test]
    fn without_passwd_the_home_directories_still_count() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("home/bob")).unwrap();
        let (homes, error) = homes(root.path());
        assert!(error.unwrap().is_not_found());
        assert_eq!(homes.len(), 1);
        assert_eq!(homes[0].0.name, "bob");
    }
}
