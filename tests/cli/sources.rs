//! source add, sources.

use crate::Store;

#[test]
fn source_add_registers_each_kind_and_sources_lists_them_sorted_by_id() {
    let s = Store::fresh();
    for (id, kind) in [
        ("zeta-office", "official"),
        ("alpha-news", "media"),
        ("mid-ngo", "ngo"),
        ("blog-2", "other"),
    ] {
        let out = s.ok(["source", "add", id, "--name", "Some Name", "--kind", kind]);
        assert!(
            out.starts_with(&format!("registered source {id} at seq ")),
            "{out}"
        );
    }
    let list = s.ok(["sources"]);
    let ids: Vec<&str> = list
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(ids, ["alpha-news", "blog-2", "mid-ngo", "zeta-office"]);
    assert!(list.contains("official"), "{list}");
    assert!(list.contains("ngo"), "{list}");
}

#[test]
fn source_add_keeps_the_homepage_and_shows_it() {
    let s = Store::fresh();
    let out = s.ok([
        "source",
        "add",
        "kyiv-independent",
        "--name",
        "The Kyiv Independent",
        "--kind",
        "media",
        "--homepage",
        "https://kyivindependent.com",
    ]);
    assert_eq!(out.trim(), "registered source kyiv-independent at seq 1");
    let list = s.ok(["sources"]);
    assert!(
        list.contains("The Kyiv Independent <https://kyivindependent.com>"),
        "{list}"
    );
    let j = s.json(["sources"]);
    assert_eq!(j[0]["seq"], 1);
    assert_eq!(j[0]["source"]["id"], "kyiv-independent");
    assert_eq!(j[0]["source"]["kind"], "media");
    assert_eq!(j[0]["source"]["homepage"], "https://kyivindependent.com");
}

#[test]
fn sources_lists_the_nine_seed_sources() {
    let s = Store::seeded();
    let j = s.json(["sources"]);
    let ids: Vec<&str> = j
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 9);
    for id in [
        "coordination-hq",
        "hur",
        "rubryka",
        "ukrinform",
        "ombudsman",
    ] {
        assert!(ids.contains(&id), "{ids:?}");
    }
}
