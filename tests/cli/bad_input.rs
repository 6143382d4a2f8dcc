//! Bad input, from flags and from import lines. Every case must exit 2, say
//! which line (for import), which field and why, and leave the head unchanged.

use crate::{claim_add, claim_id, claim_line, Store};
use serde_json::json;
use std::io::{Seek, SeekFrom, Write};

/// `claim add` with the given flag overrides is refused with every needle
/// (and, per `Store::rejects`, exit 2 and the head unchanged).
fn refuse_flags(s: &Store, overrides: &[(&str, Option<&str>)], needles: &[&str]) {
    s.rejects(claim_add(overrides), needles);
}

/// An import file whose line 1 is a good claim and line 2 is `bad` is
/// refused as a whole: stderr names line 2, then each needle.
fn refuse_line(s: &Store, bad: &str, needles: &[&str]) {
    let f = s.file("in.jsonl", format!("{}\n{bad}\n", claim_line(json!({}))));
    let err = s.rejects(
        ["import", f.to_str().unwrap()],
        &[
            "in.jsonl: line 2: ",
            "1 bad line(s) in",
            "nothing was appended",
        ],
    );
    let line2 = err
        .lines()
        .find(|l| l.contains("line 2: "))
        .expect("a message for line 2");
    for n in needles {
        assert!(line2.contains(n), "line 2 message lacks {n:?}: {line2}");
    }
    assert!(!err.contains("line 1:"), "line 1 is fine: {err}");
    assert!(
        s.all_claims().is_empty(),
        "the good line 1 must not be appended"
    );
}

// ---- unknown source -------------------------------------------------------

#[test]
fn claim_add_with_an_unknown_source_is_refused() {
    let s = Store::with_source();
    refuse_flags(
        &s,
        &[("--source", Some("nobody"))],
        &["--source: source \"nobody\" is not registered"],
    );
}

#[test]
fn claim_add_citing_an_unknown_source_is_refused() {
    let s = Store::with_source();
    refuse_flags(
        &s,
        &[("--cites", Some("nobody"))],
        &["--cites: source \"nobody\" is not registered"],
    );
}

#[test]
fn import_line_with_an_unknown_source_is_refused() {
    let s = Store::with_source();
    refuse_line(
        &s,
        &claim_line(json!({"source": "nobody"})),
        &["source: source \"nobody\" is not registered"],
    );
}

// ---- metric format --------------------------------------------------------

#[test]
fn claim_add_with_a_malformed_metric_is_refused() {
    let s = Store::with_source();
    refuse_flags(
        &s,
        &[("--metric", Some("People-Returned"))],
        &[
            "--metric: slug \"People-Returned\" is not a valid slug",
            "'_'",
        ],
    );
    refuse_flags(
        &s,
        &[("--metric", Some("people__returned"))],
        &["--metric", "not a valid slug"],
    );
}

#[test]
fn import_line_with_a_malformed_metric_is_refused() {
    let s = Store::with_source();
    refuse_line(
        &s,
        &claim_line(json!({"metric": "People-Returned"})),
        &["metric: slug \"People-Returned\" is not a valid slug"],
    );
}

// ---- counts ---------------------------------------------------------------

#[test]
fn claim_add_with_a_negative_count_outside_a_change_is_refused() {
    let s = Store::with_source();
    refuse_flags(
        &s,
        &[("--exact", Some("-5"))],
        &[
            "quantity: count -5 is negative",
            "only a scope of kind \"change\"",
        ],
    );
    refuse_flags(
        &s,
        &[("--exact", None), ("--range", Some("-5..3"))],
        &["count -5 is negative"],
    );
}

#[test]
fn import_line_with_a_negative_count_outside_a_change_is_refused() {
    let s = Store::with_source();
    refuse_line(
        &s,
        &claim_line(json!({"quantity": {"at_least": -3}})),
        &["quantity: count -3 is negative"],
    );
}

