//! The parts of a `postgres://` URL that the driver does not report: its
//! password (to keep it out of every message) and whether it names a host
//! at all (the driver quietly falls back to a local socket when not).

/// The password of a `scheme://user:password@host/...` URL, decoded.
pub fn password(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let userinfo = authority.rsplit_once('@')?.0;
    let raw = userinfo.split_once(':')?.1;
    let mut out = Vec::new();
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = raw
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// Whether the URL names the server's host: in its authority
/// (`postgres://user@HOST:port/db`) or as a `host=` / `hostaddr=`
/// parameter (`postgres:///db?host=/run/postgresql` for a Unix socket).
pub fn names_host(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match hostport.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => hostport.split(':').next().unwrap_or(""),
    };
    if !host.is_empty() {
        return true;
    }
    let query = rest.split_once('?').map_or("", |(_, q)| q);
    let query = query.split('#').next().unwrap_or("");
    query.split('&').any(|pair| {
        matches!(pair.split_once('='), Some(("host" | "hostaddr", value)) if !value.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_decoded() {
        assert_eq!(password("postgres://a:b%2Fc@h/d").as_deref(), Some("b/c"));
        assert_eq!(password("postgres://a@h/d"), None);
    }

    #[test]
    fn a_host_is_in_the_authority_or_a_parameter() {
        for url in [
            "postgres://h",
            "postgres://u:p@h:5432/d",
            "postgres://u@[::1]:5432/d",
            "postgres:///d?host=/run/postgresql",
            "postgres://u@/d?sslmode=disable&hostaddr=127.0.0.1",
        ] {
            assert!(names_host(url), "{url}");
        }
        for url in [
            "postgres://",
            "postgres:///postgres",
            "postgres://u:p@/d",
            "postgres://u:p@:5432/d",
            "postgresql://?sslmode=disable",
            "postgres:///d?host=",
            "postgres://[]:5432/d",
        ] {
            assert!(!names_host(url), "{url}");
        }
    }
}
