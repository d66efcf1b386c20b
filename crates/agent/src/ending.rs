//! Why a TLS connection ended, kept for the caller. hyper's HTTP/1 client reports a connection
//! that fails while idle as a clean close and a request on it as "canceled"; the reason (a TLS
//! alert such as "certificate expired" that TLS 1.3 delivers only after the client's handshake
//! has finished) is the read error underneath, which [`Tapped`] remembers.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::mtls;

/// The first read or write error seen on a [`Tapped`] stream, in words.
#[derive(Clone, Debug, Default)]
pub struct Ending(Arc<Mutex<Option<String>>>);

impl Ending {
    /// The reason recorded, if the stream failed.
    pub fn reason(&self) -> Option<String> {
        self.0.lock().ok().and_then(|r| r.clone())
    }

    fn record(&self, error: &io::Error) {
        if let Ok(mut slot) = self.0.lock()
            && slot.is_none()
        {
            *slot = Some(mtls::describe_chain(error));
        }
    }
}

/// A stream that records its first I/O error in an [`Ending`].
pub struct Tapped<S> {
    inner: S,
    ending: Ending,
}

impl<S> Tapped<S> {
    /// Wraps `inner`; the returned [`Ending`] reads what went wrong, later.
    pub fn new(inner: S) -> (Self, Ending) {
        let ending = Ending::default();
        (
            Self {
                inner,
                ending: ending.clone(),
            },
            ending,
        )
    }
}

fn noted<T>(ending: &Ending, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
    if let Poll::Ready(Err(e)) = &poll {
        ending.record(e);
    }
    poll
}

impl<S: AsyncRead + Unpin> AsyncRead for Tapped<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        noted(&self.ending, poll)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tapped<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        noted(&self.ending, poll)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_flush(cx);
        noted(&self.ending, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_shutdown(cx);
        noted(&self.ending, poll)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    struct Failing;

    impl AsyncRead for Failing {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                rustls::Error::AlertReceived(rustls::AlertDescription::CertificateExpired),
            )))
        }
    }

    #[tokio::test]
    async fn the_first_read_error_is_kept_in_words() {
        let (mut tapped, ending) = Tapped::new(Failing);
        assert!(ending.reason().is_none());
        let mut buf = [0u8; 4];
        assert!(tapped.read(&mut buf).await.is_err());
        let reason = ending.reason().unwrap();
        assert!(reason.contains("expired"), "{reason}");
    }
}