#[test]
fn claim_add_with_a_non_integer_count_is_refused() {
    let s = Store::with_source();
    refuse_flags(
        &s,
        &[("--exact", Some("1.5"))],
        &["invalid value '1.5' for '--exact <EXACT>'"],
    );
    refuse_flags(
        &s,
        &[("--exact", None), ("--range", Some("1.5..3"))],
        &["--range: \"1.5\" is not an integer"],
    );
}

#[test]
fn import_line_with_a_non_integer_count_is_refused() {
    let s = Store::with_source();
    refuse_line(
        &s,
        &claim_line(json!({"quantity": {"exact": 1.5}})),
        &["quantity.exact: invalid type: floating point `1.5`, expected i64"],
    );
    refuse_line(
        &s,
        &claim_line(json!({"quantity": {"exact": "12"}})),
        &["quantity.exact: invalid type: string"],
    );
}

#[test]
fn claim_add_with_a_range_whose_low_exceeds_high_is_refused() {
    let s = Store::with_source();
    refuse_flags(
        &s,
        &[("--exact", None), ("--range", Some("10..5"))],
        &["quantity.range: low (10) is greater than high (5)"],
    );
    refuse_flags(
        &s,
        &[("--exact", None), ("--range", Some("10-5"))],
        &["--range \"10-5\": expected LOW..HIGH"],
    );
}

#[test]
fn import_line_with_a_range_whose_low_exceeds_high_is_refused() {
    let s = Store::with_source();
    refuse_line(
        &s,
        &claim_line(json!({"quantity": {"range": {"low": 9, "high": 2}}})),
        &["quantity.range: low (9) is greater than high (2)"],
    );
}

#[test]
fn claim_add_with_two_quantities_is_refused() {
    let s = Store::with_source();
    refuse_flags(
        &s,
        &[("--approx", Some("6"))],
        &["--exact", "--approx", "cannot be used with"],
    );
}

// ---- dates and periods ----------------------------------------------------

#[test]
fn claim_add_with_a_malformed_date_is_refused() {
    let s = Store::with_source();
    refuse_flags(
        &s,
        &[("--date", Some("2024-3-01"))],
        &["--date: invalid date \"2024-3-01\": expected YYYY-MM-DD, YYYY-MM, YYYY or \"unknown\""],
    );
    refuse_flags(
        &s,
        &[("--published", Some("01/03/2024"))],
        &["--published: invalid date \"01/03/2024\""],
    );
}

#[test]
fn claim_add_with_an_impossible_date_is_refused() {
    let s = Store::with_source();
    refuse_flags(
        &s,
        &[("--date", Some("2024-02-30"))],
        &["--date: invalid date \"2024-02-30\": day 30 does not exist in February 2024 (it has 29 days)"],
    );
    refuse_flags(
        &s,
        &[("--published", Some("2025-02-29"))],
        &[
            "--published: invalid date \"2025-02-29\"",
            "(it has 28 days)",
        ],
    );
    refuse_flags(
        &s,
        &[
            ("--scope", Some("cumulative")),
            ("--date", None),
            ("--since", Some("2022-13")),
            ("--as-of", Some("unknown")),
        ],
        &["--since: invalid date \"2022-13\": month 13 is outside 1..=12"],
    );
}

#[test]
fn import_line_with_a_malformed_or_impossible_date_is_refused() {
    let s = Store::with_source();
    refuse_line(
        &s,
        &claim_line(json!({"published": "2024-3-1"})),
        &["published: invalid date \"2024-3-1\""],
    );
    refuse_line(
        &s,
        &claim_line(json!({"published": "2024-02-30"})),
        &["published: invalid date \"2024-02-30\": day 30 does not exist in February 2024"],
    );
    // Inside the scope the message names the scope and the bad value.
    refuse_line(
        &s,
        &claim_line(json!({"scope": {"kind": "event", "date": "2024-02-30"}})),
        &["scope: invalid date \"2024-02-30\""],
    );
}

