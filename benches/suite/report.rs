//! `suite report FILE`: the RESULT lines of one run as markdown tables of
//! figures and ratios (claimlog vs the raw limit vs the SQLite peer), one
//! table per store size, then how the cost grows with N.

use std::collections::BTreeMap;

type Results = BTreeMap<(u64, String), f64>;

fn load(path: &str) -> Results {
    let text = std::fs::read_to_string(path).expect("results file");
    let mut m = BTreeMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() >= 4 && f[0] == "RESULT" {
            if let (Ok(n), Ok(v)) = (f[1].parse(), f[3].parse()) {
                m.insert((n, f[2].to_string()), v);
            }
        }
    }
    m
}

fn fmt(v: Option<f64>) -> String {
    match v {
        None => "—".into(),
        Some(v) if v.is_nan() => "—".into(),
        Some(v) if v >= 1000.0 => format!("{v:.0}"),
        Some(v) if v >= 10.0 => format!("{v:.1}"),
        Some(v) if v >= 0.1 => format!("{v:.2}"),
        Some(v) => format!("{v:.3}"),
    }
}

fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

fn x(v: Option<f64>) -> String {
    match v {
        Some(v) => format!("{}×", fmt(Some(v))),
        None => "—".into(),
    }
}

fn verdict(ok: Option<bool>) -> &'static str {
    match ok {
        Some(true) => "met",
        Some(false) => "MISSED",
        None => "n/a",
    }
}

