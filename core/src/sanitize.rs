//! Untrusted text (registry bodies, helper output, config values) is cleaned before it reaches a terminal,
//! so a hostile server or file cannot move the cursor, recolour output or hide lines.

/// Replace control characters (except tab) with `\u{..}` escapes and cut the text to `max` characters.
pub fn for_terminal(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max));
    for (count, ch) in text.chars().enumerate() {
        if count == max {
            out.push('…');
            break;
        }
        if ch.is_control() && ch != '\t' {
            out.push_str(&format!("\\u{{{:x}}}", ch as u32));
        } else {
            out.push(ch);
        }
    }
    out
}

/// One line of untrusted text: newlines are escaped too, and the result is trimmed.
pub fn one_line(text: &str) -> String {
    for_terminal(text.trim(), 400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_escape_sequences_and_newlines() {
        assert_eq!(for_terminal("a\x1b[31mb\nc", 100), "a\\u{1b}[31mb\\u{a}c");
        assert_eq!(for_terminal("tab\tok", 100), "tab\tok");
    }

    #[test]
    fn cuts_long_text() {
        assert_eq!(for_terminal("abcdef", 3), "abc…");
        assert_eq!(one_line("  x  "), "x");
    }
}
