//! The restart and circuit-breaker keys of the fleet file, checked with the same
//! located errors as the rest of it.

use super::{FleetFileError, Locator};
use crate::fleet::{CircuitSettings, RestartMode, RestartSettings};
use std::time::Duration;
use toml::Spanned;

/// Most restarts a window may allow.
const MAX_RESTARTS: i64 = 10_000;
/// Longest wait before a restart.
const MAX_DELAY: Duration = Duration::from_secs(24 * 3600);

/// The restart keys of one table (`[fleet]` or an `[[agent]]`), as written.
pub(super) struct RawRestart<'a> {
    pub restart: &'a Option<Spanned<String>>,
    pub restart_delay: &'a Option<Spanned<String>>,
    pub restart_delay_max: &'a Option<Spanned<String>>,
    pub max_restarts: &'a Option<Spanned<i64>>,
    pub restart_window: &'a Option<Spanned<String>>,
    pub resume: Option<bool>,
}

/// The circuit keys of `[fleet]`, as written.
pub(super) struct RawCircuit<'a> {
    pub rapid_death: &'a Option<Spanned<String>>,
    pub circuit_failures: &'a Option<Spanned<i64>>,
    pub circuit_window: &'a Option<Spanned<String>>,
    pub circuit_cooldown: &'a Option<Spanned<String>>,
}

