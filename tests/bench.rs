//! `pancake bench` on `tiny`, every stage, against the local PostgreSQL and
//! RabbitMQ: the three report files, each stage measured beside its
//! ceiling, its samples in time order, its phases named in the JSON and
//! the chart, and nothing left behind on the servers.

use std::process::Command;

fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".into())
}

#[test]
fn bench_on_tiny_writes_the_three_reports_with_every_stage_and_its_ceiling() {
    let tmp = tempfile::tempdir().unwrap();
    let report = tmp.path().join("report");
    let prefix = format!("b{}_", std::process::id());
    let out = Command::new(env!("CARGO_BIN_EXE_pancake"))
        .args([
            "bench",
            "--preset",
            "tiny",
            "--report",
            report.to_str().unwrap(),
            "--db-prefix",
            &prefix,
            "--keep",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report.join("report.json")).unwrap()).unwrap();
    let stages = json["stages"].as_array().unwrap();
    let names: Vec<&str> = stages
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "generate",
            "extract",
            "transform",
            "load-postgres",
            "load-rabbitmq"
        ]
    );
    for s in stages {
        let name = s["stage"].as_str().unwrap();
        assert!(s["count"].as_u64().unwrap() > 0, "{name}");
        assert!(s["per_sec"].as_f64().unwrap() > 0.0, "{name}");
        let m = &s["measured"];
        assert!(m["peak_rss_bytes"].as_u64().unwrap() > 1 << 20, "{name}");
        assert!(m["wall_s"].as_f64().unwrap() > 0.0, "{name}");
        assert!(m["samples"].as_array().unwrap().len() >= 2, "{name}");
        if name != "generate" {
            let ratio = s["ceiling"]["ratio"].as_f64().unwrap();
            assert!(ratio > 0.0 && ratio.is_finite(), "{name}: {ratio}");
        }
        if name == "load-postgres" {
            // Beside the plain COPY, the whole load's ceiling: slower, as
            // it builds the keys and indexes and runs the finishing steps.
            let whole = &s["more_ceilings"][0];
            assert_eq!(
                whole["what"],
                "whole load: plain COPY, keys, indexes, finishing"
            );
            let (plain, whole) = (
                s["ceiling"]["per_sec"].as_f64().unwrap(),
                whole["per_sec"].as_f64().unwrap(),
            );
            assert!(whole > 0.0 && whole < plain, "{whole} against {plain}");
        }
    }
    // tiny's counts are known: 6,510 rows, 7,296 events, 16,928 rows loaded
    // (3,768 of them the news module's).
    assert_eq!(stages[0]["count"], 6510);
    assert_eq!(
        stages[1]["count"], 6510,
        "extract reads the dump's rows back"
    );
    assert_eq!(stages[4]["count"], 7296);
    assert_eq!(stages[3]["count"], 16928);
    extract_is_beside_the_server_alone(&stages[1]);
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(md.contains("| transform |"), "{md}");
    assert!(md.contains("decode-only pass"), "{md}");
    // Each module's share of the load, the news module's feeds apart.
    let news = md
        .lines()
        .find(|l| l.starts_with("| news |"))
        .unwrap_or_else(|| panic!("no news row: {md}"));
    assert_eq!(news.split('|').count(), 9, "{news}");
    assert!(!news.contains("| - |"), "the feeds' time: {news}");
    let svg = std::fs::read_to_string(report.join("progress.svg")).unwrap();
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(
        svg.contains("load-postgres"),
        "the chart has a line per stage"
    );
    samples_go_forward_to_the_stage_end(stages);
    load_postgres_counts_what_it_sends(&stages[3]);
    load_rabbitmq_counts_what_it_sends(&stages[4]);
    phases_are_named_in_order(stages);
    // The chart names what the JSON does: every phase (on its band and in
    // the legend with its duration) and every ceiling.
    let texts = svg_texts(&svg);
    for s in stages {
        for phase in s["measured"]["phases"].as_array().unwrap() {
            let name = phase["name"].as_str().unwrap();
            assert!(texts.iter().any(|t| t == name), "{name} not on a band");
            assert!(
                texts.iter().any(|t| t.starts_with(&format!("{name}: "))),
                "{name} not in a legend"
            );
        }
    }
    for ceiling in [
        "test server alone",
        "decode-only pass",
        "plain COPY of the same rows",
        "bare publisher",
    ] {
        assert!(
            texts.iter().any(|t| t.contains(ceiling)),
            "{ceiling} not in the chart"
        );
    }
    assert!(
        texts.iter().any(|t| t == "seconds into the stage"),
        "the x axis says its unit"
    );
    assert!(
        texts.iter().any(|t| t == "rows copied, % of all"),
        "the y axis says its unit"
    );
    // With --keep the databases stay, under the prefix asked for: the
    // profile module holds tiny's members.
    let psql = |sql: &str| {
        let out = Command::new("psql")
            .args([&database_url(), "-tAc", sql])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    assert_eq!(
        psql(&format!(
            "SELECT count(*) FROM pg_database WHERE starts_with(datname, '{prefix}')"
        )),
        pancake_load::MODULES.len().to_string()
    );
    for module in pancake_load::MODULES.iter().map(|m| m.name) {
        psql(&format!("DROP DATABASE \"{prefix}{module}\" WITH (FORCE)"));
    }
    let left = Command::new("psql")
        .args([
            &std::env::var("DATABASE_URL")
                .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".into()),
            "-tAc",
            &format!("SELECT count(*) FROM pg_database WHERE starts_with(datname, '{prefix}')"),
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&left.stdout).trim(), "0");
}

