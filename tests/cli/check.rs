//! `check`: what it prints, in what order, and its exit codes.

use super::show::{change_words_in_the_log, seed_behind_an_anchor};
use super::Store;
use serde_json::Value;

/// The summary line: (findings, inconsistent).
fn summary(stdout: &str) -> (usize, usize) {
    let last = stdout.lines().last().unwrap_or_default();
    let words: Vec<&str> = last.split_whitespace().collect();
    assert_eq!(words.get(1), Some(&"finding(s):"), "{stdout}");
    (words[0].parse().unwrap(), words[2].parse().unwrap())
}

/// `[tag] relation: subject` of each finding the text names.
fn headings(stdout: &str) -> Vec<(String, String, String)> {
    stdout
        .lines()
        .filter_map(|l| {
            let (tag, rest) = l.strip_prefix('[')?.split_once("] ")?;
            let (relation, subject) = rest.split_once(": ")?;
            Some((tag.to_string(), relation.to_string(), subject.to_string()))
        })
        .collect()
}

/// The text, `--json` and `--problems-only` list the same findings in the
/// same order (most severe first), and the exit code says whether any is
/// inconsistent. The seed articles and 100 generated claims give both
/// kinds, and more findings than the sort holds in memory in a test build.
#[test]
fn check_lists_the_same_findings_as_text_json_and_problems_only() {
    let s = seed_behind_an_anchor();
    let text = s.run(["check"]);
    let (found, bad) = summary(&text.stdout);
    assert!(found > 10 && bad > 0, "{}", text.stdout);
    assert_eq!(text.code, Some(1), "{text:#?}");
    let heads = headings(&text.stdout);
    assert_eq!(heads.len(), found);
    let rank = |tag: &str| match tag {
        "INCONSISTENT" => 0,
        "info" => 1,
        "ok" => 2,
        other => panic!("unknown tag {other}"),
    };
    let ranks: Vec<u8> = heads.iter().map(|h| rank(&h.0)).collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
    assert_eq!(ranks.iter().filter(|r| **r == 0).count(), bad);

    let json = s.run(["check", "--json"]);
    assert_eq!(json.code, Some(1), "{json:#?}");
    let list: Value = serde_json::from_str(&json.stdout).unwrap();
    let list = list.as_array().unwrap();
    let from_json: Vec<(String, String)> = list
        .iter()
        .map(|f| {
            (
                f["relation"].as_str().unwrap().to_string(),
                f["subject"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let from_text: Vec<(String, String)> =
        heads.iter().map(|h| (h.1.clone(), h.2.clone())).collect();
    assert_eq!(from_json, from_text);
    // Every claim a finding names comes with its quote, read from the log.
    assert!(list
        .iter()
        .flat_map(|f| f["claims"].as_array().unwrap())
        .all(|c| !c["quote"].as_str().unwrap().is_empty()));

    let problems = s.run(["check", "--problems-only"]);
    assert_eq!(problems.code, Some(1));
    assert_eq!(summary(&problems.stdout), (found, bad));
    let bad_heads: Vec<_> = heads.iter().filter(|h| h.0 == "INCONSISTENT").collect();
    assert_eq!(
        headings(&problems.stdout).iter().collect::<Vec<_>>(),
        bad_heads
    );
}

#[test]
fn check_of_an_empty_store_finds_nothing_and_exits_0() {
    let s = Store::fresh();
    let r = s.run(["check"]);
    assert_eq!(r.code, Some(0), "{r:#?}");
    assert_eq!(summary(&r.stdout), (0, 0));
    let j = s.run(["check", "--json"]);
    assert_eq!(j.code, Some(0), "{j:#?}");
    assert_eq!(
        serde_json::from_str::<Value>(&j.stdout).unwrap(),
        Value::Array(vec![])
    );
}

/// A finding's quotes are read from the log, where the claim's hash pins
/// them: words changed there stop `check` with exit 1 and a pointer to
/// `verify`, and the changed words are never printed.
#[test]
fn check_refuses_a_claim_whose_words_were_changed_in_the_log() {
    let s = seed_behind_an_anchor();
    change_words_in_the_log(&s);
    for args in [vec!["check"], vec!["check", "--json"]] {
        let r = s.run(&args);
        assert_eq!(r.code, Some(1), "{args:?}: {r:#?}");
        assert!(
            r.stderr.contains("claimlog verify"),
            "{args:?}: {}",
            r.stderr
        );
        assert!(!r.stdout.contains("Russia  has reported"), "{}", r.stdout);
        assert!(!r.stdout.contains("finding(s):"), "{}", r.stdout);
    }
}

/// Regression: a reader that stops early (`check | head`) ends `check` by
/// SIGPIPE, so no destructor runs; the findings it had sorted on disk (a
/// test build spills past 3) must not stay behind in the temp directory.
/// 1500 generated claims give about 2.5 MB of findings, far more than a
/// pipe buffers, so `check` is still printing when its reader goes.
#[test]
fn check_stopped_by_its_reader_leaves_no_temporary_files() {
    let s = Store::fresh();
    s.import_generated(1500, 7);
    let tmp = tempfile::tempdir().unwrap();
    s.stopped_by_its_reader(&["check"], tmp.path());
    let left: Vec<_> = walk(tmp.path());
    assert!(left.is_empty(), "left behind: {left:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
