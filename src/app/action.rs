//! Everything a key can do, as one serde enum that keymaps name directly.

use serde::{Deserialize, Serialize};

// One table gives each action its doc sentence (also shown in the help overlay) and its
// short footer label, so the two never drift apart.
macro_rules! actions {
    ($($variant:ident => $label:literal, $doc:literal;)+) => {
        /// An operator intent, independent of the key that triggers it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum Action {
            $(#[doc = $doc] $variant,)+
        }

        impl Action {
            /// Every action, in the order the help overlay lists them.
            pub const ALL: &'static [Action] = &[$(Action::$variant),+];

            /// The one-sentence description shown in the help overlay.
            pub fn describe(self) -> &'static str {
                match self { $(Action::$variant => $doc),+ }
            }

            /// The short word shown next to the key in the footer.
            pub fn label(self) -> &'static str {
                match self { $(Action::$variant => $label),+ }
            }
        }
    };
}

actions! {
    MoveDown => "down", "Move the selection to the next row.";
    MoveUp => "up", "Move the selection to the previous row.";
    MoveToTop => "top", "Move the selection to the first row.";
    MoveToBottom => "bottom", "Move the selection to the last row.";
    CollapseNode => "fold", "Collapse the selected agent's children, or go to its parent.";
    ExpandNode => "unfold", "Expand the selected agent's children, or go to its first child.";
    Attach => "attach", "Attach to the selected agent's tmux pane (detach to come back).";
    Approve => "approve", "Approve the prompt of an agent that needs input.";
    Deny => "deny", "Deny the prompt of an agent that needs input.";
    Retry => "retry", "Start the selected agent again as a new attempt.";
    Cancel => "cancel", "Interrupt the selected agent, then end it after a grace period (asks first).";
    Kill => "kill", "Kill the selected agent's pane now (asks first).";
    Nudge => "nudge", "Type the nudge message into the selected agent now.";
    TypeLine => "type", "Type a line of text into the selected agent, followed by Enter.";
    TogglePause => "pause", "Pause or resume stall supervision of the selected agent.";
    OpenFilter => "filter", "Filter the tree by name or state:, kind:, activity:, tier: (zoomed: search the pane).";
    ClearFilter => "clear", "Clear the filter, the footer message and any notice.";
    JumpToNeedy => "next needy", "Select the next agent that needs the operator, cycling.";
    ScrollUp => "scroll up", "Scroll the pane view back by a page.";
    ScrollDown => "scroll down", "Scroll the pane view forward by a page, back to the live tail.";
    ShowExplanation => "why", "Explain why the selected agent was classified as it is.";
    ToggleHelp => "help", "Show or hide this help.";
    Quit => "quit", "Leave the console; the agents keep running.";
    ToggleHistory => "history", "Show or hide history: ended attempts and removed agents, with final state, signal and screen.";
    OpenCommand => "command", "Open the command line: an action and its arguments, e.g. :approve lead.";
    StartNewAgents => "start new", "Start the agents a changed fleet file added.";
    OpenLogs => "logs", "Open the log browser on the selected agent: its output and events, searchable.";
    Dismiss => "dismiss", "Take the selected ended agent out of the tree (history still shows it; a retry brings it back).";
    DismissAllEnded => "dismiss all", "Take every ended agent out of the tree.";
    ToggleZoom => "zoom", "Give the pane view the whole screen, or give the tree back.";
    FilterNeedsYou => "needs you", "Show only the agents that need you (again: show all).";
    FilterRunning => "running", "Show only running agents (again: show all).";
    FilterEnded => "ended", "Show only ended agents (again: show all).";
    CycleSort => "sort", "Sort each agent's siblings: name, activity, quiet, tier, fleet order (cycles).";
    SearchPane => "find", "Search the selected pane's whole scrollback; n/N next/previous match, esc ends.";
    CopyPane => "copy", "Copy the pane's lines on screen (or the matches) to the clipboard and clipboard.txt.";
    AddAgent => "add", "Add an agent through a form; it is written to the fleet file (comments kept) and started.";
    RemoveAgent => "remove", "Remove the selected agent (asks first): end it, then delete its fleet file block and worktree.";
    ShowDiff => "diff", "Show the git diff of the selected agent's worktree or directory (r computes it again).";
}

impl Action {
    /// The name keymaps and the command line use (`jump-to-needy`).
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// The action with this name, if any.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_names_are_kebab_case_and_round_trip() {
        for &a in Action::ALL {
            let json = serde_json::to_string(&a).unwrap();
            assert_eq!(serde_json::from_str::<Action>(&json).unwrap(), a);
        }
        assert_eq!(
            serde_json::to_string(&Action::JumpToNeedy).unwrap(),
            "\"jump-to-needy\""
        );
    }

    #[test]
    fn names_find_their_action() {
        for &a in Action::ALL {
            assert_eq!(Action::from_name(&a.name()), Some(a));
        }
        assert_eq!(Action::from_name("open-command"), Some(Action::OpenCommand));
        assert_eq!(Action::from_name("nope"), None);
    }

    #[test]
    fn every_action_is_described() {
        for &a in Action::ALL {
            assert!(a.describe().ends_with('.'), "{a:?} lacks a sentence");
            assert!(!a.label().is_empty());
        }
    }
}
