//! A running server: started on an address, stopped when dropped; its URL,
//! faults, query log and counters; the listener thread that gives each
//! connection a thread of its own.

use super::ServerConfig;
use super::connection::serve;
use super::shared::{Shared, lock};
use crate::dump::DumpIndex;
use crate::faults::{Faults, LoggedQuery, QueryLog};
use crate::value::{DateTimeValue, UNIX_EPOCH_DAYS};
use std::collections::HashMap;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Counters of the work done reading the dump (for tests that check a
/// keyset scan reads each record once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerStats {
    /// Part files opened, by every connection.
    pub parts_opened: u64,
    /// Records decoded (served, skipped or counted).
    pub records_decoded: u64,
}

/// A running TDS test server. Dropping it stops it: the listener closes,
/// open connections are cut, and their threads are joined.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    listener: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish()
    }
}

impl Server {
    /// Loads the dump's manifest, binds `addr` (`127.0.0.1:0` picks a free
    /// port) and starts serving. Connections run on threads of their own, so
    /// any runtime, or none, may await this.
    pub async fn start(config: ServerConfig, addr: SocketAddr) -> io::Result<Server> {
        Server::start_blocking(config, addr)
    }

    /// [`Server::start`] without async.
    pub fn start_blocking(config: ServerConfig, addr: SocketAddr) -> io::Result<Server> {
        config
            .catalog
            .validate()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let dump = DumpIndex::load(&config.dump)?;
        let catalog = crate::catalog::served(config.catalog, &dump)?;
        let now = config.now.or(dump.snapshot_at).unwrap_or_default();
        let tls = match &config.tls {
            Some(t) => Some(t.server_config().map_err(io::Error::other)?),
            None => None,
        };
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            catalog,
            dump,
            faults: Faults::new(config.allow_snapshot),
            log: QueryLog::default(),
            database: config.database,
            user: config.user,
            password: config.password,
            product_version: config.product_version,
            server_name: config.server_name,
            now: DateTimeValue {
                days: now.timestamp().div_euclid(86_400) as i32 + UNIX_EPOCH_DAYS,
                nanos: now.timestamp().rem_euclid(86_400) as u64 * 1_000_000_000
                    + u64::from(now.timestamp_subsec_nanos()),
                offset: 0,
            },
            tls,
            verbose: config.verbose,
            shutdown: AtomicBool::new(false),
            connections: Mutex::new(HashMap::new()),
            threads: Mutex::new(Vec::new()),
            next_connection: AtomicU64::new(1),
        });
        let accepting = shared.clone();
        let listener = std::thread::Builder::new()
            .name(format!("tds-listen-{}", addr.port()))
            .spawn(move || accept_loop(listener, accepting))?;
        Ok(Server {
            addr,
            shared,
            listener: Some(listener),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The faults to arm while running.
    pub fn faults(&self) -> Faults {
        self.shared.faults.clone()
    }

    /// Every statement received so far (the last 200,000), oldest first.
    pub fn queries(&self) -> Vec<LoggedQuery> {
        self.shared.log.entries()
    }

    /// The live query log, to clear or count it.
    pub fn query_log(&self) -> QueryLog {
        self.shared.log.clone()
    }

    /// A `mssql://` URL for this server, as pancake's `--mssql-url` takes it
    /// (`encrypt=true` when TLS is configured, `encrypt=false` otherwise).
    pub fn mssql_url(&self) -> String {
        format!(
            "mssql://{}:{}@{}:{}/{}?encrypt={}",
            url_escape(&self.shared.user),
            url_escape(&self.shared.password),
            self.addr.ip(),
            self.addr.port(),
            url_escape(&self.shared.database),
            self.shared.tls.is_some()
        )
    }

    /// An ADO.NET connection string for tiberius's
    /// `Config::from_ado_string`. Without TLS it says
    /// `encrypt=DANGER_PLAINTEXT`: tiberius takes `encrypt=false` to mean
    /// "TLS for the login only" and fails against a server without TLS.
    pub fn ado_string(&self) -> String {
        format!(
            "server=tcp:{},{};database={};user id={};password={};encrypt={}",
            self.addr.ip(),
            self.addr.port(),
            self.shared.database,
            self.shared.user,
            self.shared.password,
            if self.shared.tls.is_some() {
                "true;TrustServerCertificate=true"
            } else {
                "DANGER_PLAINTEXT"
            }
        )
    }

    /// How much of the dump connections have read so far.
    pub fn stats(&self) -> ServerStats {
        ServerStats {
            parts_opened: self.shared.dump.parts_opened.load(Ordering::Relaxed),
            records_decoded: self.shared.dump.records_decoded.load(Ordering::Relaxed),
        }
    }

    /// Connections open now.
    pub fn open_connections(&self) -> usize {
        lock(&self.shared.connections).len()
    }

    fn stop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        // Wake the listener with a connection of our own.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(l) = self.listener.take() {
            let _ = l.join();
        }
        for (_, s) in lock(&self.shared.connections).drain() {
            let _ = s.shutdown(Shutdown::Both);
        }
        let threads: Vec<_> = lock(&self.shared.threads).drain(..).collect();
        for t in threads {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A [`Server`] on its own thread, for synchronous tests: start it, hand
/// its URL to a child process, drop it to stop. (The server needs no async
/// runtime; this only saves a test from having one.)
#[derive(Debug)]
pub struct BackgroundServer {
    server: Server,
}

impl BackgroundServer {
    /// Starts a server on `127.0.0.1` and a free port.
    pub fn start(config: ServerConfig) -> io::Result<BackgroundServer> {
        Ok(BackgroundServer {
            server: Server::start_blocking(config, SocketAddr::from(([127, 0, 0, 1], 0)))?,
        })
    }
}

impl std::ops::Deref for BackgroundServer {
    type Target = Server;

    fn deref(&self) -> &Server {
        &self.server
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.shutdown.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let id = shared.next_connection.fetch_add(1, Ordering::SeqCst);
        if let Ok(clone) = stream.try_clone() {
            lock(&shared.connections).insert(id, clone);
        }
        let s = shared.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("tds-conn-{id}"))
            .spawn(move || {
                let peer = stream.peer_addr().ok();
                let result = serve(&s, stream, id);
                if s.verbose {
                    match result {
                        Ok(()) => eprintln!("[tds] connection {id} ({peer:?}) closed"),
                        Err(e) => eprintln!("[tds] connection {id} ({peer:?}) ended: {e}"),
                    }
                }
                lock(&s.connections).remove(&id);
            });
        match spawned {
            Ok(handle) => {
                let mut threads = lock(&shared.threads);
                threads.retain(|t| !t.is_finished());
                threads.push(handle);
            }
            Err(_) => {
                lock(&shared.connections).remove(&id);
            }
        }
    }
}
