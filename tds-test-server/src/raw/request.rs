//! What a client sends: PRELOGIN, LOGIN7, ALL_HEADERS and RPC payloads.

use super::TDS_7_4;
use std::fmt;

/// UTF-16LE bytes of a string.
pub fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

/// A PRELOGIN payload with a version and the encryption option `encryption`
/// ([`ENCRYPT_OFF`](super::ENCRYPT_OFF), [`ENCRYPT_ON`](super::ENCRYPT_ON)
/// or [`ENCRYPT_NOT_SUP`](super::ENCRYPT_NOT_SUP)).
pub fn prelogin(encryption: u8) -> Vec<u8> {
    vec![
        0x00, 0x00, 0x0B, 0x00, 0x06, 0x01, 0x00, 0x11, 0x00, 0x01, 0xFF, 0, 0, 0, 0, 0, 0,
        encryption,
    ]
}

/// A LOGIN7 with SQL Server authentication. [`Login7::new`] asks for TDS
/// 7.4, packets of 4096 bytes (tiberius's default) and the `legacy`
/// database; the builder methods change that.
///
/// Its `Debug` never shows the password.
#[derive(Clone)]
pub struct Login7 {
    user: String,
    password: String,
    database: String,
    packet_size: u32,
    tds_version: u32,
    host: String,
    app: String,
}

impl fmt::Debug for Login7 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login7")
            .field("user", &self.user)
            .field("database", &self.database)
            .field("packet_size", &self.packet_size)
            .field("tds_version", &format_args!("{:#010x}", self.tds_version))
            .finish_non_exhaustive()
    }
}

impl Login7 {
    pub fn new(user: &str, password: &str) -> Login7 {
        Login7 {
            user: user.to_owned(),
            password: password.to_owned(),
            database: "legacy".to_owned(),
            packet_size: 4096,
            tds_version: TDS_7_4,
            host: "raw-host".to_owned(),
            app: "pancake-raw-client".to_owned(),
        }
    }

    /// The database to log in to (empty: the login's default one).
    pub fn database(mut self, database: &str) -> Login7 {
        self.database = database.to_owned();
        self
    }

    /// The packet size asked for (0: the server's).
    pub fn packet_size(mut self, packet_size: u32) -> Login7 {
        self.packet_size = packet_size;
        self
    }

    /// The TDS version asked for, as clients write it (`0x74000004`).
    pub fn tds_version(mut self, tds_version: u32) -> Login7 {
        self.tds_version = tds_version;
        self
    }

    /// The LOGIN7 payload.
    pub fn to_bytes(&self) -> Vec<u8> {
        let fields: [Vec<u8>; 9] = [
            utf16(&self.host),
            utf16(&self.user),
            utf16(&self.password)
                .iter()
                .map(|b| b.rotate_left(4) ^ 0xA5)
                .collect(),
            utf16(&self.app),
            Vec::new(), // server name
            Vec::new(), // extension (a length in bytes)
            Vec::new(), // client interface name
            Vec::new(), // language
            utf16(&self.database),
        ];
        let mut fixed = Vec::new();
        fixed.extend_from_slice(&0u32.to_le_bytes()); // length, set below
        fixed.extend_from_slice(&self.tds_version.to_le_bytes());
        fixed.extend_from_slice(&self.packet_size.to_le_bytes());
        fixed.extend_from_slice(&[0; 12]); // client version, pid, connection id
        fixed.extend_from_slice(&[0xE0, 0x03, 0, 0]); // option flags
        fixed.extend_from_slice(&[0; 8]); // time zone, LCID
        let mut data = Vec::new();
        let mut offset = 94usize;
        for (i, f) in fields.iter().enumerate() {
            fixed.extend_from_slice(&(offset as u16).to_le_bytes());
            let units = if i == 5 { f.len() } else { f.len() / 2 };
            fixed.extend_from_slice(&(units as u16).to_le_bytes());
            data.extend_from_slice(f);
            offset += f.len();
        }
        fixed.extend_from_slice(&[0; 6]); // client id
        for _ in 0..3 {
            // SSPI, attach DB file, change password
            fixed.extend_from_slice(&(offset as u16).to_le_bytes());
            fixed.extend_from_slice(&0u16.to_le_bytes());
        }
        fixed.extend_from_slice(&0u32.to_le_bytes()); // SSPI long
        debug_assert_eq!(fixed.len(), 94);
        fixed.extend_from_slice(&data);
        let len = fixed.len() as u32;
        fixed[..4].copy_from_slice(&len.to_le_bytes());
        fixed
    }
}

