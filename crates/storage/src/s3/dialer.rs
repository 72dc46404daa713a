//! Plain-HTTP connections to S3 servers (on the local network, typically) that
//! acknowledge each response at once.
//!
//! A server that writes a response's headers and its body separately, without
//! `TCP_NODELAY`, holds the body back until the headers are acknowledged; on a
//! kept-alive connection Linux delays that acknowledgement by about 40 ms. With a
//! small object per request that wait is most of the copy. Ferry's connections
//! ask for quick acknowledgements (`TCP_QUICKACK`) each time they send a request,
//! so the body follows the headers at once, and connections are still reused.
//! HTTPS endpoints keep the SDK's own TLS connector.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
    http_client_fn,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_types::body::SdkBody;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::config::AddressGuard;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Opens TCP connections to the endpoint's host, skipping addresses the guard
/// refuses, within the connect timeout.
#[derive(Clone)]
struct Dialer {
    guard: Option<AddressGuard>,
    connect_timeout: Duration,
}

impl Dialer {
    async fn dial(self, uri: http::Uri) -> Result<TokioIo<QuickAck>, BoxError> {
        let host =
            uri.host().ok_or("the endpoint names no host")?.trim_start_matches('[').trim_end_matches(']');
        let port = uri.port_u16().unwrap_or(80);
        let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port)).await?.collect();
        let mut last: Option<BoxError> = None;
        for address in addresses {
            if let Some(why) = self.guard.as_ref().and_then(|guard| guard(address.ip())) {
                last = Some(format!("{host} resolves to a refused address: {why}").into());
                continue;
            }
            match tokio::time::timeout(self.connect_timeout, TcpStream::connect(address)).await {
                Ok(Ok(stream)) => {
                    stream.set_nodelay(true)?;
                    return Ok(TokioIo::new(QuickAck { stream, sent: false }));
                }
                Ok(Err(e)) => last = Some(e.into()),
                Err(_) => last = Some(Box::new(io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))),
            }
        }
        Err(last.unwrap_or_else(|| format!("{host} resolves to no address").into()))
    }
}

impl tower_service::Service<http::Uri> for Dialer {
    type Response = TokioIo<QuickAck>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        Box::pin(self.clone().dial(uri))
    }
}

/// A connection that turns quick acknowledgements on when it starts reading the
/// answer to what it sent (the kernel leaves the mode again by itself).
pub(super) struct QuickAck {
    stream: TcpStream,
    sent: bool,
}

impl Connection for QuickAck {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl AsyncRead for QuickAck {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.sent {
            // After the request is out, so the write does not take the mode back.
            self.sent = false;
            // Best effort: a refusal only costs the delay this avoids.
            let _ = socket2::SockRef::from(&self.stream).set_tcp_quickack(true);
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for QuickAck {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        self.sent = true;
        Pin::new(&mut self.stream).poll_write(cx, data)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.sent = true;
        Pin::new(&mut self.stream).poll_write_vectored(cx, data)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// The SDK's view of a pooled hyper client over [`Dialer`] connections.
#[derive(Clone)]
struct Plain {
    client: Client<Dialer, SdkBody>,
    read_timeout: Option<Duration>,
}

impl std::fmt::Debug for Plain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlainHttpConnector")
    }
}

impl HttpConnector for Plain {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let request = match request.try_into_http1x() {
            Ok(request) => request,
            Err(e) => return HttpConnectorFuture::ready(Err(ConnectorError::user(e.into()))),
        };
        let sent = self.client.request(request);
        let read_timeout = self.read_timeout;
        HttpConnectorFuture::new(async move {
            let answer = match read_timeout {
                Some(limit) => match tokio::time::timeout(limit, sent).await {
                    Ok(answer) => answer,
                    Err(_) => {
                        let late =
                            io::Error::new(io::ErrorKind::TimedOut, "no response within the read timeout");
                        return Err(ConnectorError::timeout(late.into()));
                    }
                },
                None => sent.await,
            };
            match answer {
                Ok(response) => HttpResponse::try_from(response.map(SdkBody::from_body_1_x))
                    .map_err(|e| ConnectorError::other(e.into(), None)),
                // A connection that could not be made or broke (the error then names
                // its cause) is worth another try; a request never sent is not.
                Err(e) if e.is_connect() || std::error::Error::source(&e).is_some() => {
                    Err(ConnectorError::io(e.into()))
                }
                Err(e) => Err(ConnectorError::other(e.into(), None)),
            }
        })
    }
}

/// An HTTP client for plain `http://` endpoints whose connections acknowledge
/// responses at once; `guard` is asked about every address before connecting.
/// One pool serves every request.
pub(super) fn plain_http_client(guard: Option<AddressGuard>, connect_timeout: Duration) -> SharedHttpClient {
    let client = Client::builder(TokioExecutor::new()).build(Dialer { guard, connect_timeout });
    http_client_fn(move |settings: &HttpConnectorSettings, _| {
        SharedHttpConnector::new(Plain { client: client.clone(), read_timeout: settings.read_timeout() })
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// Request and answer, as a client and a server on a kept-alive connection do.
    async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(client: &mut S, server: &mut TcpStream) {
        let mut buf = [0_u8; 64];
        client.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
        let n = server.read(&mut buf).await.unwrap();
        assert!(n > 0);
        server.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await.unwrap();
        let n = client.read(&mut buf).await.unwrap();
        assert!(n > 0);
    }

    #[tokio::test]
    async fn answers_are_acknowledged_at_once_on_a_reused_connection() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let dialer = Dialer { guard: None, connect_timeout: Duration::from_secs(5) };
        let uri: http::Uri = format!("http://{address}/").parse().unwrap();
        let (dialed, accepted) = tokio::join!(dialer.dial(uri), listener.accept());
        let mut client = dialed.unwrap().into_inner();
        let mut server = accepted.unwrap().0;
        for round in 0..12 {
            exchange(&mut client, &mut server).await;
            // The kernel reports quick acknowledgements as "not in ping-pong mode",
            // the mode that delays them on a request-and-answer connection.
            let quick = socket2::SockRef::from(&client.stream).tcp_quickack().unwrap();
            assert!(quick, "round {round}: acknowledgements are delayed again");
        }
    }

    #[tokio::test]
    async fn a_refused_address_is_never_dialled() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let guard: AddressGuard =
            std::sync::Arc::new(|ip: std::net::IpAddr| ip.is_loopback().then_some("loopback"));
        let dialer = Dialer { guard: Some(guard), connect_timeout: Duration::from_secs(5) };
        let err = dialer.dial(format!("http://{address}/").parse().unwrap()).await.err().unwrap();
        assert!(err.to_string().contains("refused address: loopback"), "{err}");
        let nothing = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
        assert!(nothing.is_err(), "no connection was made");
    }
}