pub fn run(path: &str) {
    let r = load(path);
    let ns: Vec<u64> = {
        let mut v: Vec<u64> = r.keys().map(|(n, _)| *n).collect();
        v.dedup();
        v
    };
    let big = ns.iter().copied().max().unwrap_or(0);
    for &n in &ns {
        let g = |k: &str| r.get(&(n, k.to_string())).copied();
        let claims = g("claims").unwrap_or(n as f64);
        let mb = |k: &str| g(k).map(|kb| kb / 1024.0);
        println!("### {n} claims\n");
        println!("| measure | claimlog | raw limit | claimlog / limit | SQLite peer | claimlog / peer | target | |");
        println!("| --- | --: | --: | --: | --: | --: | --- | --- |");
        let row = |name: &str,
                   c: Option<f64>,
                   l: Option<f64>,
                   p: Option<f64>,
                   target: &str,
                   ok: Option<bool>| {
            println!(
                "| {name} | {} | {} | {} | {} | {} | {target} | {} |",
                fmt(c),
                fmt(l),
                x(ratio(c, l)),
                fmt(p),
                x(ratio(c, p)),
                verdict(ok)
            );
        };
        let (ca, ra) = (g("append.claimlog"), g("append.raw"));
        row(
            &format!(
                "durable single append, appends/s ({} appends in {} rounds alternating with the limits; rounds' ratios {}–{})",
                fmt(g("append.count")),
                g("append.rounds").map_or("—".into(), |r| format!("{r:.0}")),
                x(g("append.round_ratio_min")),
                x(g("append.round_ratio_max")),
            ),
            ca,
            ra,
            g("append.sqlite"),
            "≥ 0.8× raw write+fdatasync",
            ratio(ca, ra).map(|v| v >= 0.8),
        );
        row(
            "  same, limit: write+fdatasync overwriting a pre-filled file",
            ca,
            g("append.raw_overwrite"),
            None,
            "",
            None,
        );
        let imp = g("import.wall");
        let at_big = |ok: Option<bool>| if n == big && n >= 1_000_000 { ok } else { None };
        row(
            "bulk import, s (limit: serde_json parse)",
            imp,
            g("import.parse_json"),
            g("import.sqlite"),
            "1M: ≤ 0.5× SQLite",
            at_big(ratio(imp, g("import.sqlite")).map(|v| v <= 0.5)),
        );
        row(
            "bulk import, claims/s",
            imp.map(|s| claims / s),
            g("import.parse_json").map(|s| claims / s),
            g("import.sqlite").map(|s| claims / s),
            "",
            None,
        );
        let sled = g("sled.fill");
        row(
            "  same, limit: raw sled, one entry per claim (s)",
            imp,
            sled,
            None,
            "",
            None,
        );
        let (v, raw) = (g("verify.wall"), g("verify.raw"));
        row(
            "verify (whole process), s (limit: read + blake3 chain)",
            v,
            raw,
            g("verify.sqlite"),
            "1M: ≤ 2× raw",
            at_big(ratio(v, raw).map(|v| v <= 2.0)),
        );
        let rb = g("rebuild.wall");
        row(
            "rebuild (whole process), s",
            rb,
            raw,
            None,
            "1M: < 3× raw",
            at_big(ratio(rb, raw).map(|v| v < 3.0)),
        );
        row(
            "  same, limit: raw sled, one entry per claim (s)",
            rb,
            sled,
            None,
            "",
            None,
        );
        // The floor of a rebuild that writes what this cache holds: the
        // read and chain, plus the same entries into a fresh sled tree.
        row(
            "  same, limit: read + blake3 chain, plus the cache's own entries into a fresh sled tree in load order (s)",
            rb,
            raw.zip(g("sled.load")).map(|(a, b)| a + b),
            None,
            "",
            None,
        );
        row(
            "    of which the sled load alone (s)",
            rb,
            g("sled.load"),
            None,
            "",
            None,
        );
        for (name, c, p) in [
            ("total p50, ms", "total.p50", Some("total.sqlite.p50")),
            ("total p99, ms", "total.p99", Some("total.sqlite.p99")),
            ("total for all time p50, ms", "total_all_time.p50", None),
            ("total for all time p99, ms", "total_all_time.p99", None),
            ("explain p50, ms", "explain.p50", None),
            ("explain p99, ms", "explain.p99", None),
            (
                "explain --all (every claim) p50, ms",
                "explain_all.p50",
                None,
            ),
            (
                "explain --all (every claim) p99, ms",
                "explain_all.p99",
                None,
            ),
        ] {
            let c = g(c);
            let target = if name.contains("p50") && !name.contains("--all") {
                "< 2 ms"
            } else {
                ""
            };
            let ok = if target.is_empty() {
                None
            } else {
                c.map(|v| v < 2.0)
            };
            row(name, c, None, p.and_then(g), target, ok);
        }
        row(
            "total via CLI (whole process), first after rebuild (fills the memo), ms",
            g("total_cli.wall").map(|s| s * 1e3),
            None,
            None,
            "",
            None,
        );
        row(
            "total via CLI (whole process), again, ms",
            g("total_cli_again.wall").map(|s| s * 1e3),
            None,
            None,
            "",
            None,
        );
        for (name, k) in [
            ("export snapshot (whole process), s", "export.wall"),
            ("verify-snapshot (whole process), s", "verify_snapshot.wall"),
            ("prove (whole process), s", "prove.wall"),
            ("verify-proof (whole process), s", "verify_proof.wall"),
            ("prove in-process p50, ms", "prove.p50"),
            ("verify proof in-process p50, ms", "verify_proof.p50"),
        ] {
            row(name, g(k), None, None, "", None);
        }
        for step in [
            "import",
            "verify",
            "rebuild",
            "export",
            "verify_snapshot",
            "prove",
        ] {
            let c = mb(&format!("rss.{step}"));
            let target = if step == "rebuild" || step == "prove" {
                ""
            } else {
                "< 100 MB, flat in N"
            };
            let ok = if target.is_empty() {
                None
            } else {
                c.map(|v| v < 100.0)
            };
            // Import and rebuild fill the sled cache: next to the raw sled fill.
            let limit = if step == "import" || step == "rebuild" {
                mb("rss.sled")
            } else {
                None
            };
            row(&format!("peak RSS {step}, MB"), c, limit, None, target, ok);
        }
        let store = g("disk.store").map(|b| b / claims);
        let jsonl = g("disk.jsonl").map(|b| b / claims);
        row(
            "bytes on disk per claim (limit: the JSONL input)",
            store,
            jsonl,
            g("disk.sqlite").map(|b| b / claims),
            "< 1.5× JSONL",
            ratio(store, jsonl).map(|v| v < 1.5),
        );
        row(
            "  of which log segments, bytes/claim",
            g("disk.log").map(|b| b / claims),
            jsonl,
            None,
            "",
            None,
        );
        row(
            "  of which sled cache, bytes/claim (limit: raw sled, one entry per claim)",
            g("disk.cache").map(|b| b / claims),
            g("sled.disk").map(|b| b / claims),
            None,
            "",
            None,
        );
        row(
            "  sled cache on disk, limit: its own entries loaded into a fresh sled tree, bytes/claim",
            g("disk.cache").map(|b| b / claims),
            g("sled.load_disk").map(|b| b / claims),
            None,
            "",
            None,
        );
        // What the cache hands sled: the ratio is sled's amplification.
        row(
            "  sled cache on disk against the keys and values it holds, bytes/claim",
            g("disk.cache").map(|b| b / claims),
            g("keys.bytes_per_claim"),
            None,
            "",
            None,
        );
        row(
            "  cache entries per claim",
            g("keys.entries_per_claim"),
            None,
            None,
            "",
            None,
        );
        println!();
    }
    if ns.len() > 1 {
        println!("### Growth with N (per-claim cost, or latency)\n");
        let head: Vec<String> = ns.iter().map(|n| format!("{n}")).collect();
        println!(
            "| measure | {} | last / first per claim |",
            head.join(" | ")
        );
        println!("|---|{}--:|", "--:|".repeat(ns.len()));
        let per = |k: &str, per_claim: bool, scale: f64| {
            let vals: Vec<Option<f64>> = ns
                .iter()
                .map(|n| {
                    let v = r.get(&(*n, k.to_string())).copied()?;
                    let c = r
                        .get(&(*n, "claims".to_string()))
                        .copied()
                        .unwrap_or(*n as f64);
                    Some(if per_claim { v / c * scale } else { v * scale })
                })
                .collect();
            let first = vals.iter().flatten().next().copied();
            let last = vals.iter().flatten().last().copied();
            (vals, ratio(last, first))
        };
        for (name, k, per_claim, scale) in [
            ("import, µs/claim", "import.wall", true, 1e6),
            ("SQLite import, µs/claim", "import.sqlite", true, 1e6),
            ("verify, µs/claim", "verify.wall", true, 1e6),
            ("raw read+chain, µs/claim", "verify.raw", true, 1e6),
            ("rebuild, µs/claim", "rebuild.wall", true, 1e6),
            ("raw sled fill, µs/claim", "sled.fill", true, 1e6),
            ("export snapshot, µs/claim", "export.wall", true, 1e6),
            (
                "verify-snapshot, µs/claim",
                "verify_snapshot.wall",
                true,
                1e6,
            ),
            ("total p50, ms", "total.p50", false, 1.0),
            (
                "total for all time p50, ms",
                "total_all_time.p50",
                false,
                1.0,
            ),
            ("explain p50, ms", "explain.p50", false, 1.0),
            ("explain --all p50, ms", "explain_all.p50", false, 1.0),
            ("SQLite total p50, ms", "total.sqlite.p50", false, 1.0),
            ("single append, appends/s", "append.claimlog", false, 1.0),
            ("peak RSS import, MB", "rss.import", false, 1.0 / 1024.0),
            (
                "peak RSS raw sled fill, MB",
                "rss.sled",
                false,
                1.0 / 1024.0,
            ),
            ("peak RSS verify, MB", "rss.verify", false, 1.0 / 1024.0),
            ("peak RSS export, MB", "rss.export", false, 1.0 / 1024.0),
            (
                "peak RSS verify-snapshot, MB",
                "rss.verify_snapshot",
                false,
                1.0 / 1024.0,
            ),
            ("store bytes/claim", "disk.store", true, 1.0),
        ] {
            let (vals, g) = per(k, per_claim, scale);
            let cells: Vec<String> = vals.iter().map(|v| fmt(*v)).collect();
            println!("| {name} | {} | {} |", cells.join(" | "), x(g));
        }
        println!();
    }
}
