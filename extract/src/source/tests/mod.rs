//! The parsing tests, by form (`url.rs`, `connection_string.rs`, and
//! `shared.rs` for what both forms read alike), with the output tests
//! (password, tiberius configuration, redacted form) here.

mod connection_string;
mod shared;
mod url;

use super::*;

/// Parses, and checks that nothing a user could see (error message,
/// Debug, redacted form, notes, the tiberius config's Debug) contains
/// any of `secrets` or, for an error, the input.
fn parse(input: &str, secrets: &[&str]) -> Result<Source, SourceError> {
    let result = Source::parse(input);
    let mut shown = Vec::new();
    match &result {
        Ok(source) => {
            shown.push(format!("{source:?}"));
            shown.push(source.redacted());
            shown.push(format!("{:?}", source.tiberius_config()));
            shown.push(format!("{:?}", source.password()));
            shown.push(source.password().to_string());
            shown.extend(source.notes().iter().cloned());
            // The password itself is a secret here, whatever it is.
            let password = source.password().expose();
            for text in &shown {
                assert!(
                    !text.contains(password),
                    "{text:?} shows the password of {input:?}"
                );
            }
        }
        Err(e) => {
            let message = e.to_string();
            assert!(!message.contains('\n'), "two lines: {message:?}");
            let trimmed = input.trim();
            if !trimmed.is_empty() {
                assert!(!message.contains(trimmed), "{message:?} repeats the input");
            }
            shown.push(message);
            shown.push(format!("{e:?}"));
        }
    }
    for text in &shown {
        for secret in secrets {
            assert!(
                !text.contains(secret),
                "{text:?} shows the secret {secret:?} of {input:?}"
            );
        }
    }
    result
}

fn ok(input: &str, secrets: &[&str]) -> Source {
    parse(input, secrets).unwrap_or_else(|e| panic!("{input:?} should parse: {e}"))
}

fn err(input: &str, secrets: &[&str]) -> SourceError {
    match parse(input, secrets) {
        Ok(source) => panic!("{input:?} should fail, gave {source:?}"),
        Err(e) => e,
    }
}

fn message(input: &str, secrets: &[&str]) -> String {
    err(input, secrets).to_string()
}

/// Parses `input`, which must fail as `expected` with the message `text`.
fn refused(input: &str, secrets: &[&str], expected: SourceError, text: &str) {
    let e = err(input, secrets);
    assert_eq!(e, expected, "{input}");
    assert_eq!(e.to_string(), text, "{input}");
}

/// Checks the settings a source has when its input leaves them out.
fn assert_defaults(s: &Source) {
    assert_eq!(s.port, 1433);
    assert_eq!(s.encrypt, Encrypt::Off);
    assert!(!s.trust_server_certificate);
    assert_eq!(s.ca_file, None);
    assert_eq!(s.application_name, "pancake");
    assert_eq!(s.connect_timeout, Duration::from_secs(15));
    assert!(s.notes().is_empty());
}

fn tiberius_debug(source: &Source) -> String {
    format!("{:?}", source.tiberius_config())
}

#[test]
fn password_never_shows() {
    let s = ok("mssql://sa:Sh0wMe@h/db", &["Sh0wMe"]);
    assert_eq!(format!("{:?}", s.password()), "***");
    assert_eq!(s.password().to_string(), "***");
    assert_eq!(format!("{}", Password::new("Sh0wMe")), "***");
    assert_eq!(Password::new("Sh0wMe").expose(), "Sh0wMe");
    let debug = format!("{s:?}");
    assert!(debug.contains("password: ***"), "{debug}");
    assert!(debug.contains("user: \"sa\""), "{debug}");
    let pretty = format!("{s:#?}");
    assert!(!pretty.contains("Sh0wMe"), "{pretty}");
}

#[test]
fn tiberius_config_plain() {
    let s = ok(
        "Server=db01,1500;Database=legacy;User Id=etl;Password=T1berius;App=nightly",
        &["T1berius"],
    );
    let config = s.tiberius_config();
    assert_eq!(config.get_addr(), "db01:1500");
    let debug = format!("{config:?}");
    for part in [
        "host: Some(\"db01\")",
        "port: Some(1500)",
        "database: Some(\"legacy\")",
        "application_name: Some(\"nightly\")",
        "encryption: NotSupported",
        "trust: TrustConfig { source: Native, extra_cas: [], bypass: false }",
        "handshake_timeout: None",
        "command_timeout: None",
        "SqlServer(SqlServerAuth { user: \"etl\"",
        "instance_name: None",
    ] {
        assert!(debug.contains(part), "{part} not in {debug}");
    }
}

#[test]
fn tiberius_config_encrypted() {
    let s = ok(
        "mssql://etl:T1berius@db01/legacy?encrypt=true&trust_server_certificate=true",
        &["T1berius"],
    );
    let debug = tiberius_debug(&s);
    assert!(debug.contains("encryption: Required"), "{debug}");
    assert!(debug.contains("bypass: true"), "{debug}");
    assert!(
        debug.contains("application_name: Some(\"pancake\")"),
        "{debug}"
    );

    let s = ok(
        "mssql://etl:T1berius@db01/legacy?encrypt=true&ca_file=/etc/ssl/ca.pem",
        &["T1berius"],
    );
    let debug = tiberius_debug(&s);
    assert!(
        debug.contains("extra_cas: [File(\"/etc/ssl/ca.pem\")], bypass: false"),
        "{debug}"
    );
    assert!(debug.contains("encryption: Required"), "{debug}");
}

#[test]
fn redacted_parses_back_to_the_same_source() {
    let inputs = [
        "mssql://etl%40corp:R0und%3Atrip@db.example.com:14330/legacy%20db?encrypt=true&ca_file=/etc/ssl/corp%20ca.pem&application_name=pancake%20nightly&connect_timeout=30",
        "mssql://sa:R0und@[::1]:1444/legacy?trust_server_certificate=true",
        "Server=tcp:(local),1500;Database=caf\u{e9}/db;User Id=d\u{e9}v;Password=\"R0und;trip\";App=a&b=c;Encrypt=yes",
        "Server=db01;Database=legacy;User Id=etl;Password=R0und;TrustServerCertificateCA=C:\\certs\\ca.pem",
    ];
    for input in inputs {
        let original = ok(input, &["R0und"]);
        let redacted = original.redacted();
        let with_password = redacted.replacen(
            '@',
            &format!(":{}@", percent_encode(original.password().expose(), "")),
            1,
        );
        let mut back = ok(&with_password, &["R0und"]);
        back.notes.clone_from(&original.notes);
        assert_eq!(back, original, "{input} -> {redacted}");
    }
}

#[test]
fn from_str_is_parse() {
    let s: Source = "mssql://sa:Fr0mStr@h/db".parse().expect("parses");
    assert_eq!(s.host, "h");
    let e = "mssql://sa:Fr0mStr@h"
        .parse::<Source>()
        .expect_err("no database");
    assert!(!e.to_string().contains("Fr0mStr"));
}
