//! The URL form: `mssql://user:password@host:port/database?options`.

use super::error::shown;
use super::shared::{
    Draft, check_host_name, normal_key, parse_application_name, parse_bool, parse_ca_file,
    parse_encrypt, parse_port, parse_timeout, strip_instance,
};
use super::{DEFAULT_PORT, Form, Part, Source, SourceError};
use std::net::Ipv6Addr;

/// The scheme of `scheme://…`, if the input starts like that.
pub(super) fn url_scheme(s: &str) -> Option<&str> {
    let end = s.find("://")?;
    let scheme = &s[..end];
    let mut bytes = scheme.bytes();
    let first = bytes.next()?;
    (first.is_ascii_alphabetic()
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))
    .then_some(scheme)
}

pub(super) fn parse_url(s: &str, scheme: &str) -> Result<Source, SourceError> {
    if !scheme.eq_ignore_ascii_case("mssql") && !scheme.eq_ignore_ascii_case("sqlserver") {
        return Err(SourceError::UnsupportedScheme {
            scheme: shown(scheme),
        });
    }
    let mut draft = Draft::new(Form::Url);
    let rest = &s[scheme.len() + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, after) = rest.split_at(authority_end);

    // The last '@' ends the user information, so a raw '@' in the password
    // still works; a raw '/', '?' or '#' in it cannot.
    let Some(at) = authority.rfind('@') else {
        return Err(SourceError::Missing {
            form: Form::Url,
            part: Part::User,
        });
    };
    let (userinfo, host_port) = (&authority[..at], &authority[at + 1..]);
    let (user, password) = match userinfo.split_once(':') {
        Some((user, password)) => (user, Some(password)),
        None => (userinfo, None),
    };
    draft.user = Some(percent_decode("user", user)?);
    draft.password = password
        .map(|p| percent_decode("password", p))
        .transpose()?;

    let (host, port) = parse_url_host(host_port, &mut draft.notes)?;
    draft.host = Some(host);
    draft.port = port;

    if after.contains('#') {
        return Err(SourceError::UrlFragment);
    }
    let (path, query) = match after.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (after, None),
    };
    let path = path.strip_prefix('/').unwrap_or(path);
    let path = path.strip_suffix('/').unwrap_or(path);
    if path.contains('/') {
        return Err(SourceError::UrlPath);
    }
    draft.database = Some(percent_decode("database", path)?);

    if let Some(query) = query {
        parse_url_options(query, &mut draft)?;
    }
    draft.finish()
}

fn parse_url_host(host_port: &str, notes: &mut Vec<String>) -> Result<(String, u16), SourceError> {
    let form = Form::Url;
    if host_port.is_empty() {
        return Err(SourceError::Missing {
            form,
            part: Part::Host,
        });
    }
    if let Some(bracketed) = host_port.strip_prefix('[') {
        let invalid = || SourceError::InvalidHost {
            form,
            host: shown(host_port),
        };
        let (address, after) = bracketed.split_once(']').ok_or_else(invalid)?;
        address.parse::<Ipv6Addr>().map_err(|_| invalid())?;
        let port = match after {
            "" => DEFAULT_PORT,
            _ => match after.strip_prefix(':') {
                Some(port) => parse_port(form, port)?,
                None => return Err(invalid()),
            },
        };
        return Ok((address.to_owned(), port));
    }
    if host_port.matches(':').count() > 1 {
        // An IPv6 address without brackets.
        return Err(SourceError::InvalidHost {
            form,
            host: shown(host_port),
        });
    }
    let (host, port) = match host_port.split_once(':') {
        Some((host, port)) => (host, Some(parse_port(form, port)?)),
        None => (host_port, None),
    };
    let host = strip_instance(form, host, port.is_some(), notes)?;
    check_host_name(form, host)?;
    Ok((host.to_owned(), port.unwrap_or(DEFAULT_PORT)))
}

/// The URL options, by their key with case, '_' and '-' ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UrlOption {
    Encrypt,
    TrustServerCertificate,
    CaFile,
    ApplicationName,
    ConnectTimeout,
}

impl UrlOption {
    fn from_key(key: &str) -> Option<UrlOption> {
        Some(match normal_key(key, |c| matches!(c, '_' | '-')).as_str() {
            "encrypt" => UrlOption::Encrypt,
            "trustservercertificate" => UrlOption::TrustServerCertificate,
            "cafile" => UrlOption::CaFile,
            "applicationname" => UrlOption::ApplicationName,
            "connecttimeout" => UrlOption::ConnectTimeout,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            UrlOption::Encrypt => "encrypt",
            UrlOption::TrustServerCertificate => "trust_server_certificate",
            UrlOption::CaFile => "ca_file",
            UrlOption::ApplicationName => "application_name",
            UrlOption::ConnectTimeout => "connect_timeout",
        }
    }
}

fn parse_url_options(query: &str, draft: &mut Draft) -> Result<(), SourceError> {
    let mut seen = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = match pair.split_once('=') {
            Some((key, value)) => (key, Some(value)),
            None => (pair, None),
        };
        let key = percent_decode("option name", key)?;
        let option = UrlOption::from_key(&key)
            .ok_or_else(|| SourceError::UnknownOption { key: shown(&key) })?;
        let name = option.name();
        let Some(value) = value else {
            return Err(SourceError::OptionWithoutValue { key: name.into() });
        };
        if seen.contains(&option) {
            return Err(SourceError::Duplicate {
                form: Form::Url,
                key: name.into(),
            });
        }
        seen.push(option);
        let value = percent_decode(name, value)?;
        match option {
            UrlOption::Encrypt => draft.encrypt = parse_encrypt(name, &value, &mut draft.notes)?,
            UrlOption::TrustServerCertificate => {
                draft.trust_server_certificate = parse_bool(name, &value)?;
            }
            UrlOption::CaFile => draft.ca_file = Some(parse_ca_file(name, &value)?),
            UrlOption::ApplicationName => {
                draft.application_name = parse_application_name(name, &value)?;
            }
            UrlOption::ConnectTimeout => draft.connect_timeout = parse_timeout(name, &value)?,
        }
    }
    Ok(())
}

/// Decodes `%XX`; a '%' not followed by two hex digits stays as it is, so a
/// raw password with a '%' in it still works.
fn percent_decode(part: &str, s: &str) -> Result<String, SourceError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((high * 16 + low) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).map_err(|_| SourceError::BadPercentEncoding {
        part: part.to_owned(),
    })
}

/// Encodes all but the unreserved characters and those in `keep`.
pub(super) fn percent_encode(s: &str, keep: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || keep.as_bytes().contains(&b)
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
