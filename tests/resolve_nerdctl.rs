//! `regauth resolve --client nerdctl` against the real nerdctl v2.2.1 (on a real containerd), over a table of
//! configurations: logging helpers record which helper nerdctl asked with which key, and a registry on
//! 127.0.0.1 whose token endpoint records the username nerdctl sent (Basic on GET, the form on POST, or a
//! refresh token) and refuses it, so `nerdctl pull` stops there (tests/support/differential.rs). A row's observed outcome (who was sent,
//! which helper answered with which key, or nerdctl stopped before the token endpoint, or hung on a helper)
//! must equal regauth's prediction; the test names every row that differs.

mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;
use support::containerd::{output_within, Containerd};
use support::differential::{self, Seen};

#[path = "containerd_clients/rows.rs"]
mod rows;
use rows::{Row, ROWS};

struct Bed {
    ctd: Containerd,
    bed: differential::Bed,
}

impl Bed {
    fn start() -> Option<Bed> {
        Some(Bed { ctd: Containerd::start()?, bed: differential::Bed::start() })
    }

    fn image(&self) -> String {
        format!("{}/team/app:v1", self.bed.host())
    }

    /// The row's environment on `c` (DOCKER_CONFIG defaults to HOME/.docker, as for both programs).
    fn env(&self, c: &mut Command, home: &Path, row: &Row) {
        c.env("HOME", home).env_remove("DOCKER_CONFIG");
        for (name, value) in row.env {
            c.env(name, self.bed.fill(value, home));
        }
    }

    fn run_nerdctl(&self, home: &Path, row: &Row) -> (Seen, Output) {
        self.bed.reset();
        let mut c = self.ctd.nerdctl(home, &self.bed.path());
        self.env(&mut c, home, row);
        c.args(["pull", &self.image()]);
        let out = output_within(&mut c, Duration::from_secs(6));
        (self.bed.seen(out.status.code().is_none()), out)
    }

    fn predict(&self, home: &Path, row: &Row) -> (Seen, serde_json::Value) {
        let mut c = support::command::regauth();
        c.env("PATH", self.bed.path());
        self.env(&mut c, home, row);
        self.bed.predict(c, "nerdctl", &self.image())
    }
}

#[test]
fn nerdctl_does_what_resolve_predicts_in_every_row() {
    let Some(bed) = Bed::start() else { return };
    let rows: Vec<&Row> = ROWS.iter().filter(|r| r.is_for("nerdctl")).collect();
    assert!(rows.len() >= 40, "the corpus shrank to {}", rows.len());
    let mut failures = Vec::new();
    let mut seen = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let home = bed.bed.home(index, row.config, row.files);
        let (real, out) = bed.run_nerdctl(&home, row);
        let (predicted, json) = bed.predict(&home, row);
        eprintln!("nerdctl {}: real {real:?}, predicted {predicted:?}", row.name);
        seen.push((row.name, differential::describe(&real)));
        if real != predicted {
            failures.push(format!(
                "{}: nerdctl did {real:?}, regauth predicted {predicted:?}\n  resolve: {json}\n  nerdctl: {}",
                row.name,
                String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or_default()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows differ:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
    let version = support::clients_doc::pinned_version("seed", "github.com/containerd/nerdctl/v2");
    let rows = differential::doc_rows("nerdctl pull", &version, &seen);
    support::clients_doc::check_section("nerdctl-lookup", &rows);
}