#[test]
fn claim_add_with_a_period_that_ends_before_it_starts_is_refused() {
    let s = Store::with_source();
    refuse_flags(
        &s,
        &[
            ("--scope", Some("period")),
            ("--date", None),
            ("--period", Some("2024-05-01..2024-01-01")),
        ],
        &["--period: period starts (2024-05-01) after it ends (2024-01-01)"],
    );
    refuse_flags(
        &s,
        &[
            ("--scope", Some("change")),
            ("--date", None),
            ("--period", Some("2024")),
            ("--baseline", Some("2023-12-31..2023-01-01")),
        ],
        &["--baseline: period starts (2023-12-31) after it ends (2023-01-01)"],
    );
}

#[test]
fn import_line_with_a_period_that_ends_before_it_starts_is_refused() {
    let s = Store::with_source();
    refuse_line(
        &s,
        &claim_line(json!({"scope": {"kind": "period", "from": "2024-05-01", "to": "2024-01-01"}})),
        &["scope: period starts (2024-05-01) after it ends (2024-01-01)"],
    );
    refuse_line(
        &s,
        &claim_line(
            json!({"quantity": {"exact": -1}, "scope": {"kind": "change",
            "period": {"from": "2024-05-01", "to": "2024-01-01"},
            "baseline": {"from": "2023-01-01", "to": "2023-12-31"}}}),
        ),
        &["scope.period: period starts (2024-05-01) after it ends (2024-01-01)"],
    );
}

#[test]
fn claim_add_with_missing_scope_fields_is_refused() {
    let s = Store::with_source();
    refuse_flags(
        &s,
        &[("--date", None)],
        &["--date is required for an event scope"],
    );
    refuse_flags(
        &s,
        &[
            ("--scope", Some("change")),
            ("--date", None),
            ("--period", Some("2024")),
        ],
        &["--baseline is required for a change scope"],
    );
    refuse_flags(
        &s,
        &[("--scope", Some("weekly"))],
        &["--scope \"weekly\": expected event, period, cumulative or change"],
    );
    refuse_flags(&s, &[("--quote", None)], &["--quote is required"]);
}

// ---- quote ----------------------------------------------------------------

#[test]
fn claim_add_with_an_empty_or_blank_quote_is_refused() {
    let s = Store::with_source();
    refuse_flags(
        &s,
        &[("--quote", Some(""))],
        &["--quote: text must not be empty"],
    );
    refuse_flags(
        &s,
        &[("--quote", Some(" \t  "))],
        &["--quote: text must not be empty"],
    );
}

#[test]
fn import_line_with_an_empty_or_blank_quote_is_refused() {
    let s = Store::with_source();
    refuse_line(
        &s,
        &claim_line(json!({"quote": ""})),
        &["quote: text must not be empty"],
    );
    refuse_line(
        &s,
        &claim_line(json!({"quote": "  \n "})),
        &["quote: text must not be empty"],
    );
}

// ---- URLs -----------------------------------------------------------------

#[test]
fn claim_add_with_a_url_that_is_not_http_is_refused() {
    let s = Store::with_source();
    for url in [
        "ftp://example.org/a",
        "javascript:alert(1)",
        "https://",
        "example.org",
    ] {
        refuse_flags(
            &s,
            &[("--url", Some(url))],
            &[&format!(
                "--url: URL {url:?} must start with http:// or https:// and have a host"
            )],
        );
    }
}

#[test]
fn import_line_with_a_url_that_is_not_http_is_refused() {
    let s = Store::with_source();
    refuse_line(
        &s,
        &claim_line(json!({"url": "ftp://example.org/a"})),
        &["url: URL \"ftp://example.org/a\" must start with http:// or https://"],
    );
    refuse_line(
        &s,
        &claim_line(json!({"url": "javascript:alert(1)"})),
        &["url: URL \"javascript:alert(1)\""],
    );
}

#[test]
fn source_add_with_a_homepage_that_is_not_http_is_refused() {
    let s = Store::fresh();
    s.rejects(
        [
            "source",
            "add",
            "x",
            "--name",
            "X",
            "--kind",
            "media",
            "--homepage",
            "ftp://x.org",
        ],
        &["--homepage: URL \"ftp://x.org\" must start with http:// or https://"],
    );
}

