//! Man pages generated from the clap definitions: `regauth.1`, one page per subcommand, and one per
//! credential helper (from the same description as its `--help`). The checked-in copies under man/ are
//! compared with these by a test, so they never go stale.
//!
//! A command's `after_long_help` is the one source of its examples and exit codes: `sections` splits it
//! into EXAMPLES, EXIT STATUS and the rest (DETAILS); JSON OUTPUT comes from `topics::json::SCHEMAS`.
//! regauth(1) also gets ENVIRONMENT and the full EXIT STATUS from `topics` (the `regauth help` topics are
//! sections of regauth(1), where man-pages(7) puts them, rather than pages of section 7 that `make
//! install` and the Debian package would have to install apart).

mod sections;

use clap_mangen::Man;

/// `(file name, roff text)` for every page.
pub fn pages() -> Vec<(String, Vec<u8>)> {
    let mut pages = Vec::new();
    collect(super::command(), "regauth", "", &mut pages);
    for helper in regauth_helpers::ALL {
        collect(helper.command(), helper.name, "", &mut pages);
    }
    collect(regauth_helpers::kubelet::command(), regauth_helpers::kubelet::NAME, "", &mut pages);
    pages
}

/// docs/json.md: the same schemas as `regauth help json` and the JSON OUTPUT sections.
pub fn json_doc() -> String {
    sections::json_doc()
}

/// `path`: the command path below `regauth` (`cache-list`), empty for the top page and the helpers.
fn collect(mut command: clap::Command, name: &str, path: &str, pages: &mut Vec<(String, Vec<u8>)>) {
    command = command.name(name.to_owned());
    command.build();
    let split = sections::Split::of(&command);
    let bare = command.clone().after_help(None::<&str>).after_long_help(None::<&str>);
    let mut out = Vec::new();
    Man::new(bare).render(&mut out).expect("rendering to memory cannot fail");
    let top = name == "regauth";
    let extra = split.render(top, path);
    let mut text = String::from_utf8(out).expect("clap_mangen writes UTF-8");
    match text.find(".SH VERSION") {
        Some(at) => text.insert_str(at, &extra),
        None => text.push_str(&extra),
    }
    pages.push((format!("{name}.1"), text.into_bytes()));
    for sub in command.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let sub_path = match (top, path.is_empty()) {
            (true, _) => sub.get_name().to_owned(),
            (false, true) => String::new(),
            (false, false) => format!("{path}-{}", sub.get_name()),
        };
        collect(sub.clone(), &format!("{name}-{}", sub.get_name()), &sub_path, pages);
    }
}
