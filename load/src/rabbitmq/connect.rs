//! A connection to the broker within a timeout, and each way that fails
//! told apart: nothing listening, a wrong login, a missing vhost, no answer.

use super::errors::RabbitError;
use super::options::DEFAULT_CONNECT_TIMEOUT;
use super::url::{AmqpTarget, parse_url, redact};
use lapin::{Connection, ConnectionProperties};
use std::time::Duration;

/// Connects (waiting at most [`DEFAULT_CONNECT_TIMEOUT`]) and classifies
/// the ways that can fail.
pub async fn connect(url: &str) -> Result<(Connection, AmqpTarget), RabbitError> {
    connect_within(url, DEFAULT_CONNECT_TIMEOUT).await
}

/// Connects, giving the TCP connect and the AMQP handshake together at most
/// `timeout`, and classifies the ways that can fail.
pub async fn connect_within(
    url: &str,
    timeout: Duration,
) -> Result<(Connection, AmqpTarget), RabbitError> {
    let (target, uri) = parse_url(url)?;
    let properties = ConnectionProperties::default().with_connection_name("pancake load".into());
    let e = match tokio::time::timeout(timeout, Connection::connect_uri(uri, properties)).await {
        Ok(Ok(c)) => return Ok((c, target)),
        Ok(Err(e)) => e,
        Err(_) => {
            return Err(RabbitError::ConnectTimeout {
                addr: target.addr,
                seconds: timeout.as_secs_f64().ceil() as u64,
            });
        }
    };
    let text = e.to_string();
    let lower = text.to_lowercase();
    let says = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    Err(if says(&["refused"]) && !says(&["access"]) {
        RabbitError::Refused { addr: target.addr }
    } else if says(&["access_refused", "access-refused", "auth", "login", "403"]) {
        RabbitError::Login {
            addr: target.addr,
            user: target.user,
        }
    } else if says(&["vhost", "not_allowed", "not-allowed", "530"]) {
        RabbitError::Vhost {
            addr: target.addr,
            vhost: target.vhost,
            user: target.user,
        }
    } else {
        let hint = if target.scheme == "amqps" {
            "; amqps:// needs the broker's TLS listener (usually port 5671): check the scheme and port of --amqp-url"
        } else {
            ""
        };
        RabbitError::Broker {
            addr: target.addr.clone(),
            action: "connecting".into(),
            message: format!("{}{hint}", redact(&text, url)),
            lost: true,
        }
    })
}
