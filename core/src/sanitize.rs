//! Untrusted text (registry bodies, token claims, helper output, config values) is cleaned before it reaches
//! a terminal, so a hostile server or file cannot move the cursor, recolour output, set the clipboard
//! (OSC 52), reorder what is shown (bidi overrides) or hide text (zero-width characters), nor flood the
//! screen with one huge line. The same cleaned text goes into `--json`: JSON escaping protects a parser,
//! not the terminal that `jq -r` prints to.

/// Replace control characters (except tab), format characters (Unicode category Cf: bidi embeddings,
/// overrides and isolates, marks, zero-width characters) and line or paragraph separators with `\u{..}`
/// escapes, and cut the result to about `max` characters (an escape counts for its length), ending it
/// with `…` when cut.
pub fn for_terminal(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max.saturating_add(1)));
    let mut count = 0;
    for ch in text.chars() {
        let escaped = needs_escape(ch).then(|| format!("\\u{{{:x}}}", ch as u32));
        let width = escaped.as_ref().map_or(1, String::len);
        if count + width > max {
            out.push('…');
            break;
        }
        count += width;
        match escaped {
            Some(e) => out.push_str(&e),
            None => out.push(ch),
        }
    }
    out
}

/// One line of untrusted text: newlines are escaped too, and the result is trimmed.
pub fn one_line(text: &str) -> String {
    for_terminal(text.trim(), 400)
}

/// Whether `ch` is kept off a terminal: a control character other than tab, a format character, or a line
/// or paragraph separator.
pub fn needs_escape(ch: char) -> bool {
    (ch.is_control() && ch != '\t') || is_format(ch) || matches!(ch, '\u{2028}' | '\u{2029}')
}

/// Unicode general category Cf (Unicode 15.1), which the standard library does not expose.
fn is_format(ch: char) -> bool {
    matches!(
        ch as u32,
        0xAD | 0x600..=0x605
            | 0x61C
            | 0x6DD
            | 0x70F
            | 0x890..=0x891
            | 0x8E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_would_act_on() {
        let cases: &[(&str, &str)] = &[
            ("a\x1b[31mb\nc", "a\\u{1b}[31mb\\u{a}c"),
            ("tab\tok", "tab\tok"),
            // OSC 52: set the clipboard, ended by BEL or by ST (ESC \).
            ("\x1b]52;c;aGk=\x07", "\\u{1b}]52;c;aGk=\\u{7}"),
            ("\x1b]52;c;aGk=\x1b\\", "\\u{1b}]52;c;aGk=\\u{1b}\\"),
            // C1 controls: CSI and NEL.
            ("\u{9b}31m\u{85}", "\\u{9b}31m\\u{85}"),
            ("\r\x7f\0", "\\u{d}\\u{7f}\\u{0}"),
            // Bidi embeddings, overrides, isolates and marks.
            ("admin\u{202e}txt.exe", "admin\\u{202e}txt.exe"),
            ("\u{202a}\u{202b}\u{202c}\u{202d}", "\\u{202a}\\u{202b}\\u{202c}\\u{202d}"),
            ("\u{2066}\u{2067}\u{2068}\u{2069}", "\\u{2066}\\u{2067}\\u{2068}\\u{2069}"),
            ("\u{200e}\u{200f}\u{61c}", "\\u{200e}\\u{200f}\\u{61c}"),
            // Zero-width and other format characters.
            (
                "a\u{200b}b\u{200c}c\u{200d}d\u{2060}e\u{feff}",
                "a\\u{200b}b\\u{200c}c\\u{200d}d\\u{2060}e\\u{feff}",
            ),
            ("soft\u{ad}hyphen\u{e0041}", "soft\\u{ad}hyphen\\u{e0041}"),
            ("line\u{2028}para\u{2029}", "line\\u{2028}para\\u{2029}"),
            // Ordinary text from anywhere stays as it is.
            ("Grüße, 東京, مرحبا, emoji 🙂", "Grüße, 東京, مرحبا, emoji 🙂"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(for_terminal(input, 1000), *want, "{input:?}");
        }
    }

    #[test]
    fn cuts_long_text() {
        assert_eq!(for_terminal("abcdef", 3), "abc…");
        assert_eq!(for_terminal("abc", 3), "abc");
        assert_eq!(one_line("  x  "), "x");
        // An escape counts for its length, so escaping cannot multiply the size of what is printed.
        assert_eq!(for_terminal("\x1b\x1b\x1b", 12), "\\u{1b}\\u{1b}…");
        let huge = "x".repeat(1 << 20);
        assert_eq!(one_line(&huge).chars().count(), 401);
        assert!(for_terminal(&"\u{202e}".repeat(1 << 16), 400).len() <= 400 + '…'.len_utf8());
    }
}
