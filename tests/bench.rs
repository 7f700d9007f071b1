//! `pancake bench` on `tiny`, every stage, against the local PostgreSQL and
//! RabbitMQ: the three report files, each stage measured beside its
//! ceiling, and nothing left behind on the servers.

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
        ["generate", "transform", "load-postgres", "load-rabbitmq"]
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
    }
    // tiny's counts are known: 6,005 rows, 6,780 events, 13,138 rows loaded.
    assert_eq!(stages[0]["count"], 6005);
    assert_eq!(stages[3]["count"], 6780);
    assert_eq!(stages[2]["count"], 13138);
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(md.contains("| transform |"), "{md}");
    assert!(md.contains("decode-only pass"), "{md}");
    let svg = std::fs::read_to_string(report.join("events-per-second.svg")).unwrap();
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(
        svg.contains("load-postgres"),
        "the chart has a line per stage"
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
        "6"
    );
    for module in ["profile", "chat", "alerts", "favorite", "block", "audit"] {
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
