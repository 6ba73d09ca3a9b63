//! `regauth resolve --client buildkit` against the real buildctl v0.26.3 (buildkitd on a real containerd):
//! `buildctl build` of `FROM <registry>/team/app:v1` makes buildkitd ask buildctl's session for the
//! registry's credential, which buildctl looks up in docker's config.json (running the helpers). The bed is
//! tests/support/differential.rs: logging helpers, and a token endpoint that records who was sent and
//! refuses. The rows are nerdctl's corpus (tests/containerd_clients/rows.rs: per-row files and environment,
//! helpers that answer, have nothing, fail, are missing or hang), less those whose answer in buildctl
//! follows Go's random map order; each row's observed outcome must equal regauth's prediction.

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
        let bed = differential::Bed::start();
        let toml = format!("[registry.\"{}\"]\n  http = true\n", bed.host());
        Some(Bed { ctd: Containerd::start_with_buildkit_config(&toml)?, bed })
    }

    fn image(&self) -> String {
        format!("{}/team/app:v1", self.bed.host())
    }

    fn env(&self, c: &mut Command, home: &Path, row: &Row) {
        c.env("HOME", home).env_remove("DOCKER_CONFIG");
        for (name, value) in row.env {
            c.env(name, self.bed.fill(value, home));
        }
    }

    fn run_buildctl(&self, home: &Path, row: &Row) -> (Seen, Output) {
        self.bed.reset();
        let context = home.join("context");
        std::fs::create_dir_all(&context).unwrap();
        std::fs::write(context.join("Dockerfile"), format!("FROM {}\n", self.image())).unwrap();
        let ctx = context.to_str().unwrap();
        let mut c = self.ctd.buildctl(home, &self.bed.path());
        self.env(&mut c, home, row);
        c.args(["build", "--frontend", "dockerfile.v0"]).args([
            "--local",
            &format!("context={ctx}"),
            "--local",
            &format!("dockerfile={ctx}"),
        ]);
        let out = output_within(&mut c, Duration::from_secs(8));
        (self.bed.seen(out.status.code().is_none()), out)
    }

    fn predict(&self, home: &Path, row: &Row) -> (Seen, serde_json::Value) {
        let mut c = support::command::regauth();
        c.env("PATH", self.bed.path());
        self.env(&mut c, home, row);
        self.bed.predict(c, "buildkit", &self.image())
    }
}

#[test]
fn buildctl_does_what_resolve_predicts_in_every_row() {
    let Some(mut bed) = Bed::start() else { return };
    let rows: Vec<&Row> = ROWS.iter().filter(|r| r.is_for("buildkit")).collect();
    assert!(rows.len() >= 40, "the corpus shrank to {}", rows.len());
    let mut failures = Vec::new();
    let mut seen = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        // buildkitd lends one session's registry authorizer to another whose credential is the same (an
        // anonymous one too), with what it learnt: each row gets a buildkitd of its own.
        bed.ctd.restart_buildkitd();
        let home = bed.bed.home(index, row.config, row.files);
        let (real, out) = bed.run_buildctl(&home, row);
        let (predicted, json) = bed.predict(&home, row);
        eprintln!("buildctl {}: real {real:?}, predicted {predicted:?}", row.name);
        seen.push((row.name, differential::describe(&real)));
        if real != predicted {
            let said = String::from_utf8_lossy(&out.stderr);
            let last: Vec<&str> = said.lines().rev().take(3).collect();
            failures.push(format!(
                "{}: buildctl did {real:?}, regauth predicted {predicted:?}\n  resolve: {json}\n  buildctl: {last:?}",
                row.name
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
    let version = support::clients_doc::pinned_version("seed", "github.com/moby/buildkit");
    let rows = differential::doc_rows("buildctl build", &version, &seen);
    support::clients_doc::check_section("buildkit-lookup", &rows);
}
