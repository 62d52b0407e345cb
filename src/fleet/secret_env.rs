//! An agent's environment from the fleet file is the operator's: API keys, tokens. The
//! store keeps each value only as a salted SHA-256 ("sealed"); the value itself is read
//! from the fleet file again when an attempt starts. The hash tells a retry that the
//! file still holds the value the agent was declared with.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// What a sealed value starts with: a NUL, which no real environment value can hold.
const SEALED: &str = "\0sha256:";

/// The sealed form of `value` for `agent`'s variable `key`.
pub fn seal(agent: &str, key: &str, value: &str) -> String {
    let mut h = Sha256::new();
    for part in ["shoal-env", agent, key, value] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("{SEALED}{hex}")
}

/// Every value of `env` sealed.
pub fn seal_all(agent: &str, env: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    env.iter()
        .map(|(k, v)| (k.clone(), seal(agent, k, v)))
        .collect()
}

/// Whether a stored value is sealed (to be read from the fleet file).
pub fn is_sealed(value: &str) -> bool {
    value.starts_with(SEALED)
}

/// How an agent's stored environment became the one it starts with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Opened {
    /// The variables, values in the clear.
    pub env: Vec<(String, String)>,
    /// Variables whose value in the fleet file is not the one the agent was declared with.
    pub changed: Vec<String>,
}

/// Open `stored` with the values the fleet file declares now (`from_file`: `None` when
/// the file or the agent could not be read). A sealed variable the file no longer
/// declares is an error naming it: an agent must not start without its key.
pub fn open(
    agent: &str,
    stored: &BTreeMap<String, String>,
    from_file: Option<&BTreeMap<String, String>>,
    file: &str,
) -> Result<Opened, String> {
    let mut out = Opened::default();
    for (k, v) in stored {
        if !is_sealed(v) {
            out.env.push((k.clone(), v.clone()));
            continue;
        }
        let Some(now) = from_file.and_then(|f| f.get(k)) else {
            return Err(format!(
                "env {k}: its value is kept only in the fleet file {file}, which no longer declares it for {agent}; put it back, or run `shoal up` with the file to declare the agent again"
            ));
        };
        if seal(agent, k, now) != *v {
            out.changed.push(k.clone());
        }
        out.env.push((k.clone(), now.clone()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn sealed_values_hold_no_trace_of_the_secret() {
        let sealed = seal_all("a", &env(&[("KEY", "sk-ant-secret-value")]));
        let v = &sealed["KEY"];
        assert!(is_sealed(v));
        assert!(!v.contains("secret"), "{v}");
        assert_ne!(
            seal("a", "KEY", "x"),
            seal("b", "KEY", "x"),
            "salted by agent"
        );
        assert_ne!(seal("a", "KEY", "x"), seal("a", "KEY2", "x"), "and by name");
    }

    #[test]
    fn opening_reads_the_file_and_says_what_changed() {
        let stored = seal_all("a", &env(&[("KEY", "old"), ("MODE", "fast")]));
        let file = env(&[("KEY", "new"), ("MODE", "fast")]);
        let o = open("a", &stored, Some(&file), "shoal.toml").unwrap();
        assert_eq!(
            o.env,
            [("KEY".into(), "new".into()), ("MODE".into(), "fast".into())]
        );
        assert_eq!(o.changed, ["KEY"]);
    }

    #[test]
    fn a_value_the_file_lost_is_an_error_and_plain_values_pass() {
        let mut stored = seal_all("a", &env(&[("KEY", "v")]));
        let e = open("a", &stored, Some(&env(&[])), "f.toml").unwrap_err();
        assert!(e.contains("env KEY") && e.contains("f.toml"), "{e}");
        assert!(open("a", &stored, None, "f.toml").is_err());
        stored.clear();
        stored.insert("FROM_SPAWN".into(), "plain".into());
        let o = open("a", &stored, None, "f.toml").unwrap();
        assert_eq!(o.env, [("FROM_SPAWN".into(), "plain".into())]);
    }
}
