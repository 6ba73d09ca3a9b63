//! Templates of schema 3's texts: `{credential}`, `{location}`, `{registry}` and `{host}` standing for a
//! credential's description, place, registry and registry host ([`expand`]); a text turned into one
//! ([`make_template`]); and a template compiled once into its pieces ([`Compiled`]), so that matching
//! 100,000 findings' texts against it does not look for the placeholders again each time.

use super::Subject;

const PLACEHOLDERS: [(&str, Piece); 4] = [
    ("{credential}", Piece::Credential),
    ("{location}", Piece::Location),
    ("{registry}", Piece::Registry),
    ("{host}", Piece::Host),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Piece {
    Credential,
    Location,
    Registry,
    Host,
}

/// A template's pieces: literal text and placeholders, in order.
fn pieces(template: &str) -> impl Iterator<Item = Result<&str, Piece>> {
    let mut rest = template;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        if let Some((name, piece)) = PLACEHOLDERS.iter().find(|(name, _)| rest.starts_with(name)) {
            rest = &rest[name.len()..];
            return Some(Err(*piece));
        }
        // `{` is ASCII: no byte of another character is one, so its byte offset is a character boundary.
        let end = rest.as_bytes()[1..].iter().position(|&b| b == b'{').map_or(rest.len(), |i| i + 1);
        let (text, tail) = rest.split_at(end);
        rest = tail;
        Some(Ok(text))
    })
}

pub(super) fn host_of(registry: &str) -> String {
    regauth_core::registry::RegistryHost::new(registry).to_string()
}

/// What a template says of `subject`.
pub fn expand(template: &str, subject: &Subject<'_>) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    for piece in pieces(template) {
        match piece {
            Ok(text) => out.push_str(text),
            Err(Piece::Credential) => {
                out.push_str(subject.kind);
                out.push_str(" for ");
                out.push_str(subject.registry);
                if let Some(user) = subject.username {
                    out.push_str(" (user ");
                    out.push_str(user);
                    out.push(')');
                }
            }
            Err(Piece::Location) => out.push_str(subject.location),
            Err(Piece::Registry) => out.push_str(subject.registry),
            Err(Piece::Host) => out.push_str(&host_of(subject.registry)),
        }
    }
    out
}

/// A template's pieces, found once: literal text as byte ranges of the template, and placeholders.
#[derive(Debug, Clone, Default)]
pub(super) struct Compiled(Vec<Result<(u32, u32), Piece>>);

impl Compiled {
    pub(super) fn of(template: &str) -> Compiled {
        let base = template.as_ptr() as usize;
        let offset = |text: &str| u32::try_from(text.as_ptr() as usize - base).unwrap_or(u32::MAX);
        Compiled(
            pieces(template)
                .map(|p| p.map(|text| (offset(text), offset(text).saturating_add(text.len() as u32))))
                .collect(),
        )
    }

    /// Whether `template` (the text this was compiled from) says `text` of `subject`, without building it.
    pub(super) fn matches(
        &self,
        template: &str,
        subject: &Subject<'_>,
        text: &str,
        host: &mut Option<String>,
    ) -> bool {
        let mut rest = text.as_bytes();
        let mut eat = |piece: &str| match rest.strip_prefix(piece.as_bytes()) {
            Some(tail) => {
                rest = tail;
                true
            }
            None => false,
        };
        for piece in &self.0 {
            let ok = match *piece {
                Ok((start, end)) => template.get(start as usize..end as usize).is_some_and(&mut eat),
                Err(Piece::Credential) => {
                    eat(subject.kind)
                        && eat(" for ")
                        && eat(subject.registry)
                        && subject.username.is_none_or(|user| eat(" (user ") && eat(user) && eat(")"))
                }
                Err(Piece::Location) => eat(subject.location),
                Err(Piece::Registry) => eat(subject.registry),
                Err(Piece::Host) => eat(host.get_or_insert_with(|| host_of(subject.registry))),
            };
            if !ok {
                return false;
            }
        }
        rest.is_empty()
    }
}

/// Whether `template` says `text` of `subject`, without building it.
pub fn says(template: &str, subject: &Subject<'_>, text: &str) -> bool {
    Compiled::of(template).matches(template, subject, text, &mut None)
}

/// Whether a template's own text (outside its placeholders) has no braces: only such a template is one
/// [`make_template`] could have made, and so one `audit merge` carries from a report as it is.
pub fn is_plain(template: &str) -> bool {
    pieces(template).all(|p| p.map_or(true, |text| !text.contains(['{', '}'])))
}

/// `text` with what `subject` lends it replaced by placeholders, when that gives it back exactly (a text
/// with braces of its own is never a template).
pub(super) fn make_template(text: &str, subject: &Subject<'_>, host: &mut Option<String>) -> Option<String> {
    if text.contains(['{', '}']) {
        return None;
    }
    let credential = expand("{credential}", subject);
    let host = host.get_or_insert_with(|| host_of(subject.registry)).clone();
    let mut template = text.replace(&credential, "{credential}");
    for (value, name) in
        [(subject.location, "{location}"), (subject.registry, "{registry}"), (&host, "{host}")]
    {
        if !value.is_empty() && !value.contains(['{', '}']) {
            template = template.replace(value, name);
        }
    }
    (expand(&template, subject) == text).then_some(template)
}