/// Each stage's samples never go back in time, end at the stage's wall
/// time, and count up to the stage's count.
fn samples_go_forward_to_the_stage_end(stages: &[serde_json::Value]) {
    for s in stages {
        let name = s["stage"].as_str().unwrap();
        let m = &s["measured"];
        let samples: Vec<(f64, u64)> = serde_json::from_value(m["samples"].clone()).unwrap();
        for w in samples.windows(2) {
            assert!(w[0].0 <= w[1].0, "{name}: {:?} then {:?}", w[0], w[1]);
            assert!(w[0].1 <= w[1].1, "{name}: {:?} then {:?}", w[0], w[1]);
        }
        assert_eq!(
            samples.last().unwrap().0,
            m["wall_s"].as_f64().unwrap(),
            "{name}"
        );
        assert!(!m["counted"].as_str().unwrap().is_empty(), "{name}");
    }
    // Rows and events counted as the stage counts them.
    let last = |s: &serde_json::Value| {
        s["measured"]["samples"].as_array().unwrap().last().unwrap()[1]
            .as_u64()
            .unwrap()
    };
    // Generate counts the rows it makes: 6,510, of which it writes some
    // twice (duplicate keys) and leaves out those of purged members, the
    // 6,510 of its count.
    assert_eq!(last(&stages[0]), 6510);
    assert_eq!(last(&stages[1]), 6510, "extract counts the rows it wrote");
    assert_eq!(
        last(&stages[2]),
        7296,
        "transform counts the events it wrote"
    );
    assert_eq!(last(&stages[3]), 16928);
    assert_eq!(last(&stages[4]), 7296);
}

/// Extract is measured beside the test server serving the same tables to a
/// client that decodes nothing, once before and once after it.
fn extract_is_beside_the_server_alone(stage: &serde_json::Value) {
    let before = &stage["ceiling"];
    let after = &stage["more_ceilings"][0];
    assert!(
        before["what"]
            .as_str()
            .unwrap()
            .starts_with("test server alone, before"),
        "{stage}"
    );
    assert_eq!(after["what"], "test server alone, after", "{stage}");
    for c in [before, after] {
        let rate = c["per_sec"].as_f64().unwrap();
        assert!(rate > 0.0 && rate.is_finite(), "{stage}");
    }
    assert!(
        stage["note"].as_str().unwrap().contains("1 connection(s)"),
        "{stage}"
    );
}

/// Load postgres sends its rows over a socket: what it sent is counted
/// (tiny's 16,928 rows are well over 100 kB of binary COPY data), apart
/// from the files the process wrote.
fn load_postgres_counts_what_it_sends(stage: &serde_json::Value) {
    let m = &stage["measured"];
    let sent = m["sent"]["bytes"].as_u64().unwrap();
    assert!(sent > 100_000, "sent {sent} bytes");
    assert!(m["sent"]["what"].as_str().unwrap().contains("COPY"), "{m}");
    assert!(m["file_bytes_read"].as_u64().unwrap() > 100_000, "{m}");
    assert!(m["file_bytes_written"].is_u64(), "{m}");
}

/// Load rabbitmq sends its events to the broker: tiny's 6,802 events are
/// well over 100 kB of message bodies, counted by the loader itself.
fn load_rabbitmq_counts_what_it_sends(stage: &serde_json::Value) {
    let m = &stage["measured"];
    let sent = m["sent"]["bytes"].as_u64().unwrap_or(0);
    assert!(sent > 100_000, "sent {sent} bytes: {m}");
    assert!(
        m["sent"]["what"].as_str().unwrap().contains("RabbitMQ"),
        "{m}"
    );
}

/// Each stage's phases cover its time in order; load postgres's are its
/// setup, the COPY, keys and indexes, and the finishing steps.
fn phases_are_named_in_order(stages: &[serde_json::Value]) {
    let names = |s: &serde_json::Value| -> Vec<String> {
        s["measured"]["phases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(&stages[0]),
        [
            "setup",
            "members",
            "flirts",
            "messages",
            "blocks",
            "favorites",
            "profile_visits",
            "photos",
            "photo_likes",
            "search_profiles"
        ]
    );
    assert_eq!(names(&stages[1]), ["setup", "reading"]);
    assert_eq!(
        names(&stages[2]),
        [
            "setup",
            "indexing members",
            "indexing photos",
            "transforming"
        ]
    );
    assert_eq!(
        names(&stages[3]),
        ["setup", "COPY", "keys and indexes", "finishing"]
    );
    assert_eq!(names(&stages[4]), ["setup", "checking parts", "publishing"]);
    for s in stages {
        let name = s["stage"].as_str().unwrap();
        let phases = s["measured"]["phases"].as_array().unwrap();
        let wall = s["measured"]["wall_s"].as_f64().unwrap();
        let mut at = phases[0]["start_s"].as_f64().unwrap();
        for p in phases {
            let (start, end) = (p["start_s"].as_f64().unwrap(), p["end_s"].as_f64().unwrap());
            assert_eq!(start, at, "{name}: {phases:?}");
            assert!(start <= end, "{name}: {phases:?}");
            at = end;
        }
        assert_eq!(at, wall, "{name}: the last phase ends with the stage");
    }
}

/// The text of every `<text>` element of an SVG, trimmed.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let body = &t[t.find('>')? + 1..];
            Some(body[..body.find("</text>")?].trim().to_owned())
        })
        .collect()
}
