//! The URL form.

use super::*;

#[test]
fn url_with_every_option() {
    let input = "mssql://etl%40corp:S3cr%3At%2F%3F%23@db.example.com:14330/legacy%20db?encrypt=true&ca_file=/etc/ssl/corp%20ca.pem&application_name=pancake%20nightly&connect_timeout=30";
    let s = ok(input, &["S3cr", "S3cr%3At%2F%3F%23", "S3cr:t/?#"]);
    assert_eq!(s.host, "db.example.com");
    assert_eq!(s.port, 14330);
    assert_eq!(s.database, "legacy db");
    assert_eq!(s.user, "etl@corp");
    assert_eq!(s.password().expose(), "S3cr:t/?#");
    assert_eq!(s.encrypt, Encrypt::Required);
    assert!(!s.trust_server_certificate);
    assert_eq!(s.ca_file, Some(PathBuf::from("/etc/ssl/corp ca.pem")));
    assert_eq!(s.application_name, "pancake nightly");
    assert_eq!(s.connect_timeout, Duration::from_secs(30));
    assert!(s.notes().is_empty());
    assert_eq!(
        s.redacted(),
        "mssql://etl%40corp@db.example.com:14330/legacy%20db?encrypt=true&ca_file=/etc/ssl/corp%20ca.pem&application_name=pancake%20nightly&connect_timeout=30"
    );
}

#[test]
fn url_sqlserver_scheme_trust_and_raw_specials_in_password() {
    let s = ok(
        "sqlserver://sa:Tr0ub4dor&3!@sql01:1433/legacy?trust_server_certificate=true&encrypt=false",
        &["Tr0ub4dor"],
    );
    assert_eq!(s.password().expose(), "Tr0ub4dor&3!");
    assert_eq!((s.host.as_str(), s.port), ("sql01", 1433));
    assert!(s.trust_server_certificate);
    assert_eq!(s.encrypt, Encrypt::Off);
    assert_eq!(s.ca_file, None);
    assert_eq!(
        s.redacted(),
        "mssql://sa@sql01:1433/legacy?trust_server_certificate=true"
    );
}

#[test]
fn url_defaults() {
    let s = ok("mssql://sa:Pa55word!@legacy-db/legacy", &["Pa55word"]);
    assert_eq!(s.host, "legacy-db");
    assert_eq!(s.port, DEFAULT_PORT);
    assert_eq!(s.database, "legacy");
    assert_eq!(s.user, "sa");
    assert_defaults(&s);
    assert_eq!(s.redacted(), "mssql://sa@legacy-db:1433/legacy");
}

#[test]
fn url_scheme_and_option_keys_ignore_case_and_separators() {
    let s = ok(
        "  MSSQL://sa:x9Y8z7q@h/db?Encrypt=TRUE&TrustServerCertificate=yes&Connect-Timeout=5&APPLICATION_NAME=a  ",
        &["x9Y8z7q"],
    );
    assert_eq!(s.encrypt, Encrypt::Required);
    assert!(s.trust_server_certificate);
    assert_eq!(s.connect_timeout, Duration::from_secs(5));
    assert_eq!(s.application_name, "a");
    // Empty query pairs and a trailing slash are harmless.
    let s = ok("SqlServer://sa:x9Y8z7q@h/db/?&encrypt=no&", &["x9Y8z7q"]);
    assert_eq!(s.database, "db");
    assert_eq!(s.encrypt, Encrypt::Off);
}

#[test]
fn url_password_may_hold_raw_at_and_colon() {
    let s = ok("mssql://sa:p@ss:w0rdZ@host/db", &["p@ss:w0rdZ", "w0rdZ"]);
    assert_eq!(s.user, "sa");
    assert_eq!(s.password().expose(), "p@ss:w0rdZ");
    assert_eq!(s.host, "host");
}

#[test]
fn url_percent_decoding() {
    let s = ok(
        "mssql://d%C3%A9v:%E2%82%ACuro%20Pw@h/caf%C3%A9%2Fdb",
        &["€uro Pw", "%E2%82%ACuro"],
    );
    assert_eq!(s.user, "dév");
    assert_eq!(s.password().expose(), "€uro Pw");
    assert_eq!(s.database, "café/db");
    assert_eq!(s.redacted(), "mssql://d%C3%A9v@h:1433/caf%C3%A9%2Fdb");
    // A '%' that starts no escape stays, so raw passwords with '%' work.
    let s = ok("mssql://sa:100%sure%4@h/db", &["100%sure"]);
    assert_eq!(s.password().expose(), "100%sure%4");
    // Lower-case hex works too.
    let s = ok("mssql://sa:a%2fb%3aCzq@h/db", &["a/b:Czq"]);
    assert_eq!(s.password().expose(), "a/b:Czq");
}

