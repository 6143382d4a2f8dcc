//! Signed-note acceptance rules: what open_note must accept and reject.

use claimlog::checkpoint::{
    open_checkpoint, open_note, sign_note, Checkpoint, NoteError, OpenCheckpointError, Signer,
    MAX_NOTE_BYTES, MAX_SIGNATURES,
};

fn signer(seed: u8, name: &str) -> Signer {
    Signer::generate_from_seed([seed; 32], name).unwrap()
}

fn body() -> String {
    Checkpoint::new("example.com/claimlog", 5, [7; 32])
        .unwrap()
        .body()
}

#[test]
fn round_trip_reports_known_signers_only() {
    let (a, b, c) = (
        signer(1, "a.example"),
        signer(2, "b.example"),
        signer(3, "c.example"),
    );
    let note = sign_note(&body(), &[&a, &b, &c]).unwrap();
    let (text, names) = open_note(note.as_bytes(), &[c.verifier(), a.verifier()]).unwrap();
    assert_eq!(text, body());
    assert_eq!(names, ["a.example", "c.example"]);
}

#[test]
fn every_single_byte_change_is_rejected() {
    let key = signer(1, "example.com/claimlog");
    let note = sign_note(&body(), &[&key]).unwrap().into_bytes();
    for position in 0..note.len() {
        let mut tampered = note.clone();
        tampered[position] ^= 1 << (position % 8);
        let result = open_note(&tampered, &[key.verifier()]);
        assert!(result.is_err(), "byte {position} changed but accepted");
    }
}

#[test]
fn wrong_key_is_not_enough() {
    let (key, other) = (signer(1, "log.example"), signer(2, "log.example"));
    let note = sign_note(&body(), &[&key]).unwrap();
    assert_eq!(
        open_note(note.as_bytes(), &[other.verifier()]),
        Err(NoteError::NoKnownSignature)
    );
    assert_eq!(
        open_note(note.as_bytes(), &[]),
        Err(NoteError::NoKnownSignature)
    );
}

#[test]
fn a_bad_signature_from_a_known_key_rejects_the_note() {
    let (key, other) = (signer(1, "log.example"), signer(2, "witness.example"));
    let good = sign_note(&body(), &[&key]).unwrap();
    let forged_line = {
        // The same key id with another message's signature.
        let other_note = sign_note("something else\n", &[&key]).unwrap();
        other_note.lines().last().unwrap().to_owned()
    };
    let tampered = format!("{good}{forged_line}\n");
    assert_eq!(
        open_note(tampered.as_bytes(), &[key.verifier(), other.verifier()]),
        Err(NoteError::InvalidSignature {
            name: "log.example".into(),
            key_id: key.key_id(),
        })
    );
}

#[test]
fn rejects_malformed_notes() {
    let key = signer(1, "log.example");
    let known = [key.verifier()];
    let note = sign_note(&body(), &[&key]).unwrap();
    let sig_line = note.lines().last().unwrap().to_owned();
    let cases: Vec<(Vec<u8>, NoteError)> = vec![
        (
            note.trim_end().as_bytes().to_vec(),
            NoteError::NotNewlineTerminated,
        ),
        (
            note.replacen("\n\n", "\n", 1).into_bytes(),
            NoteError::MissingSeparator,
        ),
        (
            format!("{}\n\n", body()).into_bytes(),
            NoteError::MissingSignatures,
        ),
        (
            note.replacen("\u{2014}", "--", 1).into_bytes(),
            NoteError::MalformedSignatureLine { line: 1 },
        ),
        (
            format!("{note}\u{2014} log.example\n").into_bytes(),
            NoteError::MalformedSignatureLine { line: 2 },
        ),
        (
            format!("{note}\u{2014} log.example AAAA\n").into_bytes(),
            NoteError::MalformedSignatureLine { line: 2 },
        ),
        (
            note.replacen("example.com", "example.com\r", 1)
                .into_bytes(),
            NoteError::ControlCharacter { offset: 11 },
        ),
        (
            [b"\xff".as_slice(), note.as_bytes()].concat(),
            NoteError::NotUtf8,
        ),
        (
            format!(
                "{}\n{}\n",
                body(),
                vec![sig_line; MAX_SIGNATURES + 1].join("\n")
            )
            .into_bytes(),
            NoteError::TooManySignatures {
                max: MAX_SIGNATURES,
            },
        ),
        (
            vec![b'a'; MAX_NOTE_BYTES + 1],
            NoteError::TooLarge {
                size: MAX_NOTE_BYTES + 1,
                max: MAX_NOTE_BYTES,
            },
        ),
    ];
    for (bytes, expected) in cases {
        assert_eq!(
            open_note(&bytes, &known),
            Err(expected.clone()),
            "{expected}"
        );
    }
}

#[test]
fn sign_note_checks_its_preconditions() {
    let key = signer(1, "log.example");
    assert_eq!(sign_note("", &[&key]), Err(NoteError::EmptyText));
    assert_eq!(
        sign_note("no newline", &[&key]),
        Err(NoteError::NotNewlineTerminated)
    );
    assert_eq!(
        sign_note("tab\there\n", &[&key]),
        Err(NoteError::ControlCharacter { offset: 3 })
    );
    let huge = format!("{}\n", "a".repeat(MAX_NOTE_BYTES));
    assert!(matches!(
        sign_note(&huge, &[&key]),
        Err(NoteError::TooLarge { .. })
    ));
}

#[test]
fn open_checkpoint_checks_the_origin() {
    let key = signer(1, "example.com/claimlog");
    let note = sign_note(&body(), &[&key]).unwrap();
    let (checkpoint, names) =
        open_checkpoint(note.as_bytes(), "example.com/claimlog", &[key.verifier()]).unwrap();
    assert_eq!((checkpoint.size(), checkpoint.root()), (5, &[7; 32]));
    assert_eq!(names, ["example.com/claimlog"]);
    assert_eq!(
        open_checkpoint(note.as_bytes(), "example.com/other", &[key.verifier()]),
        Err(OpenCheckpointError::OriginMismatch {
            expected: "example.com/other".into(),
            got: "example.com/claimlog".into(),
        })
    );
    let not_a_checkpoint = sign_note("just text\n", &[&key]).unwrap();
    assert!(matches!(
        open_checkpoint(not_a_checkpoint.as_bytes(), "just text", &[key.verifier()]),
        Err(OpenCheckpointError::Body(_))
    ));
}
