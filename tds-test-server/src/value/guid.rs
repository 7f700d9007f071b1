//! uniqueidentifiers: made from an integer, printed, parsed, and in SQL
//! Server's wire order.

/// The uniqueidentifier the server makes of an integer: the integer's eight
/// big-endian bytes at the end, zeros before. SQL Server orders
/// uniqueidentifiers by their last six bytes first, so these sort as the
/// integers do (below 2^48).
pub(crate) fn guid_of_int(i: i64) -> [u8; 16] {
    let mut g = [0u8; 16];
    g[8..].copy_from_slice(&i.to_be_bytes());
    g
}

pub(crate) fn format_guid(g: &[u8; 16]) -> String {
    let h: String = g.iter().map(|b| format!("{b:02X}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

pub(super) fn parse_guid(s: &str) -> Option<[u8; 16]> {
    let s = s.trim().trim_start_matches('{').trim_end_matches('}');
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || s.len() != 36 {
        return None;
    }
    let mut g = [0u8; 16];
    for (i, b) in g.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(g)
}

/// Swaps RFC 4122 order to SQL Server's (and back): the first three groups
/// are little-endian on the wire.
pub(crate) fn guid_wire_order(g: &mut [u8; 16]) {
    g.swap(0, 3);
    g.swap(1, 2);
    g.swap(4, 5);
    g.swap(6, 7);
}
