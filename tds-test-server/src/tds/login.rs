//! The login: PRELOGIN (the client's encryption option, the server's answer)
//! and LOGIN7 (who logs in, to which database, with which packet size).

use super::invalid;
use super::reader::utf16;
use std::io;

/// The encryption option of a client's PRELOGIN (0 off, 1 on, 2 not
/// supported, 3 required).
pub(crate) fn prelogin_encryption(payload: &[u8]) -> io::Result<u8> {
    let mut i = 0;
    while i < payload.len() && payload[i] != 0xFF {
        if i + 5 > payload.len() {
            return Err(invalid("PRELOGIN option table ends early"));
        }
        let token = payload[i];
        let offset = usize::from(u16::from_be_bytes([payload[i + 1], payload[i + 2]]));
        let len = usize::from(u16::from_be_bytes([payload[i + 3], payload[i + 4]]));
        if token == 0x01 {
            if len < 1 || offset >= payload.len() {
                return Err(invalid("PRELOGIN encryption option out of bounds"));
            }
            return Ok(payload[offset]);
        }
        i += 5;
    }
    Ok(2)
}

/// The server's PRELOGIN answer: version, encryption, instance, thread id,
/// MARS (tiberius refuses options it does not know).
pub(crate) fn prelogin_response(version: [u8; 4], encryption: u8) -> Vec<u8> {
    let options: [(u8, &[u8]); 5] = [
        (
            0x00,
            &[version[0], version[1], version[2], version[3], 0, 0],
        ),
        (0x01, &[encryption]),
        (0x02, &[0]),
        (0x03, &[]),
        (0x04, &[0]),
    ];
    let mut out = Vec::new();
    let mut data = Vec::new();
    let mut offset = options.len() * 5 + 1;
    for (token, value) in options {
        out.push(token);
        out.extend_from_slice(&(offset as u16).to_be_bytes());
        out.extend_from_slice(&(value.len() as u16).to_be_bytes());
        offset += value.len();
        data.extend_from_slice(value);
    }
    out.push(0xFF);
    out.extend_from_slice(&data);
    out
}

/// What a LOGIN7 message says.
#[derive(Debug, Clone, Default)]
pub(crate) struct Login7 {
    pub tds_version: u32,
    pub packet_size: u32,
    pub hostname: String,
    pub user: String,
    pub password: String,
    pub app_name: String,
    pub database: String,
}

pub(crate) fn parse_login7(p: &[u8]) -> io::Result<Login7> {
    if p.len() < 94 {
        return Err(invalid("LOGIN7 shorter than its fixed part"));
    }
    let u32_at = |i: usize| u32::from_le_bytes(p[i..i + 4].try_into().expect("4"));
    let u16_at = |i: usize| usize::from(u16::from_le_bytes([p[i], p[i + 1]]));
    let field = |at: usize| -> io::Result<&[u8]> {
        let offset = u16_at(at);
        let chars = u16_at(at + 2);
        p.get(offset..offset + chars * 2)
            .ok_or_else(|| invalid("LOGIN7 field out of bounds"))
    };
    let password: Vec<u8> = field(44)?
        .iter()
        .map(|b| {
            let x = b ^ 0xA5;
            x.rotate_left(4)
        })
        .collect();
    Ok(Login7 {
        tds_version: u32_at(4),
        packet_size: u32_at(8),
        hostname: utf16(field(36)?),
        user: utf16(field(40)?),
        password: utf16(&password),
        app_name: utf16(field(48)?),
        database: utf16(field(68)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_obfuscated_password() {
        // tiberius's encoding: swap nibbles, then XOR 0xA5.
        let enc: Vec<u8> = "pässword"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .map(|b| b.rotate_left(4) ^ 0xA5)
            .collect();
        let mut p = vec![0u8; 94];
        p[44..46].copy_from_slice(&94u16.to_le_bytes());
        p[46..48].copy_from_slice(&8u16.to_le_bytes());
        for at in [36, 40, 48, 52, 56, 60, 64, 68, 78, 82, 86] {
            p[at..at + 2].copy_from_slice(&94u16.to_le_bytes());
        }
        p.extend_from_slice(&enc);
        assert_eq!(parse_login7(&p).unwrap().password, "pässword");
    }

    #[test]
    fn prelogin_answer_lists_five_options() {
        let p = prelogin_response([16, 0, 0x10, 0x09], 2);
        assert_eq!(prelogin_encryption(&p).unwrap(), 2);
        assert_eq!(p[0], 0);
        assert_eq!(&p[26..32], &[16, 0, 0x10, 0x09, 0, 0]);
    }
}
