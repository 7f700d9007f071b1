//! The ADO.NET connection string form:
//! `Server=tcp:host,1433;Database=legacy;User Id=user;Password=p`.

use super::error::shown;
use super::shared::{
    Draft, check_host_name, normal_key, parse_application_name, parse_bool, parse_ca_file,
    parse_encrypt, parse_port, parse_timeout, strip_instance,
};
use super::{DEFAULT_PORT, Form, Source, SourceError};
use std::net::Ipv6Addr;

/// The connection string keys, by their name with case and spaces ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AdoKey {
    Server,
    Database,
    User,
    Password,
    Encrypt,
    TrustServerCertificate,
    TrustServerCertificateCa,
    ApplicationName,
    ConnectTimeout,
    IntegratedSecurity,
    Authentication,
    HostNameInCertificate,
    /// Client-side settings (pooling and the like) with no bearing on how
    /// the extractor connects.
    Ignored,
}

impl AdoKey {
    fn from_key(key: &str) -> Option<AdoKey> {
        Some(match normal_key(key, char::is_whitespace).as_str() {
            "server" | "datasource" | "address" | "addr" | "networkaddress" => AdoKey::Server,
            "database" | "initialcatalog" => AdoKey::Database,
            "userid" | "uid" | "user" | "username" => AdoKey::User,
            "password" | "pwd" => AdoKey::Password,
            "encrypt" => AdoKey::Encrypt,
            "trustservercertificate" => AdoKey::TrustServerCertificate,
            "trustservercertificateca" => AdoKey::TrustServerCertificateCa,
            "applicationname" | "app" => AdoKey::ApplicationName,
            "connecttimeout" | "connectiontimeout" | "timeout" => AdoKey::ConnectTimeout,
            "integratedsecurity" | "trusted_connection" => AdoKey::IntegratedSecurity,
            "authentication" => AdoKey::Authentication,
            "hostnameincertificate" => AdoKey::HostNameInCertificate,
            "persistsecurityinfo"
            | "multipleactiveresultsets"
            | "pooling"
            | "minpoolsize"
            | "maxpoolsize"
            | "connectionlifetime"
            | "loadbalancetimeout"
            | "enlist"
            | "workstationid"
            | "wsid"
            | "packetsize" => AdoKey::Ignored,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            AdoKey::Server => "Server",
            AdoKey::Database => "Database",
            AdoKey::User => "User Id",
            AdoKey::Password => "Password",
            AdoKey::Encrypt => "Encrypt",
            AdoKey::TrustServerCertificate => "TrustServerCertificate",
            AdoKey::TrustServerCertificateCa => "TrustServerCertificateCA",
            AdoKey::ApplicationName => "Application Name",
            AdoKey::ConnectTimeout => "Connect Timeout",
            AdoKey::IntegratedSecurity => "Integrated Security",
            AdoKey::Authentication => "Authentication",
            AdoKey::HostNameInCertificate => "HostNameInCertificate",
            AdoKey::Ignored => "an ignored key",
        }
    }
}

pub(super) fn parse_connection_string(s: &str) -> Result<Source, SourceError> {
    let mut draft = Draft::new(Form::ConnectionString);
    let mut seen = Vec::new();
    let bytes = s.as_bytes();
    let len = bytes.len();
    let mut i = 0;
    let mut index = 0;
    // A password left unquoted that contained a ';' shows up as a broken
    // part right after it; say so rather than quote the fragment back.
    let mut after_unquoted_password = false;
    loop {
        while i < len && (bytes[i] == b';' || bytes[i].is_ascii_whitespace()) {
            i += 1;
        }
        if i >= len {
            break;
        }
        index += 1;
        let broken = |error: SourceError| {
            if after_unquoted_password {
                SourceError::AfterPassword { index }
            } else {
                error
            }
        };

        let key_start = i;
        while i < len && bytes[i] != b'=' && bytes[i] != b';' {
            i += 1;
        }
        if i >= len || bytes[i] == b';' {
            return Err(broken(SourceError::NoEquals { index }));
        }
        let key = s[key_start..i].trim();
        i += 1;
        if key.is_empty() {
            return Err(broken(SourceError::EmptyKey { index }));
        }
        let Some(ado_key) = AdoKey::from_key(key) else {
            return Err(broken(SourceError::UnknownKey { key: shown(key) }));
        };

        while i < len && bytes[i] != b';' && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let quoted = i < len && matches!(bytes[i], b'"' | b'\'');
        let value = if quoted {
            let quote = bytes[i];
            i += 1;
            let mut value = String::new();
            let mut run = i;
            loop {
                if i >= len {
                    return Err(SourceError::UnclosedQuote {
                        key: key.to_owned(),
                    });
                }
                if bytes[i] == quote {
                    value.push_str(&s[run..i]);
                    if i + 1 < len && bytes[i + 1] == quote {
                        value.push(quote as char);
                        i += 2;
                        run = i;
                        continue;
                    }
                    i += 1;
                    break;
                }
                i += 1;
            }
            while i < len && bytes[i] != b';' {
                if !bytes[i].is_ascii_whitespace() {
                    return Err(SourceError::TextAfterQuote {
                        key: key.to_owned(),
                    });
                }
                i += 1;
            }
            value
        } else {
            let start = i;
            while i < len && bytes[i] != b';' {
                i += 1;
            }
            s[start..i].trim().to_owned()
        };
        after_unquoted_password = ado_key == AdoKey::Password && !quoted;

        if ado_key != AdoKey::Ignored {
            if seen.contains(&ado_key) {
                return Err(SourceError::Duplicate {
                    form: Form::ConnectionString,
                    key: ado_key.name().into(),
                });
            }
            seen.push(ado_key);
        }
        apply_ado(&mut draft, ado_key, key, &value)?;
    }
    draft.finish()
}

fn apply_ado(
    draft: &mut Draft,
    ado_key: AdoKey,
    key: &str,
    value: &str,
) -> Result<(), SourceError> {
    match ado_key {
        AdoKey::Server => {
            let (host, port) = parse_ado_server(value, &mut draft.notes)?;
            draft.host = Some(host);
            draft.port = port;
        }
        AdoKey::Database => draft.database = Some(value.to_owned()),
        AdoKey::User => draft.user = Some(value.to_owned()),
        AdoKey::Password => draft.password = Some(value.to_owned()),
        AdoKey::Encrypt => draft.encrypt = parse_encrypt(key, value, &mut draft.notes)?,
        AdoKey::TrustServerCertificate => {
            draft.trust_server_certificate = parse_bool(key, value)?;
        }
        AdoKey::TrustServerCertificateCa => draft.ca_file = Some(parse_ca_file(key, value)?),
        AdoKey::ApplicationName => draft.application_name = parse_application_name(key, value)?,
        AdoKey::ConnectTimeout => draft.connect_timeout = parse_timeout(key, value)?,
        AdoKey::IntegratedSecurity => {
            let on = value.trim().eq_ignore_ascii_case("sspi") || parse_bool(key, value)?;
            if on {
                return Err(SourceError::NotSqlLogin {
                    what: format!("{}={} (Windows authentication)", shown(key), shown(value)),
                });
            }
        }
        AdoKey::Authentication => {
            let normal: String = value
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase();
            if normal != "sqlpassword" {
                return Err(SourceError::NotSqlLogin {
                    what: format!("{}={}", shown(key), shown(value)),
                });
            }
        }
        AdoKey::HostNameInCertificate => draft.notes.push(
            "HostNameInCertificate is ignored: the server's certificate must name the host in Server (or use TrustServerCertificateCA or TrustServerCertificate)"
                .to_owned(),
        ),
        AdoKey::Ignored => {}
    }
    Ok(())
}

/// `[tcp:]host[,port]`, host also `[::1]`, `::1`, `.`, `(local)`.
fn parse_ado_server(value: &str, notes: &mut Vec<String>) -> Result<(String, u16), SourceError> {
    let form = Form::ConnectionString;
    let mut value = value.trim();
    if let Some((protocol, rest)) = value.split_once(':') {
        match protocol.trim().to_ascii_lowercase().as_str() {
            "tcp" => value = rest.trim(),
            "np" | "lpc" | "admin" | "via" => {
                return Err(SourceError::NotTcp {
                    protocol: protocol.trim().to_owned(),
                });
            }
            _ => {}
        }
    }
    let (host, port) = match value.split_once(',') {
        Some((host, port)) => (host.trim(), Some(parse_port(form, port)?)),
        None => (value, None),
    };
    let host = strip_instance(form, host, port.is_some(), notes)?;
    let port = port.unwrap_or(DEFAULT_PORT);

    let unbracketed = host.strip_prefix('[').and_then(|h| h.strip_suffix(']'));
    if let Some(address) = unbracketed {
        return match address.parse::<Ipv6Addr>() {
            Ok(_) => Ok((address.to_owned(), port)),
            Err(_) => Err(SourceError::InvalidHost {
                form,
                host: shown(host),
            }),
        };
    }
    if host.contains(':') {
        if host.parse::<Ipv6Addr>().is_ok() {
            return Ok((host.to_owned(), port));
        }
        let looks_like_port = host.rsplit_once(':').is_some_and(|(name, port)| {
            !name.contains(':') && !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
        });
        return Err(if looks_like_port {
            SourceError::ColonPort
        } else {
            SourceError::InvalidHost {
                form,
                host: shown(host),
            }
        });
    }
    if host == "." || host.eq_ignore_ascii_case("(local)") || host.eq_ignore_ascii_case("localhost")
    {
        return Ok(("127.0.0.1".to_owned(), port));
    }
    check_host_name(form, host)?;
    Ok((host.to_owned(), port))
}
