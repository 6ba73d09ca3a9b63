//! Man pages generated from the clap definitions: `regauth.1`, one page per subcommand, and one per
//! credential helper (from the same description as its `--help`). The checked-in copies under man/ are
//! compared with these by a test, so they never go stale.

use clap_mangen::Man;

/// `(file name, roff text)` for every page.
pub fn pages() -> Vec<(String, Vec<u8>)> {
    let mut pages = Vec::new();
    collect(super::command(), "regauth", &mut pages);
    for helper in regauth_helpers::ALL {
        collect(helper.command(), helper.name, &mut pages);
    }
    collect(regauth_helpers::kubelet::command(), regauth_helpers::kubelet::NAME, &mut pages);
    pages
}

fn collect(mut command: clap::Command, name: &str, pages: &mut Vec<(String, Vec<u8>)>) {
    command = command.name(name.to_owned());
    command.build();
    let mut out = Vec::new();
    Man::new(command.clone()).render(&mut out).expect("rendering to memory cannot fail");
    pages.push((format!("{name}.1"), out));
    for sub in command.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        collect(sub.clone(), &format!("{name}-{}", sub.get_name()), pages);
    }
}
