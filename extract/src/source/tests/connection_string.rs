//! The ADO.NET connection string form.

use super::*;

#[test]
fn ado_with_every_option() {
    let input = "Server=tcp:sql01.corp.local,14330;Database=legacy;User Id=etl;Password=\"Pw;x\"\"q'9\";Encrypt=Mandatory;TrustServerCertificate=False;TrustServerCertificateCA=/etc/ssl/ca.pem;Application Name=pancake nightly;Connect Timeout=45;HostNameInCertificate=sql01.corp.local";
    let s = ok(input, &["Pw;x", "q'9"]);
    assert_eq!(s.host, "sql01.corp.local");
    assert_eq!(s.port, 14330);
    assert_eq!(s.database, "legacy");
    assert_eq!(s.user, "etl");
    assert_eq!(s.password().expose(), "Pw;x\"q'9");
    assert_eq!(s.encrypt, Encrypt::Required);
    assert!(!s.trust_server_certificate);
    assert_eq!(s.ca_file, Some(PathBuf::from("/etc/ssl/ca.pem")));
    assert_eq!(s.application_name, "pancake nightly");
    assert_eq!(s.connect_timeout, Duration::from_secs(45));
    assert_eq!(s.notes().len(), 1);
    assert!(s.notes()[0].starts_with("HostNameInCertificate is ignored"));
    assert_eq!(
        s.redacted(),
        "mssql://etl@sql01.corp.local:14330/legacy?encrypt=true&ca_file=/etc/ssl/ca.pem&application_name=pancake%20nightly&connect_timeout=45"
    );
}

#[test]
fn ado_synonyms_single_quotes_and_trust() {
    let s = ok(
        "Data Source=db01,1433;Initial Catalog=legacy;UID=etl;PWD='it''s;S3cret';Encrypt=no;Trust Server Certificate=yes;App=nightly;Connection Timeout=20",
        &["S3cret"],
    );
    assert_eq!((s.host.as_str(), s.port), ("db01", 1433));
    assert_eq!(s.database, "legacy");
    assert_eq!(s.user, "etl");
    assert_eq!(s.password().expose(), "it's;S3cret");
    assert_eq!(s.encrypt, Encrypt::Off);
    assert!(s.trust_server_certificate);
    assert_eq!(s.application_name, "nightly");
    assert_eq!(s.connect_timeout, Duration::from_secs(20));
    assert!(s.notes().is_empty());
}

#[test]
fn ado_every_synonym() {
    let secrets = ["Syn0nymPw"];
    for key in [
        "Server",
        "Data Source",
        "DATA SOURCE",
        "DataSource",
        "Address",
        "Addr",
        "Network Address",
        "server",
    ] {
        let s = ok(
            &format!("{key}=db01,1500;Database=d;User Id=u;Password=Syn0nymPw"),
            &secrets,
        );
        assert_eq!((s.host.as_str(), s.port), ("db01", 1500), "{key}");
    }
    for key in ["Database", "Initial Catalog", "initial catalog", "DATABASE"] {
        let s = ok(
            &format!("Server=h;{key}=legacy;User Id=u;Password=Syn0nymPw"),
            &secrets,
        );
        assert_eq!(s.database, "legacy", "{key}");
    }
    for key in ["User Id", "UserID", "UID", "User", "user id", "Username"] {
        let s = ok(
            &format!("Server=h;Database=d;{key}=etl;Password=Syn0nymPw"),
            &secrets,
        );
        assert_eq!(s.user, "etl", "{key}");
    }
    for key in ["Password", "PWD", "pwd", "PASSWORD"] {
        let s = ok(
            &format!("Server=h;Database=d;User Id=u;{key}=Syn0nymPw"),
            &secrets,
        );
        assert_eq!(s.password().expose(), "Syn0nymPw", "{key}");
    }
    let base = "Server=h;Database=d;User Id=u;Password=Syn0nymPw";
    for key in [
        "TrustServerCertificate",
        "Trust Server Certificate",
        "trustservercertificate",
    ] {
        let s = ok(&format!("{base};{key}=true"), &secrets);
        assert!(s.trust_server_certificate, "{key}");
    }
    for key in ["Application Name", "ApplicationName", "App", "APP"] {
        let s = ok(&format!("{base};{key}=nightly"), &secrets);
        assert_eq!(s.application_name, "nightly", "{key}");
    }
    for key in [
        "Connect Timeout",
        "Connection Timeout",
        "Timeout",
        "ConnectTimeout",
    ] {
        let s = ok(&format!("{base};{key}=7"), &secrets);
        assert_eq!(s.connect_timeout, Duration::from_secs(7), "{key}");
    }
    for key in ["Encrypt", "ENCRYPT"] {
        let s = ok(&format!("{base};{key}=true"), &secrets);
        assert_eq!(s.encrypt, Encrypt::Required, "{key}");
    }
}

