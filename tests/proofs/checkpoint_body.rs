//! The tlog-checkpoint body: one spelling per checkpoint.

use claimlog::checkpoint::{Checkpoint, CheckpointError};

const ROOT_B64: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";

#[test]
fn body_round_trips() {
    let checkpoint = Checkpoint::new("example.com/claimlog", 1234, [7; 32]).unwrap();
    let body = checkpoint.body();
    assert_eq!(body, format!("example.com/claimlog\n1234\n{ROOT_B64}\n"));
    assert_eq!(Checkpoint::parse_body(&body), Ok(checkpoint));
}

#[test]
fn parse_keeps_extensions_and_foreign_origins() {
    let text = format!("rekor.sigstore.dev - 42\n0\n{ROOT_B64}\nextra one\nextra two\n");
    let checkpoint = Checkpoint::parse_body(&text).unwrap();
    assert_eq!(checkpoint.origin(), "rekor.sigstore.dev - 42");
    assert_eq!(checkpoint.size(), 0);
    assert_eq!(checkpoint.extensions(), ["extra one", "extra two"]);
    assert_eq!(checkpoint.body(), text);
    let max = format!("o\n18446744073709551615\n{ROOT_B64}\n");
    assert_eq!(Checkpoint::parse_body(&max).map(|c| c.size()), Ok(u64::MAX));
}

#[test]
fn parse_rejects_malformed_bodies() {
    let with = |origin: &str, size: &str, root: &str| format!("{origin}\n{size}\n{root}\n");
    let short_root = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBw==";
    let loose_bits = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwd=";
    let cases = [
        (
            with("o", "1", ROOT_B64).trim_end().to_owned(),
            CheckpointError::NotNewlineTerminated,
        ),
        (
            "o\n1\n".to_owned(),
            CheckpointError::MissingLines { got: 2 },
        ),
        (
            with("", "1", ROOT_B64),
            CheckpointError::EmptyLine { line: 1 },
        ),
        (
            with("o", "1", ROOT_B64) + "\n",
            CheckpointError::EmptyLine { line: 4 },
        ),
        (
            with("o\r", "1", ROOT_B64),
            CheckpointError::ControlCharacter { line: 1 },
        ),
        (with("o", "007", ROOT_B64), CheckpointError::InvalidSize),
        (with("o", "+7", ROOT_B64), CheckpointError::InvalidSize),
        (with("o", "-1", ROOT_B64), CheckpointError::InvalidSize),
        (with("o", " 7", ROOT_B64), CheckpointError::InvalidSize),
        (
            with("o", "18446744073709551616", ROOT_B64),
            CheckpointError::InvalidSize,
        ),
        (with("o", "1", short_root), CheckpointError::InvalidRoot),
        (with("o", "1", loose_bits), CheckpointError::InvalidRoot),
        (
            with("o", "1", ROOT_B64.trim_end_matches('=')),
            CheckpointError::InvalidRoot,
        ),
        (with("o", "1", "not base64!"), CheckpointError::InvalidRoot),
    ];
    for (text, expected) in cases {
        assert_eq!(Checkpoint::parse_body(&text), Err(expected), "{text:?}");
    }
}

#[test]
fn new_rejects_unsuitable_origins() {
    for origin in ["", "a b", "a+b", "a\nb", "a\u{85}b"] {
        assert_eq!(
            Checkpoint::new(origin, 0, [0; 32]),
            Err(CheckpointError::InvalidOrigin),
            "{origin:?}"
        );
    }
}
