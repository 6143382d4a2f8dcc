//! `keygen`: the private key file is mode 0600 and the secret is never
//! printed, nor written into anything the tool hands out.

use crate::common::*;
use claimlog::checkpoint::{Signer, Verifier};
use predicates::prelude::*;
use std::os::unix::fs::PermissionsExt;

#[test]
fn keygen_writes_the_private_key_0600_and_never_prints_it() {
    let fx = Fixture::seed();
    for (name, with_store) in [("k1", true), ("k2", false)] {
        let key = fx.path(name);
        let mut c = if with_store {
            cli_at(&fx.store)
        } else {
            cli_at(&fx.path("no-store-here"))
        };
        let a = c.arg("keygen").arg("--out").arg(&key).assert().success();
        let (out, err) = (stdout_of(&a), stderr_of(&a));
        assert!(!out.contains("PRIVATE+KEY") && !err.contains("PRIVATE+KEY"));
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name}: mode {mode:o}");
        let secret = std::fs::read_to_string(&key).unwrap();
        let signer = Signer::from_private_key_string(secret.trim()).unwrap();
        assert!(!out.contains(secret.trim()) && !err.contains(secret.trim()));
        // The public key is printed and written next to it, and matches.
        let public = std::fs::read_to_string(fx.path(&format!("{name}.pub"))).unwrap();
        assert!(!public.contains("PRIVATE"));
        let v = Verifier::from_verifier_key_string(public.trim()).unwrap();
        assert_eq!(v, signer.verifier());
        assert!(out.contains(public.trim()));
        let expected_name = if with_store { ORIGIN } else { "claimlog" };
        assert_eq!(v.name(), expected_name);
    }
}

#[test]
fn keygen_refuses_to_overwrite_an_existing_file() {
    let fx = Fixture::empty();
    let key = fx.path("existing");
    std::fs::write(&key, "do not touch").unwrap();
    cli()
        .arg("keygen")
        .arg("--out")
        .arg(&key)
        .assert()
        .code(2)
        .stdout(predicate::str::contains("PRIVATE+KEY").not())
        .stderr(predicate::str::contains("PRIVATE+KEY").not());
    assert_eq!(std::fs::read_to_string(&key).unwrap(), "do not touch");
}

#[test]
fn signing_commands_never_print_or_export_the_private_key() {
    let fx = Fixture::seed();
    let secret = std::fs::read_to_string(&fx.key).unwrap();
    let secret = secret.trim();
    let seed_b64 = secret.rsplit('+').next().unwrap();
    let snap = fx.path("snap.json");
    let proof = fx.path("p.json");
    let runs = [
        vec![
            "export".to_string(),
            "--out".into(),
            snap.display().to_string(),
        ],
        vec!["checkpoint".to_string()],
        vec![
            "prove".to_string(),
            "--seq".into(),
            "3".into(),
            "--out".into(),
            proof.display().to_string(),
        ],
    ];
    for args in runs {
        let a = cli_at(&fx.store)
            .args(&args)
            .arg("--key")
            .arg(&fx.key)
            .assert()
            .success();
        for text in [stdout_of(&a), stderr_of(&a)] {
            assert!(
                !text.contains("PRIVATE+KEY") && !text.contains(seed_b64),
                "{args:?}"
            );
        }
    }
    for file in [&snap, &proof] {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(!text.contains("PRIVATE+KEY") && !text.contains(seed_b64));
    }
}