/// ALL_HEADERS with a transaction descriptor of `descriptor`.
pub fn all_headers_in(descriptor: [u8; 8]) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(&22u32.to_le_bytes());
    h.extend_from_slice(&18u32.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&descriptor);
    h.extend_from_slice(&1u32.to_le_bytes());
    h
}

/// ALL_HEADERS outside a transaction.
pub fn all_headers() -> Vec<u8> {
    all_headers_in([0; 8])
}

/// The RPC's start: ALL_HEADERS, `sp_executesql` by procedure id, and its
/// statement.
fn executesql_start(sql: &str) -> Vec<u8> {
    let mut p = all_headers();
    p.extend_from_slice(&0xFFFFu16.to_le_bytes());
    p.extend_from_slice(&10u16.to_le_bytes()); // sp_executesql
    p.extend_from_slice(&0u16.to_le_bytes()); // option flags
    put_nvarchar(&mut p, sql);
    p
}

/// An unnamed `nvarchar` parameter: `nvarchar(4000)`, or `nvarchar(max)` in
/// one PLP chunk when longer.
fn put_nvarchar(p: &mut Vec<u8>, value: &str) {
    const COLLATION: [u8; 5] = [0x09, 0x04, 0xD0, 0x00, 0x34];
    p.extend_from_slice(&[0, 0]); // no name, no status flags
    p.push(0xE7);
    let text = utf16(value);
    if let Ok(len) = u16::try_from(text.len())
        && len <= 8000
    {
        p.extend_from_slice(&8000u16.to_le_bytes());
        p.extend_from_slice(&COLLATION);
        p.extend_from_slice(&len.to_le_bytes());
    } else {
        p.extend_from_slice(&0xFFFFu16.to_le_bytes());
        p.extend_from_slice(&COLLATION);
        p.extend_from_slice(&(text.len() as u64).to_le_bytes());
        p.extend_from_slice(&(text.len() as u32).to_le_bytes());
    }
    p.extend_from_slice(&text);
    if text.len() > 8000 {
        p.extend_from_slice(&0u32.to_le_bytes()); // the PLP terminator
    }
}

/// An `sp_executesql` RPC (by procedure id) of `sql`, without parameters.
pub fn executesql(sql: &str) -> Vec<u8> {
    executesql_start(sql)
}

/// An `sp_executesql` RPC of `sql` with `bigint` parameters `@P1`, `@P2`,
/// ..., as tiberius sends an `i64`.
pub fn executesql_with_bigints(sql: &str, params: &[i64]) -> Vec<u8> {
    let mut p = executesql_start(sql);
    let declared: Vec<String> = (1..=params.len())
        .map(|i| format!("@P{i} bigint"))
        .collect();
    put_nvarchar(&mut p, &declared.join(","));
    for (i, v) in params.iter().enumerate() {
        let name = utf16(&format!("@P{}", i + 1));
        p.push((name.len() / 2) as u8);
        p.extend_from_slice(&name);
        p.push(0); // status flags
        p.extend_from_slice(&[0x26, 8, 8]); // INTN(8), 8 bytes
        p.extend_from_slice(&v.to_le_bytes());
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login7_has_its_94_fixed_bytes_and_no_password_in_debug() {
        let login = Login7::new("u", "secret-pw").packet_size(512);
        let b = login.to_bytes();
        assert_eq!(
            u32::from_le_bytes(b[..4].try_into().unwrap()) as usize,
            b.len()
        );
        assert_eq!(u32::from_le_bytes(b[8..12].try_into().unwrap()), 512);
        assert!(!format!("{login:?}").contains("secret"));
    }

    #[test]
    fn a_long_statement_goes_as_plp() {
        let sql = "x".repeat(5000);
        let p = executesql(&sql);
        let at = all_headers().len() + 6 + 2;
        assert_eq!(&p[at..at + 3], &[0xE7, 0xFF, 0xFF]);
        assert_eq!(p.len(), at + 3 + 5 + 8 + 4 + 10_000 + 4);
    }
}
