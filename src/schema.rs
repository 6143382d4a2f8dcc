//! The JSON Schemas in schemas/, generated from the types that cross the
//! boundary, so the files cannot drift from the code (tests/schemas.rs).

use crate::export::{ProofBundle, Snapshot};
use crate::ingest::ImportLine;

/// (file name under schemas/, pretty JSON) for every published schema.
pub fn schemas() -> Vec<(&'static str, String)> {
    let render =
        |s: schemars::Schema| serde_json::to_string_pretty(&s).expect("schemas serialize") + "\n";
    vec![
        (
            "import-line.schema.json",
            render(schemars::schema_for!(ImportLine)),
        ),
        (
            "snapshot.schema.json",
            render(schemars::schema_for!(Snapshot)),
        ),
        (
            "proof.schema.json",
            render(schemars::schema_for!(ProofBundle)),
        ),
    ]
}