// ---- unknown fields and types ---------------------------------------------

#[test]
fn import_line_with_an_unknown_field_is_refused() {
    let s = Store::with_source();
    refuse_line(
        &s,
        &claim_line(json!({"sauce": "x"})),
        &["unknown field `sauce`", "expected one of `metric`"],
    );
    refuse_line(
        &s,
        &claim_line(json!({"scope": {"kind": "event", "date": "2024-03-01", "day": 1}})),
        &["scope: unknown field `day`"],
    );
    refuse_line(
        &s,
        &json!({"type": "source", "id": "x", "name": "X", "kind": "media", "url": "https://x.org"})
            .to_string(),
        &["unknown field `url`", "`homepage`"],
    );
    refuse_line(
        &s,
        &json!({"type": "retract", "line": 1, "reason": "r", "why": "?"}).to_string(),
        &["unknown field `why`"],
    );
    refuse_line(
        &s,
        &claim_line(json!({"quantity": {"exakt": 5}})),
        &["quantity: unknown variant `exakt`"],
    );
}

#[test]
fn import_line_of_an_unknown_type_or_not_an_object_is_refused() {
    let s = Store::with_source();
    refuse_line(
        &s,
        &json!({"type": "claims"}).to_string(),
        &["type: unknown type \"claims\""],
    );
    refuse_line(&s, &json!({"metric": "x"}).to_string(), &["type: missing"]);
    refuse_line(&s, "[1, 2]", &["a line must be a JSON object"]);
    refuse_line(&s, "{\"type\": \"claim\",", &["not valid JSON"]);
}

// ---- duplicate sources ----------------------------------------------------

#[test]
fn source_add_twice_is_refused() {
    let s = Store::with_source();
    s.rejects(
        [
            "source",
            "add",
            "test-outlet",
            "--name",
            "Test Outlet",
            "--kind",
            "media",
        ],
        &["source \"test-outlet\" is already registered (seq 1); sources cannot be edited"],
    );
}

#[test]
fn import_line_registering_an_existing_source_differently_is_refused() {
    let s = Store::with_source();
    refuse_line(
        &s,
        &json!({"type": "source", "id": "test-outlet", "name": "Another Outlet", "kind": "ngo"})
            .to_string(),
        &[
            "id: source \"test-outlet\" is already registered with different fields",
            "cannot be edited",
        ],
    );
}

#[test]
fn import_registering_one_source_twice_differently_in_one_file_is_refused() {
    let s = Store::fresh();
    let a = json!({"type": "source", "id": "dup", "name": "First", "kind": "media"});
    let b = json!({"type": "source", "id": "dup", "name": "Second", "kind": "media"});
    let f = s.file("dup.jsonl", format!("{a}\n{b}\n"));
    s.rejects(
        ["import", f.to_str().unwrap()],
        &["line 2: id: source \"dup\" is already registered with different fields (name \"First\""],
    );
    assert_eq!(s.ok(["sources"]), "");
}

// ---- over-long fields -----------------------------------------------------

#[test]
fn claim_add_with_over_long_fields_is_refused() {
    let s = Store::with_source();
    let quote = "q".repeat(4001);
    refuse_flags(
        &s,
        &[("--quote", Some(&quote))],
        &["--quote: text is 4001 characters long; the limit is 4000"],
    );
    let name = "n".repeat(201);
    refuse_flags(
        &s,
        &[("--speaker", Some(&name))],
        &["--speaker: name is 201 characters long; the limit is 200"],
    );
    refuse_flags(
        &s,
        &[("--label", Some(&name))],
        &["--label: name is 201 characters long; the limit is 200"],
    );
    let slug = "m".repeat(65);
    refuse_flags(
        &s,
        &[("--metric", Some(&slug))],
        &["--metric: slug is 65 characters long; the limit is 64"],
    );
    // At the limits, all is well.
    s.ok(claim_add(&[
        ("--quote", Some(&"q".repeat(4000))),
        ("--speaker", Some(&"n".repeat(200))),
        ("--metric", Some(&"m".repeat(64))),
    ]));
}

