//! A TOML error as a person wants it: the file, the line and the dotted
//! key (`source.page_rows`), then toml's own message and the line itself.

use std::path::Path;

/// A TOML error as `FILE, line N, key K: message`.
pub fn located(e: &toml::de::Error, text: &str, path: &Path) -> String {
    let message = e.message().trim();
    let Some(span) = e.span() else {
        return format!("{}: {message}", path.display());
    };
    if span.start == 0 && (span.end == 0 || span.end >= text.trim_end().len()) {
        // The whole file: a section missing at the top level.
        return format!("{}: {message}", path.display());
    }
    let start = span.start.min(text.len());
    let line = text[..start].matches('\n').count() + 1;
    let line_text = text.lines().nth(line - 1).unwrap_or("");
    let key = key_at(text, line, line_text, message);
    format!(
        "{}, line {line}, key {key}: {message}\n  {line} | {}",
        path.display(),
        line_text.trim_end()
    )
}

/// The dotted key an error points at: the section header above `line`
/// and the key on it (or the unknown field the message names).
fn key_at(text: &str, line: usize, line_text: &str, message: &str) -> String {
    let section = text
        .lines()
        .take(line)
        .filter_map(|l| {
            let l = l.trim();
            (l.starts_with('[') && !l.starts_with("[["))
                .then(|| l.trim_matches(['[', ']']).trim().to_owned())
        })
        .last();
    let name = message
        .strip_prefix("unknown field `")
        .and_then(|m| m.split('`').next())
        .map(str::to_owned)
        .or_else(|| {
            line_text
                .split_once('=')
                .map(|(k, _)| k.trim().trim_matches('"').to_owned())
        });
    match (section, name) {
        (Some(s), Some(n)) if !line_text.trim_start().starts_with('[') => format!("{s}.{n}"),
        (Some(s), _) => s,
        (None, Some(n)) => n,
        (None, None) => "(top level)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::key_at;

    const FILE: &str = "[source]\nurl_env = \"M\"\npage_rows = 0\n\n[dump]\nfolder = 3\n";

    #[test]
    fn the_key_is_the_section_and_the_name_on_the_line() {
        assert_eq!(
            key_at(FILE, 3, "page_rows = 0", "must be 1 or more"),
            "source.page_rows"
        );
        assert_eq!(key_at(FILE, 6, "folder = 3", "invalid type"), "dump.folder");
        assert_eq!(
            key_at(
                FILE,
                2,
                "url_env = \"M\"",
                "unknown field `colour`, expected one of"
            ),
            "source.colour"
        );
        assert_eq!(key_at(FILE, 5, "[dump]", "missing field `folder`"), "dump");
    }
}
