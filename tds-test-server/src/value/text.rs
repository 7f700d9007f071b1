//! Unicode text, as UTF-8 or raw UTF-16 units, and code page 1252 (what
//! `char`/`varchar`/`text` hold).

use std::borrow::Cow;

/// Unicode text: a string, or raw UTF-16LE units (which may hold lone
/// surrogates).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum UText<'a> {
    Str(Cow<'a, str>),
    Utf16(Cow<'a, [u8]>),
}

impl UText<'_> {
    /// Number of UTF-16 code units.
    pub(crate) fn units(&self) -> usize {
        match self {
            UText::Str(s) => {
                if s.is_ascii() {
                    s.len()
                } else {
                    s.encode_utf16().count()
                }
            }
            UText::Utf16(b) => b.len() / 2,
        }
    }

    /// At least the number of UTF-16 units, without counting them: a UTF-8
    /// string never has more units than bytes.
    pub(crate) fn units_at_most(&self) -> usize {
        match self {
            UText::Str(s) => s.len(),
            UText::Utf16(b) => b.len() / 2,
        }
    }

    /// Appends the UTF-16LE bytes to `out`.
    pub(crate) fn write_utf16le(&self, out: &mut Vec<u8>) {
        match self {
            UText::Str(s) => {
                // At most two bytes per UTF-8 byte.
                out.reserve(s.len() * 2);
                let bytes = s.as_bytes();
                let ascii = bytes.iter().take_while(|b| b.is_ascii()).count();
                for &b in &bytes[..ascii] {
                    out.push(b);
                    out.push(0);
                }
                for c in s[ascii..].chars() {
                    let c = c as u32;
                    if c < 0x1_0000 {
                        out.extend_from_slice(&(c as u16).to_le_bytes());
                    } else {
                        let c = c - 0x1_0000;
                        out.extend_from_slice(&(0xD800 | (c >> 10) as u16).to_le_bytes());
                        out.extend_from_slice(&(0xDC00 | (c & 0x3FF) as u16).to_le_bytes());
                    }
                }
            }
            UText::Utf16(b) => out.extend_from_slice(&b[..b.len() & !1]),
        }
    }

    pub(crate) fn to_utf16(&self) -> Vec<u16> {
        match self {
            UText::Str(s) => s.encode_utf16().collect(),
            UText::Utf16(b) => b
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect(),
        }
    }

    pub(crate) fn to_string_lossy(&self) -> String {
        match self {
            UText::Str(s) => s.to_string(),
            UText::Utf16(_) => String::from_utf16_lossy(&self.to_utf16()),
        }
    }
}

pub(super) fn utext_from_units(units: &[u16]) -> UText<'static> {
    match String::from_utf16(units) {
        Ok(s) => UText::Str(Cow::Owned(s)),
        Err(_) => UText::Utf16(Cow::Owned(
            units.iter().flat_map(|u| u.to_le_bytes()).collect(),
        )),
    }
}

const CP1252_HIGH: [u16; 32] = [
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
    0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
];

/// UTF-16 units to code page 1252, `?` for each unit it cannot hold (so an
/// emoji, two units, becomes `??`), as SQL Server converts.
pub(crate) fn cp1252_encode(units: &[u16]) -> Vec<u8> {
    units
        .iter()
        .map(|&u| match u {
            0..=0x7F | 0xA0..=0xFF => u as u8,
            _ => CP1252_HIGH
                .iter()
                .position(|&h| h == u)
                .map(|i| 0x80 + i as u8)
                .unwrap_or(b'?'),
        })
        .collect()
}

pub(crate) fn cp1252_decode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => {
                char::from_u32(u32::from(CP1252_HIGH[usize::from(b - 0x80)])).unwrap_or('?')
            }
            _ => char::from(b),
        })
        .collect()
}
