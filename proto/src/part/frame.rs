//! Varint length prefixes, read from a buffered stream without trusting them.

use std::io::{self, BufRead};

/// The longest varint protobuf allows (a u64).
const MAX_VARINT_BYTES: usize = 10;

/// What a read of a length prefix found.
pub(crate) enum Prefix {
    /// The stream ended cleanly before the first byte of a prefix.
    End,
    Length(u64),
}

/// Reads one varint. `Err(UnexpectedEof)` when the stream ends inside it,
/// `Err(InvalidData)` when it runs past ten bytes.
pub(crate) fn read_varint(input: &mut impl BufRead) -> io::Result<Prefix> {
    let mut value: u64 = 0;
    for i in 0..MAX_VARINT_BYTES {
        let byte = {
            let buf = input.fill_buf()?;
            if buf.is_empty() {
                return if i == 0 {
                    Ok(Prefix::End)
                } else {
                    Err(io::ErrorKind::UnexpectedEof.into())
                };
            }
            buf[0]
        };
        input.consume(1);
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(Prefix::Length(value));
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidData,
        "length prefix runs past ten bytes",
    ))
}

/// Encodes `len` as a varint into `out`, returning the bytes used.
pub(crate) fn encode_varint(mut len: u64, out: &mut [u8; MAX_VARINT_BYTES]) -> usize {
    let mut i = 0;
    loop {
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            out[i] = byte;
            return i + 1;
        }
        out[i] = byte | 0x80;
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        for n in [
            0u64,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u32::MAX as u64,
            u64::MAX,
        ] {
            let mut buf = [0u8; 10];
            let used = encode_varint(n, &mut buf);
            let mut expected = Vec::new();
            prost::encoding::encode_varint(n, &mut expected);
            assert_eq!(&buf[..used], expected.as_slice());
            match read_varint(&mut &buf[..used]).unwrap() {
                Prefix::Length(got) => assert_eq!(got, n),
                Prefix::End => panic!("no varint read"),
            }
        }
    }

    #[test]
    fn a_varint_cut_short_or_too_long_is_an_error() {
        let err = read_varint(&mut &[0x80u8, 0x80][..]).err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        let err = read_varint(&mut &[0xffu8; 11][..]).err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(matches!(read_varint(&mut &[][..]).unwrap(), Prefix::End));
    }
}