#[test]
fn ado_defaults() {
    let s = ok(
        "Server=db01;Database=legacy;User Id=etl;Password=Def4ults",
        &["Def4ults"],
    );
    assert_defaults(&s);
    assert_eq!(s.redacted(), "mssql://etl@db01:1433/legacy");
}

#[test]
fn ado_quoting() {
    let base = "Server=h;Database=d;User Id=u";
    let cases = [
        ("Password=\" Sp4ced out \"", " Sp4ced out "),
        ("Password = 'Sp4ced''x' ; ", "Sp4ced'x"),
        ("Password='Sp4ced\"x'", "Sp4ced\"x"),
        ("Password=\"Sp4ced'x\"", "Sp4ced'x"),
        ("Password=\"Sp4ced=x;y\"", "Sp4ced=x;y"),
        ("Password=Sp4ced\"x", "Sp4ced\"x"),
        ("Password=Sp4ced=x", "Sp4ced=x"),
        ("Password=  Sp4ced x  ", "Sp4ced x"),
        ("Password=\"\"\"Sp4ced\"\"\"", "\"Sp4ced\""),
    ];
    for (pair, password) in cases {
        let s = ok(&format!("{base};{pair}"), &["Sp4ced"]);
        assert_eq!(s.password().expose(), password, "{pair}");
    }
    // Quoted values elsewhere, and stray separators.
    let s = ok(
        ";; Server = 'tcp:db01,1500' ;;Database=\"my;db\";User Id=u;Password=Sp4ced;;",
        &["Sp4ced"],
    );
    assert_eq!((s.host.as_str(), s.port), ("db01", 1500));
    assert_eq!(s.database, "my;db");
}

#[test]
fn ado_quote_errors() {
    refused(
        "Server=h;Database=d;User Id=u;Password=\"Unclos3d;Encrypt=true",
        &["Unclos3d"],
        SourceError::UnclosedQuote {
            key: "Password".into(),
        },
        "the value of Password opens a quote that is never closed: close it with the same quote, and double a quote inside to escape it, e.g. Password=\"a\"\"b\"",
    );
    refused(
        "Server=h;Database=d;User Id=u;PWD=\"Qu0ted\"tail;Encrypt=true",
        &["Qu0ted", "tail"],
        SourceError::TextAfterQuote { key: "PWD".into() },
        "the value of PWD has text after its closing quote: double a quote inside a quoted value to escape it, e.g. Password=\"a\"\"b\"",
    );
}

#[test]
fn ado_unquoted_password_with_semicolon() {
    refused(
        "Server=h;Database=d;User Id=u;Password=Semi;Colon9;Encrypt=true",
        &["Semi;Colon9", "Colon9"],
        SourceError::AfterPassword { index: 5 },
        "part 5 of the connection string, right after Password, is not a known key=value pair: if the password contains ';', quote it, e.g. Password=\"a;b\" (double a quote inside to escape it); otherwise correct or remove that part",
    );
    // The fragment after the ';' looks like a key: still not quoted back.
    let e = err(
        "Server=h;Database=d;User Id=u;Password=Semi;Col9n=x",
        &["Col9n", "Semi;Col9n=x"],
    );
    assert_eq!(e, SourceError::AfterPassword { index: 5 });
    let e = err("Password=Semi;=Colon9;Server=h", &["Colon9"]);
    assert_eq!(e, SourceError::AfterPassword { index: 2 });
    // After a quoted password, a broken part is just broken.
    let e = err("Password='Semi';Colon9x;Server=h", &["Semi"]);
    assert_eq!(e, SourceError::NoEquals { index: 2 });
}

#[test]
fn ado_structure_errors() {
    let secrets = ["Struct9pw"];
    refused(
        "Server=h;garbage;Database=d;User Id=u;Password=Struct9pw",
        &secrets,
        SourceError::NoEquals { index: 2 },
        "part 2 of the connection string has no '=': write key=value pairs separated by ';', e.g. Server=host,1433;Database=legacy",
    );
    refused(
        "=x;Server=h;Database=d;User Id=u;Password=Struct9pw",
        &secrets,
        SourceError::EmptyKey { index: 1 },
        "part 1 of the connection string has no key before '=': write key=value pairs, e.g. Database=legacy",
    );
    let e = err("Servr=h;Database=d;User Id=u;Password=Struct9pw", &secrets);
    assert_eq!(
        e,
        SourceError::UnknownKey {
            key: "Servr".into()
        }
    );
    assert!(e.to_string().starts_with(
        "unknown key 'Servr' in the connection string: expected Server, Database, User Id, Password, Encrypt, TrustServerCertificate, "
    ));
    // A single word is not a URL and not a key=value pair.
    assert_eq!(err("localhost", &[]), SourceError::NoEquals { index: 1 });
    refused(
        "Server=a;Data Source=b;Database=d;User Id=u;Password=Struct9pw",
        &secrets,
        SourceError::Duplicate {
            form: Form::ConnectionString,
            key: "Server".into(),
        },
        "Server is given twice in the connection string: keep one (synonyms count as the same key)",
    );
    let e = err(
        "Server=a;Database=d;UID=u;User Id=v;PWD=Struct9pw",
        &secrets,
    );
    assert!(matches!(e, SourceError::Duplicate { key, .. } if key == "User Id"));
}

