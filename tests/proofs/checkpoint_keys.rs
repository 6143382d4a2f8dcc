//! Key formats and signatures against the published example of Go's
//! golang.org/x/mod/sumdb/note package documentation.

use claimlog::checkpoint::{key_id, open_note, sign_note, KeyError, NoteError, Signer, Verifier};

const GO_VERIFIER_KEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const GO_SIGNER_KEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const GO_TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                       then you don't know what your problem is.\n";
const GO_NOTE: &str = "If you think cryptography is the answer to your problem,\n\
    then you don't know what your problem is.\n\
    \n\
    \u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

#[test]
fn go_published_note_verifies() {
    let verifier = Verifier::from_verifier_key_string(GO_VERIFIER_KEY).unwrap();
    assert_eq!(verifier.name(), "PeterNeumann");
    assert_eq!(verifier.key_id(), 0xc74f20a3);
    assert_eq!(verifier.verifier_key_string(), GO_VERIFIER_KEY);
    let (text, names) = open_note(GO_NOTE.as_bytes(), &[verifier]).unwrap();
    assert_eq!(text, GO_TEXT);
    assert_eq!(names, ["PeterNeumann"]);
}

#[test]
fn go_published_signer_key_reproduces_the_note() {
    let signer = Signer::from_private_key_string(GO_SIGNER_KEY).unwrap();
    assert_eq!(signer.private_key_string(), GO_SIGNER_KEY);
    assert_eq!(signer.verifier_key_string(), GO_VERIFIER_KEY);
    assert_eq!(sign_note(GO_TEXT, &[&signer]).unwrap(), GO_NOTE);
}

#[test]
fn key_id_binds_name_and_key() {
    let signer = Signer::generate_from_seed([9; 32], "a.example/log").unwrap();
    let verifier = signer.verifier();
    let public: [u8; 32] = {
        let text = verifier.verifier_key_string();
        let b64 = text.rsplit('+').next().unwrap().to_owned();
        let bytes = base64_decode(&b64);
        bytes[1..].try_into().unwrap()
    };
    assert_eq!(key_id("a.example/log", &public), signer.key_id());
    assert_ne!(key_id("b.example/log", &public), signer.key_id());
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

#[test]
fn rejects_bad_key_strings() {
    let cases = [
        ("", KeyError::MalformedKeyString),
        ("PeterNeumann+c74f20a3", KeyError::MalformedKeyString),
        (
            "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            KeyError::KeyIdMismatch {
                stated: 0xc74f20a4,
                computed: 0xc74f20a3,
            },
        ),
        (
            "PeterNeumann+c74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            KeyError::MalformedKeyString,
        ),
        (
            "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            KeyError::InvalidName,
        ),
        (
            "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            KeyError::InvalidName,
        ),
        (
            "PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            KeyError::UnsupportedAlgorithm { alg: 2 },
        ),
        (
            "PeterNeumann+c74f20a3+ARpc2Qc=",
            KeyError::KeyLength { got: 4 },
        ),
        (
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
            KeyError::MalformedKeyString,
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(
            Verifier::from_verifier_key_string(text),
            Err(expected),
            "{text}"
        );
    }
    // The identity point is a valid encoding but a small-order (weak) key.
    let mut weak = vec![1u8, 1];
    weak.extend_from_slice(&[0; 31]);
    let weak_key = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(&weak)
    };
    let public: [u8; 32] = weak[1..].try_into().unwrap();
    let text = format!("weak+{:08x}+{weak_key}", key_id("weak", &public));
    assert_eq!(
        Verifier::from_verifier_key_string(&text),
        Err(KeyError::InvalidPublicKey)
    );
    assert!(Signer::from_private_key_string(GO_VERIFIER_KEY).is_err());
    assert_eq!(
        Signer::generate_from_seed([1; 32], "a+b").map(|_| ()),
        Err(KeyError::InvalidName)
    );
    assert_eq!(
        Signer::generate_from_seed([1; 32], "").map(|_| ()),
        Err(KeyError::InvalidName)
    );
}

#[test]
fn signer_debug_hides_the_secret() {
    let signer = Signer::from_private_key_string(GO_SIGNER_KEY).unwrap();
    let shown = format!("{signer:?}");
    assert!(shown.contains("c74f20a3"), "{shown}");
    assert!(!shown.contains("AYEKFALV"), "{shown}");
}

#[test]
fn key_strings_round_trip() {
    let signer = Signer::generate_from_seed([0xab; 32], "example.com/claimlog").unwrap();
    let again = Signer::from_private_key_string(&signer.private_key_string()).unwrap();
    assert_eq!(again.verifier(), signer.verifier());
    let verifier = Verifier::from_verifier_key_string(&signer.verifier_key_string()).unwrap();
    assert_eq!(verifier, signer.verifier());
    let note = sign_note("hello\n", &[&again]).unwrap();
    assert!(open_note(note.as_bytes(), &[verifier]).is_ok());
    assert_eq!(sign_note("hello\n", &[]), Err(NoteError::NoSigners));
}
