//! Serving the emulator on a loopback port the OS picks, in the background: what tests, benches
//! and the harness's own commands need when they want "an emulator at some URL" and a way to
//! stop it. Written once here so that every caller binds, serves and shuts down the same way.

use std::io;
use std::net::SocketAddr;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::emulator::Emulator;
use crate::server::ServeLimits;

/// An emulator served in the background on `127.0.0.1` at a port the OS picked.
///
/// [`Spawned::stop`] asks it to shut down and waits until requests in flight have finished.
/// Dropping the handle asks it to shut down too, without waiting.
#[derive(Debug)]
pub struct Spawned {
    addr: SocketAddr,
    url: String,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<io::Result<()>>>,
}

impl Spawned {
    /// The base URL requests go to: `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The address the emulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Asks the server to shut down and waits for it: requests in flight finish first. Returns
    /// the server's own error, if it ended with one.
    pub async fn stop(mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            // The server may have ended already; then there is nobody to tell.
            let _ = stop.send(());
        }
        match self.server.take() {
            Some(server) => server.await.map_err(io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Serves a fresh emulator built from `config` on `127.0.0.1:0` with the default
/// [`ServeLimits`]. Must be called within a tokio runtime, which runs the server.
pub async fn spawn(config: Config) -> io::Result<Spawned> {
    spawn_emulator(Emulator::new(config), ServeLimits::default()).await
}

/// Serves `emulator` (a clone of it keeps its world readable to the caller) on `127.0.0.1:0`
/// with these limits. Must be called within a tokio runtime, which runs the server.
pub async fn spawn_emulator(emulator: Emulator, limits: ServeLimits) -> io::Result<Spawned> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(crate::serve::serve_with(
        listener,
        emulator,
        limits,
        async move {
            // A dropped sender stops the server as a sent stop does.
            let _ = stopped.await;
        },
    ));
    Ok(Spawned {
        addr,
        url: format!("http://{addr}/"),
        stop: Some(stop),
        server: Some(server),
    })
}