#[test]
fn url_bad_percent_encoding() {
    refused(
        "mssql://sa:%FFBadUtf8@h/db",
        &["BadUtf8"],
        SourceError::BadPercentEncoding {
            part: "password".into(),
        },
        "the password in the SQL Server URL is not valid UTF-8 once percent-decoded: percent-encode the UTF-8 bytes of each special character, e.g. %C3%A9 for 'é'",
    );
    let e = err("mssql://sa:Pw0rdQ@h/d%C3b", &["Pw0rdQ"]);
    assert_eq!(
        e,
        SourceError::BadPercentEncoding {
            part: "database".into()
        }
    );
}

#[test]
fn url_ipv6() {
    let s = ok("mssql://sa:V6pass!@[::1]:1444/legacy", &["V6pass"]);
    assert_eq!(s.host, "::1");
    assert_eq!(s.port, 1444);
    assert_eq!(s.redacted(), "mssql://sa@[::1]:1444/legacy");
    assert!(tiberius_debug(&s).contains("host: Some(\"::1\")"));

    let s = ok("mssql://sa:V6pass!@[2001:db8::5]/legacy", &["V6pass"]);
    assert_eq!(s.host, "2001:db8::5");
    assert_eq!(s.port, 1433);

    for bad in [
        "mssql://sa:V6pass!@::1/legacy",
        "mssql://sa:V6pass!@[::1/legacy",
        "mssql://sa:V6pass!@[::1]x/legacy",
        "mssql://sa:V6pass!@[zz::1]/legacy",
        "mssql://sa:V6pass!@fe80::zz/legacy",
        "mssql://sa:V6pass!@host:1433:1433/legacy",
    ] {
        let e = err(bad, &["V6pass"]);
        assert!(
            matches!(
                e,
                SourceError::InvalidHost {
                    form: Form::Url,
                    ..
                }
            ),
            "{bad}: {e:?}"
        );
        assert!(e.to_string().contains("[::1]"), "{e}");
    }
    assert_eq!(
        message("mssql://sa:V6pass!@::1/legacy", &["V6pass"]),
        "'::1' in the SQL Server URL is not a host name or IP address: use letters, digits, '-', '_' and '.', or an IPv6 address such as [::1] (in brackets, e.g. mssql://user:password@[::1]:1433/legacy)"
    );
}

#[test]
fn url_instance_needs_a_port() {
    for input in [
        "mssql://sa:Inst4nce@host\\SQLEXPRESS/legacy",
        "mssql://sa:Inst4nce@host%5CSQLEXPRESS/legacy",
    ] {
        refused(
            input,
            &["Inst4nce"],
            SourceError::Instance { form: Form::Url },
            "the SQL Server URL names a SQL Server instance (host\\instance) without a port: instance names are not supported, give the instance's TCP port instead, e.g. mssql://user:password@host:1434/legacy",
        );
    }
    // With a port, the port names the instance.
    let s = ok(
        "mssql://sa:Inst4nce@host\\SQLEXPRESS:1500/legacy",
        &["Inst4nce"],
    );
    assert_eq!((s.host.as_str(), s.port), ("host", 1500));
    assert_eq!(s.notes().len(), 1);
    assert!(s.notes()[0].contains("instance name"), "{:?}", s.notes());
}

#[test]
fn url_missing_parts() {
    let secrets = ["Miss1ngPw"];
    let cases = [
        ("mssql://host:1433/legacy", Part::User),
        ("mssql://:Miss1ngPw@host/legacy", Part::User),
        ("mssql://sa@host/legacy", Part::Password),
        ("mssql://sa:@host/legacy", Part::Password),
        ("mssql://sa:Miss1ngPw@/legacy", Part::Host),
        ("mssql://sa:Miss1ngPw@:1433/legacy", Part::Host),
        ("mssql://sa:Miss1ngPw@host", Part::Database),
        ("mssql://sa:Miss1ngPw@host:1433/", Part::Database),
        ("mssql://sa:Miss1ngPw@host?encrypt=true", Part::Database),
    ];
    for (input, part) in cases {
        assert_eq!(
            err(input, &secrets),
            SourceError::Missing {
                form: Form::Url,
                part
            },
            "{input}"
        );
    }
    assert_eq!(
        message("mssql://sa:Miss1ngPw@host", &secrets),
        "the SQL Server URL has no database: add it as the path, e.g. mssql://user:password@host:1433/legacy"
    );
    assert_eq!(
        message("mssql://sa:Miss1ngPw@/legacy", &secrets),
        "the SQL Server URL has no host: put it after the '@', e.g. mssql://user:password@host:1433/legacy"
    );
    assert_eq!(
        message("mssql://sa@host/legacy", &secrets),
        "the SQL Server URL has no password: write it after the user and a ':', e.g. mssql://user:password@host:1433/legacy"
    );
    assert!(
        message("mssql://host/legacy", &secrets)
            .starts_with("the SQL Server URL has no user: write user:password@ before the host")
    );
}

