//! An AMQP URL: parsed the way the broker will be reached, and shown
//! without its password.

use super::errors::RabbitError;
use lapin::uri::{AMQPScheme, AMQPUri};

/// The parts of an AMQP URL that may be shown.
#[derive(Debug, Clone)]
pub struct AmqpTarget {
    /// `amqp` or `amqps`.
    pub scheme: String,
    /// `host:port` (an IPv6 host in brackets).
    pub addr: String,
    pub user: String,
    pub vhost: String,
}

impl AmqpTarget {
    pub fn parse(url: &str) -> Result<AmqpTarget, RabbitError> {
        parse_url(url).map(|(target, _)| target)
    }

    /// `amqp://user@host:port/vhost` (or `amqps://`), never the password.
    pub fn redacted(&self) -> String {
        format!(
            "{}://{}@{}/{}",
            self.scheme,
            self.user,
            self.addr,
            self.vhost.replace('/', "%2f")
        )
    }
}

/// Parses an AMQP URL, refusing one without a host (lapin would quietly
/// take `localhost`), and takes the host as written, an IP address too.
pub(super) fn parse_url(url: &str) -> Result<(AmqpTarget, AMQPUri), RabbitError> {
    const SHAPE: &str = "amqp://USER:PASSWORD@HOST:PORT/VHOST, e.g. amqp://guest:guest@127.0.0.1:5672/%2f (%2f is the default vhost)";
    if url.trim().is_empty() {
        return Err(RabbitError::Url(format!(
            "is empty: give the broker as {SHAPE}"
        )));
    }
    let invalid = |e: String| {
        RabbitError::Url(format!(
            "is not a valid AMQP URL ({}): expected {SHAPE}",
            redact(&e, url)
        ))
    };
    let no_host = || {
        RabbitError::Url(
            "has no host: the HOST part of amqp://USER:PASSWORD@HOST:PORT/VHOST is missing; name the broker, e.g. amqp://guest:guest@127.0.0.1:5672/%2f".into(),
        )
    };
    let parsed = ::url::Url::parse(url).map_err(|e| match e {
        ::url::ParseError::EmptyHost => no_host(),
        e => invalid(e.to_string()),
    })?;
    let mut uri: AMQPUri = url.parse().map_err(invalid)?;
    match parsed.host() {
        Some(::url::Host::Domain(d)) if !d.is_empty() => {}
        Some(::url::Host::Ipv4(ip)) => uri.authority.host = ip.to_string(),
        Some(::url::Host::Ipv6(ip)) => uri.authority.host = ip.to_string(),
        _ => return Err(no_host()),
    }
    let host = &uri.authority.host;
    let addr = if host.contains(':') {
        format!("[{host}]:{}", uri.authority.port)
    } else {
        format!("{host}:{}", uri.authority.port)
    };
    let target = AmqpTarget {
        scheme: match uri.scheme {
            AMQPScheme::AMQP => "amqp".into(),
            AMQPScheme::AMQPS => "amqps".into(),
        },
        addr,
        user: uri.authority.userinfo.username.clone(),
        vhost: uri.vhost.clone(),
    };
    Ok((target, uri))
}

/// Removes the URL (which holds the password) from a parser message.
pub(super) fn redact(message: &str, url: &str) -> String {
    if url.is_empty() {
        return message.to_owned();
    }
    message.replace(url, "<url>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_without_a_host_is_refused_and_says_which_part_is_missing() {
        for url in [
            "amqp://",
            "amqp:///%2f",
            "amqp://loader:pw-secret@/%2f",
            "amqp://loader:pw-secret@:5672/%2f",
        ] {
            let e = AmqpTarget::parse(url).err().map(|e| e.to_string());
            let e = e.unwrap_or_else(|| panic!("{url} was taken"));
            assert!(
                e.contains("has no host") && e.contains("HOST"),
                "{url}: {e}"
            );
            assert!(!e.contains("pw-secret"), "{e}");
        }
    }

    #[test]
    fn an_empty_url_reads_well() {
        let e = AmqpTarget::parse("").err().unwrap().to_string();
        assert!(e.starts_with("--amqp-url is empty"), "{e}");
        assert!(!e.contains("<url>"), "{e}");
        let e = AmqpTarget::parse("nonsense").err().unwrap().to_string();
        assert!(e.contains("not a valid AMQP URL"), "{e}");
        assert!(e.matches("<url>").count() <= 1, "{e}");
    }

    #[test]
    fn hosts_are_taken_as_written_and_amqps_is_shown_as_amqps() {
        let t = AmqpTarget::parse("amqps://loader:s3cret@rabbit.example.com:5671/prod").unwrap();
        assert_eq!(t.redacted(), "amqps://loader@rabbit.example.com:5671/prod");
        let t = AmqpTarget::parse("amqp://u:p@10.1.2.3/%2f").unwrap();
        assert_eq!(t.redacted(), "amqp://u@10.1.2.3:5672/%2f");
        let (t, uri) = parse_url("amqp://u:p@[::1]:5673/v").unwrap();
        assert_eq!(t.addr, "[::1]:5673");
        assert_eq!(uri.authority.host, "::1");
    }
}