#[test]
fn ado_missing_parts() {
    let secrets = ["M1ssing"];
    let cases = [
        (
            "Database=d;User Id=u;Password=M1ssing",
            Part::Host,
            "the connection string has no Server: add Server=host,1433 (or Data Source=host,1433)",
        ),
        (
            "Server=;Database=d;User Id=u;Password=M1ssing",
            Part::Host,
            "",
        ),
        (
            "Server=,1433;Database=d;User Id=u;Password=M1ssing",
            Part::Host,
            "",
        ),
        (
            "Server=h;User Id=u;Password=M1ssing",
            Part::Database,
            "the connection string has no Database: add Database=legacy (or Initial Catalog=legacy)",
        ),
        (
            "Server=h;Database=;User Id=u;Password=M1ssing",
            Part::Database,
            "",
        ),
        (
            "Server=h;Database=d;Password=M1ssing",
            Part::User,
            "the connection string has no User Id: add User Id=user, a SQL login (or UID=user)",
        ),
        (
            "Server=h;Database=d;User Id=u",
            Part::Password,
            "the connection string has no Password: add Password=… (or PWD=…), quoted if it contains ';', e.g. Password=\"a;b\"",
        ),
        (
            "Server=h;Database=d;User Id=u;Password=\"\"",
            Part::Password,
            "",
        ),
    ];
    for (input, part, text) in cases {
        let e = err(input, &secrets);
        assert_eq!(
            e,
            SourceError::Missing {
                form: Form::ConnectionString,
                part
            },
            "{input}"
        );
        if !text.is_empty() {
            assert_eq!(e.to_string(), text);
        }
    }
}

#[test]
fn ado_local_server_names() {
    for server in [
        ".",
        "(local)",
        "(LOCAL)",
        "localhost",
        "LocalHost",
        "tcp:.",
        " tcp: (local) ",
    ] {
        let s = ok(
            &format!("Server={server};Database=d;User Id=u;Password=L0calPw"),
            &["L0calPw"],
        );
        assert_eq!((s.host.as_str(), s.port), ("127.0.0.1", 1433), "{server}");
    }
    let s = ok(
        "Server=(local),1500;Database=d;User Id=u;Password=L0calPw",
        &["L0calPw"],
    );
    assert_eq!((s.host.as_str(), s.port), ("127.0.0.1", 1500));
    let s = ok(
        "Server=TCP:. , 1501;Database=d;User Id=u;Password=L0calPw",
        &["L0calPw"],
    );
    assert_eq!((s.host.as_str(), s.port), ("127.0.0.1", 1501));
}

#[test]
fn ado_ipv6() {
    let base = ";Database=d;User Id=u;Password=V6Pw9";
    for (server, host, port) in [
        ("tcp:[::1],1444", "::1", 1444),
        ("::1", "::1", 1433),
        ("[fe80::1]", "fe80::1", 1433),
        ("2001:db8::5,1500", "2001:db8::5", 1500),
    ] {
        let s = ok(&format!("Server={server}{base}"), &["V6Pw9"]);
        assert_eq!((s.host.as_str(), s.port), (host, port), "{server}");
    }
    let s = ok(&format!("Server=tcp:[::1],1444{base}"), &["V6Pw9"]);
    assert_eq!(s.redacted(), "mssql://u@[::1]:1444/d");
    refused(
        &format!("Server=[::zz]{base}"),
        &["V6Pw9"],
        SourceError::InvalidHost {
            form: Form::ConnectionString,
            host: "[::zz]".into(),
        },
        "'[::zz]' in the connection string is not a host name or IP address: use letters, digits, '-', '_' and '.', or an IPv6 address such as ::1 (e.g. Server=tcp:[::1],1433)",
    );
    assert!(matches!(
        err(&format!("Server=a:b:c{base}"), &["V6Pw9"]),
        SourceError::InvalidHost { .. }
    ));
}