#[test]
fn source_add_with_over_long_fields_is_refused() {
    let s = Store::fresh();
    s.rejects(
        [
            "source",
            "add",
            "x",
            "--name",
            &"n".repeat(201),
            "--kind",
            "media",
        ],
        &["--name: name is 201 characters long; the limit is 200"],
    );
    s.rejects(
        [
            "source",
            "add",
            &"s".repeat(65),
            "--name",
            "X",
            "--kind",
            "media",
        ],
        &["ID: source id is 65 characters long; the limit is 64"],
    );
    s.rejects(
        ["source", "add", "Bad_Id", "--name", "X", "--kind", "media"],
        &["ID: source id \"Bad_Id\" is not a valid slug"],
    );
    s.rejects(
        ["source", "add", "x", "--name", "X", "--kind", "blog"],
        &["--kind: unknown variant `blog`", "`official`"],
    );
}

#[test]
fn import_lines_with_over_long_fields_are_refused() {
    let s = Store::with_source();
    refuse_line(
        &s,
        &claim_line(json!({"quote": "q".repeat(4001)})),
        &["quote: text is 4001 characters long; the limit is 4000"],
    );
    refuse_line(
        &s,
        &claim_line(json!({"note": "n".repeat(4001)})),
        &["note: text is 4001 characters long"],
    );
    refuse_line(
        &s,
        &json!({"type": "source", "id": "x", "name": "n".repeat(201), "kind": "media"}).to_string(),
        &["name: name is 201 characters long; the limit is 200"],
    );
    refuse_line(
        &s,
        &json!({"type": "source", "id": "s".repeat(65), "name": "X", "kind": "media"}).to_string(),
        &["id: source id is 65 characters long; the limit is 64"],
    );
    refuse_line(
        &s,
        &claim_line(json!({"metric": "m".repeat(65)})),
        &["metric: slug is 65 characters long; the limit is 64"],
    );
}

// ---- file-level problems --------------------------------------------------

#[test]
fn import_line_that_is_not_utf8_is_refused() {
    let s = Store::with_source();
    let mut bytes = format!("{}\n", claim_line(json!({}))).into_bytes();
    bytes.extend_from_slice(
        b"{\"type\":\"source\",\"id\":\"x\",\"name\":\"caf\xe9\",\"kind\":\"media\"}\n",
    );
    let f = s.file("latin1.jsonl", bytes);
    s.rejects(
        ["import", f.to_str().unwrap()],
        &[
            "latin1.jsonl: line 2: not valid UTF-8 (first bad byte at byte 38)",
            "nothing was appended",
        ],
    );
    assert!(s.all_claims().is_empty());
}

#[test]
fn importing_an_empty_file_is_refused() {
    let s = Store::fresh();
    let f = s.file("empty.jsonl", "");
    s.rejects(
        ["import", f.to_str().unwrap()],
        &["empty.jsonl: no records to import (the input is empty or blank); nothing was appended"],
    );
    let r = s.run_stdin(["import", "-"], "");
    assert_eq!(r.code, Some(2));
    assert!(
        r.stderr.contains("<stdin>: no records to import"),
        "{}",
        r.stderr
    );
}

#[test]
fn importing_a_file_of_blank_lines_is_refused() {
    let s = Store::fresh();
    let f = s.file("blank.jsonl", "\n   \n\t\n\r\n");
    s.rejects(
        ["import", f.to_str().unwrap()],
        &["blank.jsonl: no records to import"],
    );
}

