//! Values shared by both forms: the draft each fills in, and the values
//! (booleans, encryption, timeouts, ports, host names) they read alike.

use super::error::shown;
use super::{DEFAULT_APPLICATION_NAME, DEFAULT_CONNECT_TIMEOUT, DEFAULT_PORT};
use super::{Encrypt, Form, Part, Password, Source, SourceError};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

const MAX_CONNECT_TIMEOUT_SECS: u64 = 86_400;
/// The longest application name a TDS login carries.
const MAX_APPLICATION_NAME_CHARS: usize = 128;

/// What both forms fill in before the required parts are checked.
pub(super) struct Draft {
    pub(super) form: Form,
    pub(super) host: Option<String>,
    pub(super) port: u16,
    pub(super) database: Option<String>,
    pub(super) user: Option<String>,
    pub(super) password: Option<String>,
    pub(super) encrypt: Encrypt,
    pub(super) trust_server_certificate: bool,
    pub(super) ca_file: Option<PathBuf>,
    pub(super) application_name: String,
    pub(super) connect_timeout: Duration,
    pub(super) notes: Vec<String>,
}

impl Draft {
    pub(super) fn new(form: Form) -> Draft {
        Draft {
            form,
            host: None,
            port: DEFAULT_PORT,
            database: None,
            user: None,
            password: None,
            encrypt: Encrypt::Off,
            trust_server_certificate: false,
            ca_file: None,
            application_name: DEFAULT_APPLICATION_NAME.to_owned(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            notes: Vec::new(),
        }
    }

    pub(super) fn finish(self) -> Result<Source, SourceError> {
        let form = self.form;
        let required = |value: Option<String>, part: Part| {
            value
                .filter(|v| !v.is_empty())
                .ok_or(SourceError::Missing { form, part })
        };
        let host = required(self.host, Part::Host)?;
        let database = required(self.database, Part::Database)?;
        let user = required(self.user, Part::User)?;
        let password = required(self.password, Part::Password)?;
        if user.contains('\\') {
            return Err(SourceError::NotSqlLogin {
                what: "a Windows login (DOMAIN\\user)".into(),
            });
        }
        if self.trust_server_certificate && self.ca_file.is_some() {
            return Err(SourceError::TrustAndCa { form });
        }
        Ok(Source {
            host,
            port: self.port,
            database,
            user,
            password: Password(password),
            encrypt: self.encrypt,
            trust_server_certificate: self.trust_server_certificate,
            ca_file: self.ca_file,
            application_name: self.application_name,
            connect_timeout: self.connect_timeout,
            notes: self.notes,
        })
    }
}

/// A key as both forms match it: lower case, without the characters
/// `ignored` says each form ignores in keys (spaces, or '_' and '-').
pub(super) fn normal_key(key: &str, ignored: impl Fn(char) -> bool) -> String {
    key.chars()
        .filter(|&c| !ignored(c))
        .collect::<String>()
        .to_ascii_lowercase()
}

/// `value` without surrounding spaces as a whole number: digits only (no
/// sign), and `None` when it does not fit `T`.
fn whole_number<T: FromStr>(value: &str) -> Option<T> {
    let trimmed = value.trim();
    if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        trimmed.parse().ok()
    } else {
        None
    }
}

pub(super) fn parse_bool(key: &str, value: &str) -> Result<bool, SourceError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" => Ok(true),
        "false" | "no" => Ok(false),
        _ => Err(SourceError::InvalidBool {
            key: key.to_owned(),
            value: shown(value),
        }),
    }
}

pub(super) fn parse_encrypt(
    key: &str,
    value: &str,
    notes: &mut Vec<String>,
) -> Result<Encrypt, SourceError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "mandatory" => Ok(Encrypt::Required),
        "false" | "no" | "optional" => Ok(Encrypt::Off),
        "strict" => {
            notes.push(format!(
                "{key}=strict (TDS 8.0, TLS before anything else) is not available in this client: using mandatory, which encrypts everything after the first PRELOGIN exchange"
            ));
            Ok(Encrypt::Required)
        }
        _ => Err(SourceError::InvalidEncrypt {
            key: key.to_owned(),
            value: shown(value),
        }),
    }
}

pub(super) fn parse_timeout(key: &str, value: &str) -> Result<Duration, SourceError> {
    match whole_number::<u64>(value) {
        Some(s) if (1..=MAX_CONNECT_TIMEOUT_SECS).contains(&s) => Ok(Duration::from_secs(s)),
        _ => Err(SourceError::InvalidTimeout {
            key: key.to_owned(),
            value: shown(value),
        }),
    }
}

pub(super) fn parse_application_name(key: &str, value: &str) -> Result<String, SourceError> {
    let count = value.chars().count();
    if count == 0 || count > MAX_APPLICATION_NAME_CHARS {
        return Err(SourceError::InvalidApplicationName {
            key: key.to_owned(),
        });
    }
    Ok(value.to_owned())
}

pub(super) fn parse_ca_file(key: &str, value: &str) -> Result<PathBuf, SourceError> {
    if value.trim().is_empty() {
        return Err(SourceError::EmptyCaFile {
            key: key.to_owned(),
        });
    }
    Ok(PathBuf::from(value))
}

pub(super) fn parse_port(form: Form, value: &str) -> Result<u16, SourceError> {
    match whole_number::<u16>(value) {
        Some(p) if p != 0 => Ok(p),
        _ => Err(SourceError::InvalidPort {
            form,
            value: shown(value),
        }),
    }
}

/// A host name or IPv4 address: letters, digits, '-', '_', '.'.
pub(super) fn check_host_name(form: Form, host: &str) -> Result<(), SourceError> {
    if host.is_empty() {
        return Err(SourceError::Missing {
            form,
            part: Part::Host,
        });
    }
    if host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        Ok(())
    } else {
        Err(SourceError::InvalidHost {
            form,
            host: shown(host),
        })
    }
}

/// Splits off a `\instance` suffix. Without a port, an instance is an error
/// (finding its port needs the SQL Browser); with one, the port already
/// names the instance and the name is dropped with a note.
pub(super) fn strip_instance<'a>(
    form: Form,
    host: &'a str,
    has_port: bool,
    notes: &mut Vec<String>,
) -> Result<&'a str, SourceError> {
    let cut = host.find('\\').or_else(|| {
        host.to_ascii_lowercase()
            .find("%5c")
            .filter(|_| form == Form::Url)
    });
    match cut {
        None => Ok(host),
        Some(_) if !has_port => Err(SourceError::Instance { form }),
        Some(at) => {
            notes.push(
                "the instance name after '\\' is ignored: the port given identifies the instance"
                    .to_owned(),
            );
            Ok(&host[..at])
        }
    }
}
