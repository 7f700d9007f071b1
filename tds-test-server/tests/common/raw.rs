//! A raw client, for what tiberius does not expose (the COLMETADATA flags).

use super::{PASSWORD, USER, utf16le};
use pancake_tds_test_server::Server;
use std::io::{Read, Write};
use std::net::TcpStream;

fn send(s: &mut TcpStream, ty: u8, payload: &[u8]) {
    let mut p = vec![ty, 1];
    p.extend_from_slice(&((payload.len() + 8) as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0, 1, 0]);
    p.extend_from_slice(payload);
    s.write_all(&p).unwrap();
}

fn receive(s: &mut TcpStream) -> Vec<u8> {
    let mut payload = Vec::new();
    loop {
        let mut h = [0u8; 8];
        s.read_exact(&mut h).unwrap();
        let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
        let mut body = vec![0u8; len - 8];
        s.read_exact(&mut body).unwrap();
        payload.extend_from_slice(&body);
        if h[1] & 1 == 1 {
            return payload;
        }
    }
}

fn login7() -> Vec<u8> {
    let password: Vec<u8> = utf16le(PASSWORD)
        .iter()
        .map(|b| b.rotate_left(4) ^ 0xA5)
        .collect();
    let fields: [Vec<u8>; 9] = [
        utf16le("raw-host"),
        utf16le(USER),
        password,
        utf16le("raw-test"),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        utf16le("legacy"),
    ];
    let mut fixed = Vec::new();
    fixed.extend_from_slice(&0u32.to_le_bytes());
    fixed.extend_from_slice(&0x7400_0004u32.to_le_bytes());
    fixed.extend_from_slice(&4096u32.to_le_bytes());
    fixed.extend_from_slice(&[0; 12]);
    fixed.extend_from_slice(&[0xE0, 0x03, 0, 0]);
    fixed.extend_from_slice(&[0; 8]);
    let mut data = Vec::new();
    let mut offset = 94usize;
    for (i, f) in fields.iter().enumerate() {
        fixed.extend_from_slice(&(offset as u16).to_le_bytes());
        let units = if i == 5 { f.len() } else { f.len() / 2 };
        fixed.extend_from_slice(&(units as u16).to_le_bytes());
        data.extend_from_slice(f);
        offset += f.len();
    }
    fixed.extend_from_slice(&[0; 6]);
    for _ in 0..3 {
        fixed.extend_from_slice(&(offset as u16).to_le_bytes());
        fixed.extend_from_slice(&0u16.to_le_bytes());
    }
    fixed.extend_from_slice(&0u32.to_le_bytes());
    fixed.extend_from_slice(&data);
    let len = fixed.len() as u32;
    fixed[..4].copy_from_slice(&len.to_le_bytes());
    fixed
}

/// The nullable bit of the COLMETADATA flags of the one column `sql`
/// selects.
pub fn metadata_nullable(server: &Server, sql: &str) -> bool {
    let mut s = TcpStream::connect(server.addr()).unwrap();
    let prelogin = [
        0x00, 0x00, 0x0B, 0x00, 0x06, 0x01, 0x00, 0x11, 0x00, 0x01, 0xFF, 0, 0, 0, 0, 0, 0, 0x02,
    ];
    send(&mut s, 0x12, &prelogin);
    receive(&mut s);
    send(&mut s, 0x10, &login7());
    receive(&mut s);
    let mut batch = Vec::new();
    batch.extend_from_slice(&22u32.to_le_bytes());
    batch.extend_from_slice(&18u32.to_le_bytes());
    batch.extend_from_slice(&2u16.to_le_bytes());
    batch.extend_from_slice(&[0; 8]);
    batch.extend_from_slice(&1u32.to_le_bytes());
    batch.extend_from_slice(&utf16le(sql));
    send(&mut s, 0x01, &batch);
    let reply = receive(&mut s);
    assert_eq!(reply[0], 0x81, "{sql}: COLMETADATA first");
    assert_eq!(u16::from_le_bytes([reply[1], reply[2]]), 1, "{sql}");
    // UserType (4 bytes), then the flags: bit 0 is nullable.
    u16::from_le_bytes([reply[7], reply[8]]) & 1 == 1
}