#[test]
fn url_password_with_raw_slash_or_hash_is_not_quoted_back() {
    // The authority ends at the raw '/', so there seems to be no user.
    let e = err(
        "mssql://sa:Qx7/zzkw@host/legacy",
        &["Qx7", "zzkw", "Qx7/zzkw"],
    );
    assert_eq!(
        e,
        SourceError::Missing {
            form: Form::Url,
            part: Part::User
        }
    );
    assert!(e.to_string().contains("%2F"), "{e}");
    let e = err("mssql://sa:Qx7#zzkw@host/legacy", &["Qx7", "zzkw"]);
    assert!(matches!(
        e,
        SourceError::Missing {
            part: Part::User,
            ..
        }
    ));
    refused(
        "mssql://sa:Hash3d@host/legacy#zzkw",
        &["Hash3d", "zzkw"],
        SourceError::UrlFragment,
        "the SQL Server URL has a '#' after the host: if it belongs to the password, percent-encode it as %23",
    );
}

#[test]
fn url_path_is_only_the_database() {
    refused(
        "mssql://sa:P4thPw@host/legacy/extra",
        &["P4thPw"],
        SourceError::UrlPath,
        "the path of the SQL Server URL must be just the database name, e.g. mssql://user:password@host:1433/legacy: percent-encode a '/' in the name as %2F",
    );
}

#[test]
fn url_scheme_errors() {
    let e = err("postgres://sa:Sch3me@host/legacy", &["Sch3me"]);
    assert_eq!(
        e.to_string(),
        "unsupported URL scheme 'postgres://': write mssql:// or sqlserver://, e.g. mssql://user:password@host:1433/legacy"
    );
    let e = err(
        "jdbc:sqlserver://host:1433;databaseName=legacy;user=sa;password=Jdbc9pw",
        &["Jdbc9pw"],
    );
    assert_eq!(e, SourceError::Jdbc);
    assert!(
        e.to_string()
            .starts_with("JDBC URLs (jdbc:sqlserver://…) are not supported")
    );
    for empty in ["", "   "] {
        let e = err(empty, &[]);
        assert_eq!(e, SourceError::Empty);
        assert!(e.to_string().contains("--mssql-url or MSSQL_URL"));
    }
}

#[test]
fn url_ports() {
    let secrets = ["P0rtPw"];
    for (port, shown) in [
        ("0", "0"),
        ("70000", "70000"),
        ("abc", "abc"),
        ("", ""),
        ("+14", "+14"),
        ("-1", "-1"),
    ] {
        let input = format!("mssql://sa:P0rtPw@host:{port}/legacy");
        let e = err(&input, &secrets);
        assert_eq!(
            e,
            SourceError::InvalidPort {
                form: Form::Url,
                value: shown.into()
            },
            "{input}"
        );
    }
    assert_eq!(
        message("mssql://sa:P0rtPw@host:abc/legacy", &secrets),
        "the port in the SQL Server URL must be a number from 1 to 65535, not 'abc'"
    );
    assert_eq!(
        ok("mssql://sa:P0rtPw@host:65535/legacy", &secrets).port,
        65535
    );
    assert_eq!(ok("mssql://sa:P0rtPw@host:1/legacy", &secrets).port, 1);
}