#[test]
fn ado_server_errors() {
    let base = ";Database=d;User Id=u;Password=Srv9pw";
    let secrets = ["Srv9pw"];
    refused(
        &format!("Server=np:\\\\host\\pipe\\sql\\query{base}"),
        &secrets,
        SourceError::NotTcp {
            protocol: "np".into(),
        },
        "Server uses the 'np:' protocol: only TCP is supported, e.g. Server=tcp:host,1433",
    );
    refused(
        &format!("Server=host:1433{base}"),
        &secrets,
        SourceError::ColonPort,
        "Server in the connection string gives the port after ':': a connection string separates it with a comma, e.g. Server=tcp:host,1433",
    );
    for server in [
        "host\\SQLEXPRESS",
        "tcp:host\\SQLEXPRESS",
        "(localdb)\\MSSQLLocalDB",
    ] {
        refused(
            &format!("Server={server}{base}"),
            &secrets,
            SourceError::Instance {
                form: Form::ConnectionString,
            },
            "the connection string names a SQL Server instance (host\\instance) without a port: instance names are not supported, give the instance's TCP port instead, e.g. Server=tcp:host,1434",
        );
    }
    let s = ok(&format!("Server=host\\SQLEXPRESS,1500{base}"), &secrets);
    assert_eq!((s.host.as_str(), s.port), ("host", 1500));
    assert_eq!(s.notes().len(), 1);
    let e = err(&format!("Server=host,abc{base}"), &secrets);
    assert_eq!(
        e.to_string(),
        "the port in the connection string must be a number from 1 to 65535, not 'abc'"
    );
    assert!(matches!(
        err(&format!("Server=host,{base}"), &secrets),
        SourceError::InvalidPort { value, .. } if value.is_empty()
    ));
    let e = err(&format!("Server=bad host{base}"), &secrets);
    assert_eq!(
        e,
        SourceError::InvalidHost {
            form: Form::ConnectionString,
            host: "bad host".into()
        }
    );
}

#[test]
fn ado_only_sql_logins() {
    let base = "Server=h;Database=d";
    let secrets = ["Auth9pw"];
    for pair in [
        "Integrated Security=true",
        "Integrated Security=SSPI",
        "Trusted_Connection=yes",
    ] {
        let e = err(&format!("{base};{pair}"), &secrets);
        assert!(
            matches!(e, SourceError::NotSqlLogin { .. }),
            "{pair}: {e:?}"
        );
        assert!(
            e.to_string()
                .ends_with("is not supported: use a SQL login (User Id and Password)"),
            "{e}"
        );
    }
    assert_eq!(
        message(&format!("{base};Integrated Security=true"), &secrets),
        "Integrated Security=true (Windows authentication) is not supported: use a SQL login (User Id and Password)"
    );
    assert_eq!(
        message(
            &format!("{base};User Id=u;Password=Auth9pw;Authentication=ActiveDirectoryPassword"),
            &secrets
        ),
        "Authentication=ActiveDirectoryPassword is not supported: use a SQL login (User Id and Password)"
    );
    assert_eq!(
        message(
            &format!("{base};User Id=CORP\\etl;Password=Auth9pw"),
            &secrets
        ),
        "a Windows login (DOMAIN\\user) is not supported: use a SQL login (User Id and Password)"
    );
    assert!(matches!(
        err(&format!("{base};Integrated Security=maybe"), &secrets),
        SourceError::InvalidBool { .. }
    ));
    // Turned off, or SQL authentication named explicitly: fine.
    for pair in [
        "Integrated Security=False",
        "Trusted_Connection=no",
        "Authentication=SqlPassword",
        "Authentication=\"Sql Password\"",
    ] {
        let s = ok(
            &format!("{base};User Id=u;Password=Auth9pw;{pair}"),
            &secrets,
        );
        assert_eq!(s.user, "u", "{pair}");
    }
}

#[test]
fn ado_client_side_keys_are_ignored() {
    let s = ok(
        "Server=h;Database=d;User Id=u;Password=Ign0red;Persist Security Info=False;MultipleActiveResultSets=True;Pooling=true;Max Pool Size=10;Min Pool Size=1;Workstation ID=x;Packet Size=8000;Pooling=false",
        &["Ign0red"],
    );
    assert_eq!(s.user, "u");
    assert!(s.notes().is_empty());
    // Settings that would change behaviour are not silently dropped.
    assert_eq!(
        err(
            "Server=h;Password=Ign0red;Database=d;User Id=u;Column Encryption Setting=Enabled",
            &["Ign0red"]
        ),
        SourceError::UnknownKey {
            key: "Column Encryption Setting".into()
        }
    );
}
