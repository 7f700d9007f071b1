//! What both forms read alike: encryption values, Windows logins, long values.

use super::*;

#[test]
fn url_long_values_are_cut_in_messages() {
    let value = "x".repeat(100);
    let e = err(
        &format!("mssql://sa:Cut9pw@host/legacy?encrypt={value}"),
        &["Cut9pw"],
    );
    let text = e.to_string();
    assert!(text.contains(&format!("'{}…'", "x".repeat(40))), "{text}");
    assert!(!text.contains(&"x".repeat(41)), "{text}");
}

#[test]
fn url_windows_login_is_refused() {
    let e = err("mssql://CORP%5Cetl:W1nPw@host/legacy", &["W1nPw"]);
    assert_eq!(
        e.to_string(),
        "a Windows login (DOMAIN\\user) is not supported: use a SQL login (User Id and Password)"
    );
}

/// Parses `input` (password `secret`), which must ask for `expected`
/// encryption and leave no note.
fn encrypt_reads_as(input: &str, secret: &str, expected: Encrypt) {
    let s = ok(input, &[secret]);
    assert_eq!(s.encrypt, expected, "{input}");
    assert!(s.notes().is_empty(), "{input}");
}

/// Parses `input` (password `secret`), which asks for strict encryption:
/// it must read as required, with one note, which is returned.
fn strict_note(input: &str, secret: &str) -> String {
    let s = ok(input, &[secret]);
    assert_eq!(s.encrypt, Encrypt::Required);
    assert_eq!(s.notes().len(), 1, "{:?}", s.notes());
    s.notes()[0].clone()
}

#[test]
fn url_encrypt_values() {
    for (value, expected) in [
        ("true", Encrypt::Required),
        ("yes", Encrypt::Required),
        ("Mandatory", Encrypt::Required),
        ("false", Encrypt::Off),
        ("NO", Encrypt::Off),
        ("optional", Encrypt::Off),
    ] {
        encrypt_reads_as(
            &format!("mssql://sa:Enc9pw@h/db?encrypt={value}"),
            "Enc9pw",
            expected,
        );
    }
    let note = strict_note("mssql://sa:Enc9pw@h/db?encrypt=strict", "Enc9pw");
    assert!(note.starts_with("encrypt=strict (TDS 8.0"), "{note}");
}

#[test]
fn ado_encrypt_values() {
    let base = "Server=h;Database=d;User Id=u;Password=Encr9pw";
    for (value, expected) in [
        ("true", Encrypt::Required),
        ("True", Encrypt::Required),
        ("yes", Encrypt::Required),
        ("Mandatory", Encrypt::Required),
        ("false", Encrypt::Off),
        ("FALSE", Encrypt::Off),
        ("no", Encrypt::Off),
        ("Optional", Encrypt::Off),
    ] {
        encrypt_reads_as(&format!("{base};Encrypt={value}"), "Encr9pw", expected);
    }
    let note = strict_note(&format!("{base};Encrypt=Strict"), "Encr9pw");
    assert!(note.starts_with("Encrypt=strict (TDS 8.0"), "{note}");
    assert!(note.contains("using mandatory"), "{note}");
    assert_eq!(
        message(&format!("{base};Encrypt=maybe"), &["Encr9pw"]),
        "Encrypt must be true or false (or mandatory, optional, strict), not 'maybe'"
    );
    assert_eq!(
        message(
            &format!("{base};TrustServerCertificate=maybe"),
            &["Encr9pw"]
        ),
        "TrustServerCertificate must be true or false, not 'maybe'"
    );
    assert_eq!(
        message(&format!("{base};Connect Timeout=0"), &["Encr9pw"]),
        "Connect Timeout must be a whole number of seconds from 1 to 86400, not '0'"
    );
    assert_eq!(
        message(&format!("{base};App="), &["Encr9pw"]),
        "App must be 1 to 128 characters long"
    );
    assert_eq!(
        message(&format!("{base};TrustServerCertificateCA="), &["Encr9pw"]),
        "TrustServerCertificateCA is empty: give the path of the CA certificate (PEM, CRT or DER) that signed the server's certificate"
    );
    refused(
        &format!("{base};TrustServerCertificate=true;TrustServerCertificateCA=/ca.pem"),
        &["Encr9pw"],
        SourceError::TrustAndCa {
            form: Form::ConnectionString,
        },
        "both TrustServerCertificate=True and TrustServerCertificateCA are set: pick one (TrustServerCertificateCA checks the server's certificate against that CA, TrustServerCertificate=True accepts any certificate)",
    );
}
