//! Who supervises the fleet, as the console's header says it: a view console draws
//! another process's supervisor, and says so.

/// Who acts on the fleet while this console shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Supervision {
    /// This console's own supervisor; `from` is the holder it took over from, if any.
    Here {
        /// The pid it took over from.
        from: Option<u32>,
    },
    /// Another process: this console is a view, and its keys go through that one.
    By {
        /// Its pid.
        pid: u32,
        /// Where it runs: `console`, `foreground` or `detached`.
        mode: String,
    },
    /// Nobody acts on the fleet: agents are not nudged, killed or noticed dying.
    Nobody {
        /// Why, and what this console does about it.
        why: String,
    },
}

impl Supervision {
    /// The header's words for it.
    pub fn label(&self) -> String {
        match self {
            Supervision::Here { from: None } => "supervised here".to_string(),
            Supervision::Here { from: Some(pid) } => {
                format!("supervised here (took over from pid {pid})")
            }
            Supervision::By { pid, mode } => format!("supervised by pid {pid} · {mode}"),
            Supervision::Nobody { why } => format!("nobody supervises: {why}"),
        }
    }

    /// Whether the operator must be told loudly.
    pub fn is_alarm(&self) -> bool {
        matches!(self, Supervision::Nobody { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_the_holder_and_where_it_runs() {
        let by = Supervision::By {
            pid: 4242,
            mode: "detached".into(),
        };
        assert_eq!(by.label(), "supervised by pid 4242 · detached");
        assert!(!by.is_alarm());
        let here = Supervision::Here { from: Some(7) };
        assert_eq!(here.label(), "supervised here (took over from pid 7)");
        let none = Supervision::Nobody {
            why: "pid 7 stopped".into(),
        };
        assert_eq!(none.label(), "nobody supervises: pid 7 stopped");
        assert!(none.is_alarm());
    }
}
