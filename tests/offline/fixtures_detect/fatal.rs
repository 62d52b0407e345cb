//! Fatal errors as data: every profile knows a bad key, an exhausted quota or bill, a
//! model that does not exist and a CLI that is not installed, and says they are fatal.
//!
//! The lab's mock produces 401s, 429s and 503s, so auth and not-installed screens are
//! real. No lab scenario produces a billing or unknown-model error: those screens are the
//! CLI's real error screen (auth_error) with the error line replaced by the provider's own
//! message, as each CLI prints it.

use super::{fixture, profile, CLIS};
use shoal::fleet::{Activity, ErrorKind};

/// `(kind, state to start from, text of the line to replace, its replacement, expected
/// error)`.
const DERIVED: &[(&str, &str, &str, &str, ErrorKind)] = &[
    (
        "claude",
        "auth_error",
        "Invalid API key · Fix external API key",
        "  ⎿  Credit balance is too low",
        ErrorKind::Quota,
    ),
    (
        "claude",
        "auth_error",
        "Invalid API key · Fix external API key",
        "  ⎿  API Error: 400 {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"Your credit balance is too low to access the Anthropic API.\"}}",
        ErrorKind::Quota,
    ),
    (
        "claude",
        "auth_error",
        "Invalid API key · Fix external API key",
        "  ⎿  There's an issue with the selected model (claude-nope). It may not exist or you may not have access to it. Run /model to pick a different model.",
        ErrorKind::ModelNotFound,
    ),
    (
        "codex",
        "auth_error",
        "■ unexpected status 401 Unauthorized",
        "■ unexpected status 429 Too Many Requests: You exceeded your current quota, please check your plan and billing details.",
        ErrorKind::Quota,
    ),
    (
        "codex",
        "auth_error",
        "■ unexpected status 401 Unauthorized",
        "■ unexpected status 404 Not Found: The model `gpt-nope` does not exist or you do not have access to it.",
        ErrorKind::ModelNotFound,
    ),
    (
        "gemini",
        "auth_error",
        "✕ [API Error:",
        "✕ [API Error: {\"error\":{\"code\":404,\"message\":\"models/gemini-nope is not found for API version v1beta.\",\"status\":\"NOT_FOUND\"}}]",
        ErrorKind::ModelNotFound,
    ),
    (
        "gemini",
        "auth_error",
        "✕ [API Error:",
        "✕ [API Error: {\"error\":{\"code\":403,\"message\":\"Billing account is disabled.\",\"status\":\"BILLING_DISABLED\"}}]",
        ErrorKind::Quota,
    ),
    (
        "aider",
        "ratelimit_error",
        "The API provider has rate limited you. Try again later or check your quotas.",
        "litellm.RateLimitError: RateLimitError: OpenAIException - You exceeded your current quota, please check your plan and billing details. insufficient_quota",
        ErrorKind::Quota,
    ),
    (
        "aider",
        "ratelimit_error",
        "The API provider has rate limited you. Try again later or check your quotas.",
        "litellm.NotFoundError: NotFoundError: OpenAIException - The model `gpt-nope` does not exist or you do not have access to it.",
        ErrorKind::ModelNotFound,
    ),
];

#[test]
fn billing_and_unknown_models_are_fatal_errors() {
    let mut failures = Vec::new();
    for (kind, state, from, to, want) in DERIVED {
        let p = profile(kind);
        for ext in ["txt", "ansi"] {
            let real = fixture(kind, state, ext);
            if ext == "txt" {
                assert!(real.contains(from), "{kind}/{state}.{ext} has no {from:?}");
            }
            if !real.contains(from) {
                continue; // colours split the line in the ANSI capture
            }
            let screen: Vec<&str> = real
                .lines()
                .map(|l| if l.contains(from) { *to } else { l })
                .collect();
            let screen = screen.join("\n");
            let d = p.classify(&screen);
            if (d.activity, d.error) != (Activity::Errored, Some(*want)) {
                failures.push(format!("{kind}/{state}.{ext} with {to:?}: {}", d.explain()));
            }
            assert!(want.is_fatal());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_profile_declares_every_fatal_error() {
    for cli in CLIS {
        let errors: Vec<ErrorKind> = profile(cli)
            .rules()
            .iter()
            .filter_map(|r| r.error)
            .collect();
        for kind in [
            ErrorKind::Auth,
            ErrorKind::Quota,
            ErrorKind::ModelNotFound,
            ErrorKind::NotInstalled,
        ] {
            assert!(
                errors.contains(&kind),
                "{cli} declares no {kind} rule: {errors:?}"
            );
        }
    }
}

#[test]
fn recorded_fatal_screens_say_fatal_and_passing_ones_do_not() {
    for cli in CLIS {
        let p = profile(cli);
        let d = p.classify(&fixture(cli, "not_installed", "txt"));
        assert_eq!(
            d.error,
            Some(ErrorKind::NotInstalled),
            "{cli}: {}",
            d.explain()
        );
        assert!(d.error.unwrap().is_fatal());
        let d = p.classify(&fixture(cli, "auth_error", "ansi"));
        assert!(
            d.error.is_some_and(ErrorKind::is_fatal),
            "{cli}: {}",
            d.explain()
        );
        let d = p.classify(&fixture(cli, "ratelimit_error", "ansi"));
        assert!(
            d.error.is_some_and(|e| !e.is_fatal()),
            "{cli}: {}",
            d.explain()
        );
    }
    // A shell whose program is missing but stays alive is not an exited agent.
    let shell = profile("shell");
    let d = shell.classify("$ claude\nbash: claude: command not found\n$ ");
    assert_eq!(d.activity, Activity::Idle);
}