#[test]
fn url_bad_host() {
    let e = err("mssql://sa:H0stPw@ho$t/legacy", &["H0stPw"]);
    assert_eq!(
        e,
        SourceError::InvalidHost {
            form: Form::Url,
            host: "ho$t".into()
        }
    );
    assert!(
        e.to_string()
            .starts_with("'ho$t' in the SQL Server URL is not a host name or IP address")
    );
    // Docker service names and IPv4 addresses are fine.
    assert_eq!(
        ok("mssql://sa:H0stPw@sql_server-1/db", &["H0stPw"]).host,
        "sql_server-1"
    );
    assert_eq!(
        ok("mssql://sa:H0stPw@10.0.0.7:1500/db", &["H0stPw"]).host,
        "10.0.0.7"
    );
    // localhost is left as written in a URL.
    assert_eq!(
        ok("mssql://sa:H0stPw@localhost/db", &["H0stPw"]).host,
        "localhost"
    );
}

#[test]
fn url_option_errors() {
    let secrets = ["0ptPw"];
    let base = "mssql://sa:0ptPw@host/legacy?";
    let check = |query: &str, expected: SourceError, text: &str| {
        let e = err(&format!("{base}{query}"), &secrets);
        assert_eq!(e, expected, "{query}");
        assert_eq!(e.to_string(), text, "{query}");
    };
    check(
        "encrypted=true",
        SourceError::UnknownOption {
            key: "encrypted".into(),
        },
        "unknown option 'encrypted' in the SQL Server URL: expected encrypt, trust_server_certificate, ca_file, application_name or connect_timeout",
    );
    check(
        "encrypt",
        SourceError::OptionWithoutValue {
            key: "encrypt".into(),
        },
        "option 'encrypt' in the SQL Server URL has no value: write it as encrypt=value, e.g. encrypt=true",
    );
    check(
        "encrypt=true&Encrypt=false",
        SourceError::Duplicate {
            form: Form::Url,
            key: "encrypt".into(),
        },
        "encrypt is given twice in the SQL Server URL: keep one (synonyms count as the same key)",
    );
    check(
        "trust_server_certificate=maybe",
        SourceError::InvalidBool {
            key: "trust_server_certificate".into(),
            value: "maybe".into(),
        },
        "trust_server_certificate must be true or false, not 'maybe'",
    );
    check(
        "encrypt=sometimes",
        SourceError::InvalidEncrypt {
            key: "encrypt".into(),
            value: "sometimes".into(),
        },
        "encrypt must be true or false (or mandatory, optional, strict), not 'sometimes'",
    );
    for bad in [
        "0",
        "-1",
        "1.5",
        "86401",
        "abc",
        "",
        "99999999999999999999999",
    ] {
        let e = err(&format!("{base}connect_timeout={bad}"), &secrets);
        assert!(
            matches!(&e, SourceError::InvalidTimeout { key, .. } if key == "connect_timeout"),
            "{bad}: {e:?}"
        );
    }
    assert_eq!(
        message(&format!("{base}connect_timeout=0"), &secrets),
        "connect_timeout must be a whole number of seconds from 1 to 86400, not '0'"
    );
    assert_eq!(
        ok(&format!("{base}connect_timeout=86400"), &secrets).connect_timeout,
        Duration::from_secs(86_400)
    );
    check(
        "application_name=",
        SourceError::InvalidApplicationName {
            key: "application_name".into(),
        },
        "application_name must be 1 to 128 characters long",
    );
    let long = "a".repeat(129);
    assert!(matches!(
        err(&format!("{base}application_name={long}"), &secrets),
        SourceError::InvalidApplicationName { .. }
    ));
    let fits = "a".repeat(128);
    assert_eq!(
        ok(&format!("{base}application_name={fits}"), &secrets).application_name,
        fits
    );
    check(
        "ca_file=",
        SourceError::EmptyCaFile {
            key: "ca_file".into(),
        },
        "ca_file is empty: give the path of the CA certificate (PEM, CRT or DER) that signed the server's certificate",
    );
    check(
        "trust_server_certificate=true&ca_file=/ca.pem",
        SourceError::TrustAndCa { form: Form::Url },
        "both trust_server_certificate=true and ca_file are set: pick one (ca_file checks the server's certificate against that CA, trust_server_certificate=true accepts any certificate)",
    );
    // trust_server_certificate=false with a CA is fine.
    let s = ok(
        &format!("{base}trust_server_certificate=false&ca_file=/ca.pem"),
        &secrets,
    );
    assert_eq!(s.ca_file, Some(PathBuf::from("/ca.pem")));
}

#[test]
fn url_secret_in_an_unknown_option_is_not_quoted_back() {
    let e = err("mssql://sa@host/legacy?password=Qu3ryPw", &["Qu3ryPw"]);
    assert_eq!(
        e,
        SourceError::UnknownOption {
            key: "password".into()
        }
    );
}
