//! Typed views of the JSON bodies untrusted servers send: registry error bodies and tag lists, read with
//! the core's [`Lenient`] field type. A field of an unexpected type counts as absent,
//! as a registry client must read what real servers send without failing on the rest.

pub(crate) use regauth_core::lenient::{is_object, items, value, Lenient};
use serde::Deserialize;

/// distribution's `{"errors":[{"code","message","detail"}]}`, or a token server's one-field answers.
#[derive(Deserialize)]
struct ErrorBody {
    errors: Option<Lenient<Vec<Lenient<ErrorEntry>>>>,
    details: Option<Lenient<String>>,
    detail: Option<Lenient<String>>,
    message: Option<Lenient<String>>,
    error_description: Option<Lenient<String>>,
    error: Option<Lenient<String>>,
}

#[derive(Deserialize)]
struct ErrorEntry {
    code: Option<Lenient<String>>,
    message: Option<Lenient<String>>,
}

/// The human part of an error body: `CODE message; ...`, a token server's text field, or the text itself.
pub fn error_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let parsed = if is_object(body) { serde_json::from_str::<ErrorBody>(&text).ok() } else { None };
    let Some(parsed) = parsed else { return text.trim().to_owned() };
    if let Some(errors) = value(parsed.errors) {
        let parts: Vec<String> = errors
            .into_iter()
            .map(|entry| {
                let (code, message) = match entry.get() {
                    Some(e) => (value(e.code), value(e.message)),
                    None => (None, None),
                };
                format!("{} {}", code.unwrap_or_default(), message.unwrap_or_default()).trim().to_owned()
            })
            .collect();
        return parts.join("; ");
    }
    [parsed.details, parsed.detail, parsed.message, parsed.error_description, parsed.error]
        .into_iter()
        .find_map(value)
        .unwrap_or_else(|| text.trim().to_owned())
}

/// `GET /v2/<name>/tags/list`: `{"name": .., "tags": [..]}`.
#[derive(Deserialize)]
struct TagList {
    tags: Option<Lenient<Vec<Lenient<String>>>>,
}

/// The tags of a tag-list body; none when it is not one.
pub fn tags(body: &[u8]) -> Vec<String> {
    if !is_object(body) {
        return Vec::new();
    }
    serde_json::from_slice::<TagList>(body).map(|list| items(list.tags)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_from_known_shapes() {
        #[rustfmt::skip]
        let cases = [
            (r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[]}]}"#, "UNAUTHORIZED authentication required"),
            (r#"{"errors":[{"code":"A","message":"one"},{"code":"B"},{"message":"three"},7]}"#, "A one; B; three; "),
            (r#"{"details":"access token has insufficient scopes"}"#, "access token has insufficient scopes"),
            (r#"{"error":"access forbidden"}"#, "access forbidden"),
            (r#"{"error":"e","error_description":"described"}"#, "described"),
            (r#"{"errors":"not a list","detail":{"x":1},"message":"m"}"#, "m"),
            (r#"{"other":1}"#, r#"{"other":1}"#),
            ("HTTP Basic: Access denied\n", "HTTP Basic: Access denied"),
            (r#"["details"]"#, r#"["details"]"#),
            ("", ""),
        ];
        for (body, want) in cases {
            assert_eq!(error_message(body.as_bytes()), want, "{body}");
        }
    }

    #[test]
    fn tag_lists() {
        let cases: [(&str, &[&str]); 6] = [
            (r#"{"name":"a","tags":["v1","v2"]}"#, &["v1", "v2"]),
            (r#"{"name":"a","tags":null}"#, &[]),
            (r#"{"tags":["v1",2,null]}"#, &["v1"]),
            (r#"{"tags":"v1"}"#, &[]),
            (r#"[["v1"]]"#, &[]),
            ("<html>", &[]),
        ];
        for (body, want) in cases {
            assert_eq!(tags(body.as_bytes()), want, "{body}");
        }
    }
}
