//! Words an operator typed that shoal does not know: the near one they meant.

/// serde's "unknown field `x`, expected one of `a`, `b`" (or "expected `a`"), split into
/// the field and the valid names.
pub fn unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    let expected = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    Some((field.to_string(), expected))
}

/// The candidate nearest to `word` by edit distance, if it is near enough to be a typo.
pub fn suggest<'a, S: AsRef<str>>(word: &str, candidates: &'a [S]) -> Option<&'a str> {
    let word_l = word.to_ascii_lowercase();
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .iter()
        .map(|c| {
            (
                distance(&word_l, &c.as_ref().to_ascii_lowercase()),
                c.as_ref(),
            )
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters.
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_key() {
        let keys = ["poll_interval", "stall_timeout", "theme", "notify"];
        for (typo, want) in [
            ("pol_interval", Some("poll_interval")),
            ("stall_timout", Some("stall_timeout")),
            ("Theme", Some("theme")),
            ("notfy", Some("notify")),
            ("colour_scheme", None),
        ] {
            assert_eq!(suggest(typo, &keys), want, "{typo}");
        }
    }

    #[test]
    fn serde_unknown_field_messages_are_split() {
        let (f, exp) =
            unknown_field("unknown field `pol`, expected one of `poll_interval`, `theme`").unwrap();
        assert_eq!(f, "pol");
        assert_eq!(exp, ["poll_interval", "theme"]);
        let (_, exp) = unknown_field("unknown field `x`, expected `bell`").unwrap();
        assert_eq!(exp, ["bell"]);
        assert!(unknown_field("invalid type: integer").is_none());
    }
}
