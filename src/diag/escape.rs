//! Control characters in human output: values and file names come from user files, and a raw
//! ESC or newline in them could rewrite the terminal or forge log lines. Every human renderer
//! passes user text through [`escape`] (one line) or [`escape_lines`] (multi-line text, keeping
//! its line breaks).

use std::borrow::Cow;

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{1b}' => out.push_str("\\e"),
        c => {
            use std::fmt::Write;
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// `text` with every control character (and the bidi overrides) written as an escape
/// (`\e`, `\n`, `\u{7}`); borrowed unchanged when there is none.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Like [`escape`], but `\n` stays a line break: for text that is several lines by design
/// (a report, a note).
pub fn escape_lines(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && needs_escape(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c != '\n' && needs_escape(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// For messages, helps and notes: control characters escaped, but a line break the tool put
/// there stays one, with the next line indented, so no text from a pack can start a line of
/// the output (a forged `error[…]` line in a CI log).
pub fn escape_message(text: &str) -> Cow<'_, str> {
    let escaped = escape_lines(text.trim_end_matches('\n'));
    if !escaped.contains('\n') {
        return escaped;
    }
    Cow::Owned(escaped.replace('\n', "\n    "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape("plain `x`"), "plain `x`");
        assert_eq!(escape("a\u{1b}[31mred\nline\u{7}"), "a\\e[31mred\\nline\\u{7}");
        assert_eq!(escape_lines("one\ntwo\u{1b}"), "one\ntwo\\e");
        assert_eq!(escape("\u{202e}rtl"), "\\u{202e}rtl");
        assert_eq!(
            escape_message("a\nerror[SP1]: forged\u{1b}"),
            "a\n    error[SP1]: forged\\e"
        );
    }
}
