//! Units an operator writes in files and reads in messages: sizes, durations and their
//! display.

use std::time::Duration;

/// The longest duration shoal accepts anywhere: ten years. Every timer is kept in
/// milliseconds as `i64` next to a unix timestamp; a bound this far below `i64::MAX`
/// keeps `now + duration` from overflowing on the ladder and in the store.
pub const MAX_DURATION: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// What to write instead of a bad duration.
pub const DURATION_HINT: &str =
    "write a duration like \"500ms\", \"3s\", \"5m\" or \"1h\" (at most 10 years, \"3650d\")";

/// A duration such as `500ms`, `3s`, `5m`, `1h` or `1h 30m`: more than zero and at
/// most [`MAX_DURATION`].
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    match humantime::parse_duration(text.trim()) {
        Ok(d) if d.is_zero() => Err(format!("duration {text:?} must be more than zero")),
        Ok(d) if d > MAX_DURATION => Err(format!(
            "duration {text:?} is longer than 10 years, the most shoal accepts"
        )),
        Ok(d) => Ok(d),
        Err(humantime::DurationError::NumberOverflow) => Err(format!(
            "duration {text:?} is out of range: at most 10 years, in steps of 1ns"
        )),
        Err(e) => Err(format!("bad duration {text:?} ({e})")),
    }
}

/// Default retention cap of a fleet's store, in bytes.
pub const DEFAULT_MAX_BYTES: u64 = 512 * 1024 * 1024;

/// A duration in whole milliseconds, as the store and the clock count them; saturates
/// rather than wrapping for durations beyond any clock.
pub fn ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Wall-clock time in unix milliseconds: the one clock every timestamp shoal stores or
/// shows is read from.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, ms)
}

/// A size such as `512MB`, `2 GiB`, `100k` or a plain number of bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let bad = || {
        format!("bad size {text:?}: write a number of bytes or a size like 512MB, 2GB or 100MiB")
    };
    let n: f64 = number.parse().map_err(|_| bad())?;
    let unit = unit.trim().to_ascii_lowercase();
    let scale: u64 = match unit.as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return Err(bad()),
    };
    let bytes = n * scale as f64;
    if !(bytes.is_finite() && bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!(
            "size {text:?} is out of range: use at least 1 byte"
        ));
    }
    Ok(bytes as u64)
}

/// A byte count for people: `512 MiB`, `3.2 KiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 || v >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512MB"), Ok(512 << 20));
        assert_eq!(parse_size("2 GiB"), Ok(2 << 30));
        assert_eq!(parse_size("100k"), Ok(100 << 10));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("1.5m"), Ok(3 << 19));
        for bad in ["", "lots", "5 parsecs", "0", "-3MB"] {
            let e = parse_size(bad).unwrap_err();
            assert!(e.contains(&format!("{bad:?}")), "{e}");
        }
        assert_eq!(human_size(512 << 20), "512 MiB");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(12), "12 B");
    }

    #[test]
    fn durations_are_bounded() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration(" 1h 30m "), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("3650d"), Ok(MAX_DURATION));
        for long in ["500000000years", "3651d", "99999999999999999999999s"] {
            let e = parse_duration(long).unwrap_err();
            assert!(e.contains(&format!("{long:?}")), "{e}");
            assert!(e.contains("10 years"), "{e}");
        }
        assert!(parse_duration("0s").unwrap_err().contains("more than zero"));
        assert!(parse_duration("soon").unwrap_err().contains("bad duration"));
    }
}
