//! A session's TCP stream, counting the bytes the server sent over it: what
//! the extract reports as bytes read (`pancake_bytes_read_total`), as they
//! came off the wire (TDS packets, encrypted when the session is).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A TCP stream that adds every byte read to a counter it shares with
/// the [`Connection`](crate::connect::Connection) holding it.
pub struct Metered {
    stream: TcpStream,
    read: Arc<AtomicU64>,
}

impl Metered {
    /// Wraps `stream`; the bytes read over it are added to `read`.
    pub fn new(stream: TcpStream, read: Arc<AtomicU64>) -> Metered {
        Metered { stream, read }
    }
}

impl AsyncRead for Metered {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        let read = buf.filled().len().saturating_sub(before) as u64;
        if read > 0 {
            self.read.fetch_add(read, Ordering::Relaxed);
        }
        polled
    }
}

impl AsyncWrite for Metered {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn counts_every_byte_read_and_none_written() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            s.write_all(&[7u8; 10_000]).await.unwrap();
            let mut got = [0u8; 3];
            s.read_exact(&mut got).await.unwrap();
            got
        });
        let read = Arc::new(AtomicU64::new(0));
        let mut m = Metered::new(TcpStream::connect(addr).await.unwrap(), read.clone());
        let mut buf = vec![0u8; 10_000];
        m.read_exact(&mut buf).await.unwrap();
        m.write_all(b"abc").await.unwrap();
        assert_eq!(server.await.unwrap(), *b"abc");
        assert_eq!(read.load(Ordering::Relaxed), 10_000);
    }
}