#[test]
fn importing_a_100_mb_line_fails_fast_with_the_line_limit() {
    let s = Store::with_source();
    let path = s.tmp().join("huge.jsonl");
    {
        // A sparse file: one 100 MB line, then a good one.
        let mut f = std::fs::File::create(&path).unwrap();
        f.write_all(br#"{"type":"source","id":"big","name":""#)
            .unwrap();
        f.set_len(100 * 1024 * 1024).unwrap();
        f.seek(SeekFrom::End(0)).unwrap();
        writeln!(f, "\",\"kind\":\"media\"}}\n{}", claim_line(json!({}))).unwrap();
    }
    let start = std::time::Instant::now();
    let err = s.rejects(
        ["import", path.to_str().unwrap()],
        &[
            "huge.jsonl: line 1: line is longer than the limit of 1048576 bytes",
            "1 bad line(s)",
        ],
    );
    assert!(!err.contains("line 2:"), "{err}");
    assert!(start.elapsed().as_secs() < 60, "took {:?}", start.elapsed());
    assert!(s.all_claims().is_empty());
}

#[test]
fn import_reports_every_bad_line_and_appends_none_of_the_good_ones() {
    let s = Store::with_source();
    let lines = [
        claim_line(json!({})),                           // 1 ok
        claim_line(json!({"source": "nobody"})),         // 2 bad
        claim_line(json!({"quantity": {"exact": 6}})),   // 3 ok
        claim_line(json!({"published": "2024-02-30"})),  // 4 bad
        String::new(),                                   // 5 blank
        claim_line(json!({"quantity": {"exact": 1.5}})), // 6 bad
        json!({"type": "source", "id": "ok-too", "name": "OK", "kind": "ngo"}).to_string(), // 7 ok
        json!({"type": "retract", "line": 5, "reason": "r"}).to_string(), // 8 bad: not a claim
    ];
    let f = s.file("many.jsonl", lines.join("\n") + "\n");
    let err = s.rejects(
        ["import", f.to_str().unwrap()],
        &[
            "many.jsonl: line 2: source: source \"nobody\" is not registered",
            "many.jsonl: line 4: published: invalid date \"2024-02-30\"",
            "many.jsonl: line 6: quantity.exact: invalid type: floating point",
            "many.jsonl: line 8: line: line 5 is not a claim earlier in this input",
            "4 bad line(s) in",
            "nothing was appended",
        ],
    );
    for ok in ["line 1:", "line 3:", "line 5:", "line 7:"] {
        assert!(
            !err.contains(&format!("many.jsonl: {ok}")),
            "{ok} is fine: {err}"
        );
    }
    assert!(s.all_claims().is_empty());
    assert_eq!(s.ok(["sources"]).lines().count(), 1);
}

#[test]
fn bad_lines_on_stdin_are_reported_against_stdin() {
    let s = Store::with_source();
    let before = s.head();
    let input = format!(
        "{}\n{}\n",
        claim_line(json!({})),
        claim_line(json!({"quote": " "}))
    );
    let r = s.run_stdin(["import", "-"], input);
    assert_eq!(r.code, Some(2));
    assert!(
        r.stderr
            .contains("<stdin>: line 2: quote: text must not be empty"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("1 bad line(s) in <stdin>; nothing was appended"),
        "{}",
        r.stderr
    );
    assert_eq!(s.head(), before);
}

// ---- retract and correct --------------------------------------------------

#[test]
fn retract_of_an_unknown_claim_is_refused() {
    let s = Store::with_source();
    s.rejects(
        ["retract", "0000aaaa", "--reason", "r"],
        &["no claim has an id starting with 0000aaaa"],
    );
    s.rejects(
        ["retract", &"a".repeat(64), "--reason", "r"],
        &["no claim has an id starting with"],
    );
}

#[test]
fn retract_twice_is_refused() {
    let s = Store::seeded();
    let id = claim_id(&s, "exchanges", "rubryka", 50);
    s.ok(["retract", &id, "--reason", "first"]);
    s.rejects(
        ["retract", &id, "--reason", "second"],
        &["no longer active (already retracted or corrected)"],
    );
    s.rejects(
        [
            "correct",
            &id,
            "--exact",
            "51",
            "--reason",
            "after retraction",
        ],
        &["no longer active"],
    );
}

#[test]
fn import_retracting_a_claim_twice_is_refused() {
    let s = Store::with_source();
    let lines = [
        claim_line(json!({})),
        json!({"type": "retract", "line": 1, "reason": "a"}).to_string(),
        json!({"type": "retract", "line": 1, "reason": "b"}).to_string(),
    ];
    let f = s.file("twice.jsonl", lines.join("\n"));
    s.rejects(
        ["import", f.to_str().unwrap()],
        &["line 3: the claim is no longer active"],
    );
}

#[test]
fn a_too_short_or_non_hex_claim_id_is_refused() {
    let s = Store::with_source();
    for bad in ["abc", "", "zzzz", "12 4"] {
        s.rejects(
            ["retract", bad, "--reason", "r"],
            &["must be 4 to 64 hex digits"],
        );
    }
    s.rejects(
        ["correct", "ab", "--exact", "1", "--reason", "r"],
        &["must be 4 to 64 hex digits"],
    );
    refuse_line(
        &s,
        &json!({"type": "retract", "claim": "ab", "reason": "r"}).to_string(),
        &["claim: claim id \"ab\" must be 4 to 64 hex digits"],
    );
    refuse_line(
        &s,
        &json!({"type": "retract", "claim": "abcd", "line": 1, "reason": "r"}).to_string(),
        &["give exactly one of \"claim\""],
    );
}

#[test]
fn an_ambiguous_claim_id_prefix_is_refused() {
    // With 2,000 claims, some two ids share their first 4 hex digits.
    let s = Store::with_source();
    let lines: Vec<String> = (0..2000)
        .map(|n| claim_line(json!({"quantity": {"exact": n}})))
        .collect();
    let f = s.file("many.jsonl", lines.join("\n"));
    let out = s.json(["import", f.to_str().unwrap()]);
    let ids: Vec<&str> = out["claim_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2000);
    let mut prefixes: Vec<&str> = ids.iter().map(|id| &id[..4]).collect();
    prefixes.sort_unstable();
    let shared = prefixes
        .windows(2)
        .find(|w| w[0] == w[1])
        .map(|w| w[0])
        .expect("two of 2,000 ids share a 4-digit prefix");
    for args in [
        vec!["retract", shared, "--reason", "r"],
        vec!["show", shared],
        vec!["correct", shared, "--exact", "1", "--reason", "r"],
    ] {
        s.rejects(
            &args,
            &[&format!(
                "claim id prefix {shared} is ambiguous; give more digits"
            )],
        );
    }
}

#[test]
fn a_correction_that_changes_nothing_is_refused() {
    let s = Store::seeded();
    let id = claim_id(&s, "exchanges", "kyiv-independent", 11);
    s.rejects(
        ["correct", &id, "--reason", "no flags"],
        &["the correction changes nothing: give the fields to change"],
    );
    s.rejects(
        [
            "correct",
            &id,
            "--exact",
            "11",
            "--source",
            "kyiv-independent",
            "--reason",
            "same values",
        ],
        &["the correction changes nothing"],
    );
}

#[test]
fn a_correction_to_an_invalid_claim_is_refused() {
    let s = Store::seeded();
    let id = claim_id(&s, "exchanges", "kyiv-independent", 11);
    s.rejects(
        ["correct", &id, "--exact", "-1", "--reason", "r"],
        &["quantity: count -1 is negative"],
    );
    s.rejects(
        ["correct", &id, "--source", "nobody", "--reason", "r"],
        &["--source: source \"nobody\" is not registered"],
    );
    s.rejects(
        ["correct", &id, "--date", "2024-02-30", "--reason", "r"],
        &["--date: invalid date \"2024-02-30\""],
    );
}

#[test]
fn claim_add_with_a_non_utf8_argument_is_refused() {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    let s = Store::with_source();
    let mut args: Vec<OsString> = claim_add(&[("--quote", None)])
        .into_iter()
        .map(OsString::from)
        .collect();
    args.push("--quote".into());
    args.push(OsString::from_vec(b"caf\xe9".to_vec()));
    s.rejects(args, &["invalid UTF-8"]);
}