impl Locator<'_> {
    /// A duration that must be more than zero and at most `max`.
    fn bounded(
        &self,
        value: &Spanned<String>,
        field: &str,
        zero_ok: bool,
        max: Duration,
    ) -> Result<Duration, FleetFileError> {
        let d = self.duration(value, field)?;
        if (d.is_zero() && !zero_ok) || d > max {
            let low = if zero_ok { "0s" } else { "more than 0s" };
            return Err(self.at(
                value.span(),
                format!("{field} = {:?} is out of range", value.get_ref()),
                &format!(
                    "use a duration from {low} to {}, e.g. \"10s\" or \"5m\"",
                    humantime::format_duration(max)
                ),
            ));
        }
        Ok(d)
    }

    /// Lay the restart keys of one table over `base`; `who` prefixes messages
    /// (`agent "w1": `) and is empty for `[fleet]`.
    pub(super) fn restart(
        &self,
        raw: &RawRestart<'_>,
        base: RestartSettings,
        who: &str,
    ) -> Result<RestartSettings, FleetFileError> {
        let mut out = base;
        if let Some(v) = raw.restart {
            out.restart = v.get_ref().parse::<RestartMode>().map_err(|e| {
                self.at(
                    v.span(),
                    format!("{who}{e}"),
                    "restart = \"on-failure\" restarts after a failure or a stall-ladder kill; \"always\" after a clean exit too",
                )
            })?;
        }
        if let Some(v) = raw.restart_delay {
            out.restart_delay = self.bounded(v, &format!("{who}restart_delay"), true, MAX_DELAY)?;
        }
        if let Some(v) = raw.restart_delay_max {
            out.restart_delay_max =
                self.bounded(v, &format!("{who}restart_delay_max"), true, MAX_DELAY)?;
        }
        if let Some(v) = raw.max_restarts {
            let n = *v.get_ref();
            if !(0..=MAX_RESTARTS).contains(&n) {
                return Err(self.at(
                    v.span(),
                    format!("{who}max_restarts = {n} is out of range"),
                    &format!("use a number from 0 to {MAX_RESTARTS}"),
                ));
            }
            out.max_restarts = u32::try_from(n).unwrap_or(0);
        }
        if let Some(v) = raw.restart_window {
            out.restart_window = self.bounded(
                v,
                &format!("{who}restart_window"),
                false,
                crate::fleet::units::MAX_DURATION,
            )?;
        }
        if let Some(r) = raw.resume {
            out.resume = r;
        }
        Ok(out)
    }

    /// Lay the circuit keys of `[fleet]` over `base`.
    pub(super) fn circuit(
        &self,
        raw: &RawCircuit<'_>,
        base: CircuitSettings,
    ) -> Result<CircuitSettings, FleetFileError> {
        let mut out = base;
        let max = crate::fleet::units::MAX_DURATION;
        if let Some(v) = raw.rapid_death {
            out.rapid_death = self.bounded(v, "rapid_death", true, Duration::from_secs(3600))?;
        }
        if let Some(v) = raw.circuit_failures {
            let n = *v.get_ref();
            if !(0..=1000).contains(&n) {
                return Err(self.at(
                    v.span(),
                    format!("circuit_failures = {n} is out of range"),
                    "use a number from 1 to 1000, or 0 to turn the circuit breaker off",
                ));
            }
            out.circuit_failures = u32::try_from(n).unwrap_or(0);
        }
        if let Some(v) = raw.circuit_window {
            out.circuit_window = self.bounded(v, "circuit_window", false, max)?;
        }
        if let Some(v) = raw.circuit_cooldown {
            out.circuit_cooldown = self.bounded(v, "circuit_cooldown", false, max)?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::fleet::file::parse;
    use crate::fleet::RestartMode;
    use std::path::Path;
    use std::time::Duration;

    const AGENTS: &str = r#"
[[agent]]
name = "a"
cmd = "true"

[[agent]]
name = "b"
cmd = "true"
restart = "always"
max_restarts = 2
"#;

    #[test]
    fn the_fleet_default_applies_and_an_agent_overrides_it() {
        let text = format!(
            "[fleet]\nname = \"f\"\nrestart = \"on-failure\"\nrestart_delay = \"2s\"\nmax_restarts = 3\nrestart_window = \"1m\"\nrapid_death = \"5s\"\ncircuit_failures = 4\ncircuit_cooldown = \"30s\"\n{AGENTS}"
        );
        let f = parse(Path::new("shoal.toml"), &text).unwrap();
        let (a, b) = (&f.agents[0].restart, &f.agents[1].restart);
        assert_eq!(a.restart, RestartMode::OnFailure);
        assert_eq!(a.restart_delay, Duration::from_secs(2));
        assert_eq!(
            (a.max_restarts, a.restart_window),
            (3, Duration::from_secs(60))
        );
        assert_eq!(b.restart, RestartMode::Always);
        assert_eq!(
            (b.max_restarts, b.restart_delay),
            (2, Duration::from_secs(2))
        );
        assert_eq!(f.settings.restart, *a);
        assert_eq!(f.settings.circuit.rapid_death, Duration::from_secs(5));
        assert_eq!(f.settings.circuit.circuit_failures, 4);
        assert_eq!(f.settings.circuit.circuit_cooldown, Duration::from_secs(30));
        // Unset, it never restarts.
        let plain = parse(
            Path::new("shoal.toml"),
            "[fleet]\nname = \"f\"\n[[agent]]\nname = \"a\"\ncmd = \"true\"\n",
        )
        .unwrap();
        assert_eq!(plain.agents[0].restart.restart, RestartMode::Never);
    }

    #[test]
    fn bad_values_name_the_file_line_and_value() {
        // (line, expected line number, words the message must carry)
        let cases: [(&str, usize, &[&str]); 7] = [
            (
                "restart = \"sometimes\"",
                3,
                &["\"sometimes\"", "on-failure"],
            ),
            (
                "max_restarts = -1",
                3,
                &["max_restarts = -1", "out of range"],
            ),
            ("restart_window = \"0s\"", 3, &["restart_window", "\"0s\""]),
            ("restart_delay = \"soon\"", 3, &["restart_delay", "soon"]),
            (
                "restart_delay = \"2days\"",
                3,
                &["restart_delay", "\"2days\""],
            ),
            ("circuit_failures = 5000", 3, &["circuit_failures = 5000"]),
            ("rapid_death = \"2h\"", 3, &["rapid_death", "\"2h\""]),
        ];
        for (line, at, words) in cases {
            let text = format!("[fleet]\nname = \"f\"\n{line}\n");
            let e = parse(Path::new("/x/shoal.toml"), &text).unwrap_err();
            assert_eq!(e.line, at, "{line}: {e}");
            let shown = e.to_string();
            assert!(shown.starts_with("/x/shoal.toml:3:"), "{shown}");
            for w in words {
                assert!(shown.contains(w), "{line}: {shown} lacks {w}");
            }
            assert!(!e.hint.is_empty(), "{line}: no hint");
        }
        let text =
            "[fleet]\nname = \"f\"\n[[agent]]\nname = \"w1\"\ncmd = \"true\"\nrestart = \"yes\"\n";
        let e = parse(Path::new("shoal.toml"), text).unwrap_err();
        assert_eq!(e.line, 6);
        assert!(
            e.message.contains("agent \"w1\": ") && e.message.contains("\"yes\""),
            "{e}"
        );
    }
}
