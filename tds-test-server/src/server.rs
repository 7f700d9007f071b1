//! The server: a listener thread, and a thread per connection that speaks
//! TDS with blocking I/O (reading a dump is blocking file work anyway, and a
//! thread per connection spreads connections over the cores).

use crate::catalog::Catalog;
use crate::dump::{Cursor, DumpIndex};
use crate::exec::{self, Env, Out, Outcome};
use crate::faults::{Faults, LoggedQuery, QueryLog, RequestKind};
use crate::sql::{self, IsolationLevel};
use crate::tds::{self, PacketWriter, RpcProc};
use crate::tls::{self, TlsConfig, Transport};
use crate::value::{DateTimeValue, SqlError, UNIX_EPOCH_DAYS, Value};
use pancake_proto::LegacyTable;
use std::collections::HashMap;
use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How a server is set up.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The legacy dump served (a directory with `manifest.json`).
    pub dump: PathBuf,
    /// The database's tables and how the dump feeds them.
    pub catalog: Catalog,
    /// The one database served (default `legacy`).
    pub database: String,
    /// The one SQL login (default `pancake`).
    pub user: String,
    /// Its password (default `pancake-test-password`).
    pub password: String,
    /// What `SYSUTCDATETIME()` returns: the server's clock is frozen. `None`
    /// takes the dump's `snapshot_at` (or the Unix epoch if it has none).
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// TLS; `None` answers PRELOGIN with `ENCRYPT_NOT_SUP`.
    pub tls: Option<TlsConfig>,
    /// Whether the database allows snapshot isolation (default true); also
    /// settable while running with [`Faults::set_allow_snapshot`].
    pub allow_snapshot: bool,
    /// `SERVERPROPERTY('ProductVersion')` (default `16.0.4105.2`, SQL
    /// Server 2022), also sent in PRELOGIN and LOGINACK.
    pub product_version: String,
    /// `@@SERVERNAME`, and the server name in ERROR tokens.
    pub server_name: String,
    /// Prints connections and statements to stderr.
    pub verbose: bool,
}

impl ServerConfig {
    /// Serves `dump` with [`Catalog::legacy`] and the defaults.
    pub fn new(dump: impl Into<PathBuf>) -> ServerConfig {
        ServerConfig {
            dump: dump.into(),
            catalog: Catalog::legacy(),
            database: "legacy".into(),
            user: "pancake".into(),
            password: "pancake-test-password".into(),
            now: None,
            tls: None,
            allow_snapshot: true,
            product_version: "16.0.4105.2".into(),
            server_name: "PANCAKE-TDS".into(),
            verbose: false,
        }
    }
}

/// What every connection shares.
pub(crate) struct Shared {
    pub catalog: Catalog,
    pub dump: DumpIndex,
    pub faults: Faults,
    pub log: QueryLog,
    pub database: String,
    pub user: String,
    pub password: String,
    pub product_version: String,
    pub server_name: String,
    pub now: DateTimeValue,
    pub tls: Option<Arc<rustls::ServerConfig>>,
    pub verbose: bool,
    shutdown: AtomicBool,
    connections: Mutex<HashMap<u64, TcpStream>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    next_connection: AtomicU64,
}

impl Shared {
    /// Sleeps for `d` unless the server shuts down first; false then.
    pub(crate) fn sleep(&self, d: Duration) -> bool {
        let end = Instant::now() + d;
        loop {
            if self.shutdown.load(Ordering::SeqCst) {
                return false;
            }
            let now = Instant::now();
            if now >= end {
                return true;
            }
            std::thread::sleep((end - now).min(Duration::from_millis(20)));
        }
    }

    fn version_bytes(&self) -> [u8; 4] {
        let mut parts = self
            .product_version
            .split('.')
            .map(|p| p.parse::<u32>().unwrap_or(0));
        let major = parts.next().unwrap_or(16) as u8;
        let minor = parts.next().unwrap_or(0) as u8;
        let build = parts.next().unwrap_or(0) as u16;
        [major, minor, (build >> 8) as u8, build as u8]
    }
}

/// Counters of the work done reading the dump (for tests that check a
/// keyset scan reads each record once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerStats {
    /// Part files opened, by every connection.
    pub parts_opened: u64,
    /// Records decoded (served, skipped or counted).
    pub records_decoded: u64,
}

/// A connection's state between requests.
pub(crate) struct SessionState {
    pub isolation: IsolationLevel,
    pub cursors: HashMap<LegacyTable, Cursor>,
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
        let now = config.now.or(dump.snapshot_at).unwrap_or_default();
        let tls = match &config.tls {
            Some(t) => Some(t.server_config().map_err(io::Error::other)?),
            None => None,
        };
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            catalog: config.catalog,
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encryption {
    None,
    LoginOnly,
    Full,
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// Serves one connection until the client leaves, a fault cuts it, or the
/// server stops.
fn serve(shared: &Shared, mut tcp: TcpStream, id: u64) -> io::Result<()> {
    tcp.set_nodelay(true)?;
    let spid = 50 + (id % 30_000) as u16;

    // PRELOGIN.
    let Some(msg) = tds::read_message(&mut tcp)? else {
        return Ok(());
    };
    if msg.ty != tds::PKT_PRELOGIN {
        return Err(invalid(format!(
            "expected PRELOGIN, got a packet of type {:#04x}",
            msg.ty
        )));
    }
    let asked = tds::prelogin_encryption(&msg.payload)?;
    let (answer, encryption) = match (&shared.tls, asked) {
        (None, _) | (Some(_), 2) => (2u8, Encryption::None),
        (Some(_), 0) => (0, Encryption::LoginOnly),
        (Some(_), _) => (1, Encryption::Full),
    };
    tds::write_message(
        &mut tcp,
        tds::PKT_REPLY,
        &tds::prelogin_response(shared.version_bytes(), answer),
        4096,
    )?;
    let mut transport = match (&shared.tls, encryption) {
        (Some(config), Encryption::LoginOnly | Encryption::Full) => {
            let conn = tls::accept(&mut tcp, config.clone())?;
            Transport::Tls(Box::new(rustls::StreamOwned::new(conn, tcp)))
        }
        _ => Transport::Plain(tcp),
    };

    // LOGIN7.
    let Some(msg) = tds::read_message(&mut transport)? else {
        return Ok(());
    };
    if msg.ty != tds::PKT_LOGIN7 {
        return Err(invalid(
            if msg.ty == tds::PKT_PRELOGIN && shared.tls.is_none() {
                "the client started TLS, but this server has none configured (tiberius does so \
             unless its encryption is NotSupported, `encrypt=DANGER_PLAINTEXT`)"
                    .to_owned()
            } else {
                format!("expected LOGIN7, got a packet of type {:#04x}", msg.ty)
            },
        ));
    }
    let login = tds::parse_login7(&msg.payload)?;
    if encryption == Encryption::LoginOnly {
        transport = transport.into_plain();
    }
    if shared.verbose {
        eprintln!(
            "[tds] connection {id}: login {:?} to {:?} from {:?} ({}, TDS {:#010x}, packets of {})",
            login.user,
            login.database,
            login.hostname,
            login.app_name,
            login.tds_version,
            login.packet_size
        );
    }
    let mut pw = PacketWriter::new(tds::PKT_REPLY, 4096, spid);
    let fail = |pw: &mut PacketWriter, errors: &[SqlError], t: &mut Transport| -> io::Result<()> {
        for e in errors {
            tds::put_message(&mut pw.buf, tds::TOKEN_ERROR, e, &shared.server_name, "", 1);
        }
        tds::put_done(&mut pw.buf, tds::TOKEN_DONE, tds::DONE_ERROR, 0, 0);
        pw.finish(t)?;
        let _ = t.tcp().shutdown(Shutdown::Both);
        Ok(())
    };
    let login_failed = SqlError {
        number: 18456,
        state: 1,
        class: 14,
        message: format!("Login failed for user '{}'.", login.user),
    };
    if login.user != shared.user || login.password != shared.password {
        return fail(&mut pw, &[login_failed], &mut transport);
    }
    let database = if login.database.is_empty() {
        shared.database.clone()
    } else {
        login.database.clone()
    };
    if !database.eq_ignore_ascii_case(&shared.database) {
        let e = SqlError {
            number: 4060,
            state: 1,
            class: 11,
            message: format!(
                "Cannot open database \"{database}\" requested by the login. The login failed."
            ),
        };
        return fail(&mut pw, &[e, login_failed], &mut transport);
    }
    let database = shared.database.clone();
    let packet_size = match login.packet_size {
        0 => 4096,
        n => n.clamp(512, 32_767),
    };
    let info = |pw: &mut PacketWriter, number: u32, message: String| {
        let e = SqlError {
            number,
            state: if number == 5701 { 2 } else { 1 },
            class: 0,
            message,
        };
        tds::put_message(&mut pw.buf, tds::TOKEN_INFO, &e, &shared.server_name, "", 1);
    };
    tds::put_envchange(&mut pw.buf, 1, &database, "master");
    info(
        &mut pw,
        5701,
        format!("Changed database context to '{database}'."),
    );
    tds::put_envchange(&mut pw.buf, 2, "us_english", "");
    info(
        &mut pw,
        5703,
        "Changed language setting to us_english.".to_owned(),
    );
    tds::put_envchange_collation(&mut pw.buf);
    tds::put_loginack(&mut pw.buf, "Microsoft SQL Server", shared.version_bytes());
    tds::put_envchange(
        &mut pw.buf,
        4,
        &packet_size.to_string(),
        &packet_size.to_string(),
    );
    tds::put_done(&mut pw.buf, tds::TOKEN_DONE, tds::DONE_FINAL, 0, 0);
    pw.finish(&mut transport)?;

    // Requests.
    let mut state = SessionState {
        isolation: IsolationLevel::ReadCommitted,
        cursors: HashMap::new(),
    };
    let conn = Connection {
        shared,
        id,
        spid,
        user: login.user.clone(),
        database,
        packet_size: packet_size as usize,
    };
    loop {
        if shared.shutdown.load(Ordering::SeqCst) {
            return Ok(());
        }
        let Some(msg) = tds::read_message(&mut transport)? else {
            return Ok(());
        };
        let mut pw = PacketWriter::new(tds::PKT_REPLY, conn.packet_size, spid);
        let cut = match msg.ty {
            tds::PKT_SQL_BATCH => conn.batch(&msg.payload, &mut state, &mut pw, &mut transport)?,
            tds::PKT_RPC => conn.rpc(&msg.payload, &mut state, &mut pw, &mut transport)?,
            tds::PKT_ATTENTION => {
                // Nothing runs between requests: acknowledge.
                tds::put_done(&mut pw.buf, tds::TOKEN_DONE, tds::DONE_ATTN, 0, 0);
                false
            }
            other => {
                let e = SqlError::server(format!(
                    "the TDS test server does not take requests of packet type {other:#04x}"
                ));
                tds::put_message(
                    &mut pw.buf,
                    tds::TOKEN_ERROR,
                    &e,
                    &shared.server_name,
                    "",
                    1,
                );
                tds::put_done(&mut pw.buf, tds::TOKEN_DONE, tds::DONE_ERROR, 0, 0);
                false
            }
        };
        if cut {
            let _ = transport.flush();
            let _ = transport.tcp().shutdown(Shutdown::Both);
            return Ok(());
        }
        pw.finish(&mut transport)?;
    }
}

struct Connection<'a> {
    shared: &'a Shared,
    id: u64,
    spid: u16,
    user: String,
    database: String,
    packet_size: usize,
}

impl Connection<'_> {
    fn env<'a>(&'a self, params: &'a [tds::RpcParam]) -> Env<'a> {
        Env {
            shared: self.shared,
            params,
            database: &self.database,
            user: &self.user,
            spid: self.spid,
        }
    }

    fn error(&self, pw: &mut PacketWriter, e: &SqlError) {
        tds::put_message(
            &mut pw.buf,
            tds::TOKEN_ERROR,
            e,
            &self.shared.server_name,
            "",
            1,
        );
    }

    /// A SQL batch: DONE after each statement. Returns whether a fault cut
    /// the connection.
    fn batch(
        &self,
        payload: &[u8],
        state: &mut SessionState,
        pw: &mut PacketWriter,
        w: &mut dyn Write,
    ) -> io::Result<bool> {
        let text = tds::batch_text(payload)?;
        if self.shared.verbose {
            eprintln!("[tds] connection {}: batch {}", self.id, text.trim());
        }
        self.shared.log.push(LoggedQuery {
            connection: self.id,
            kind: RequestKind::Batch,
            sql: text.clone(),
            params: Vec::new(),
        });
        let stmts = match sql::parse(&text) {
            Ok(s) => s,
            Err(e) => {
                self.error(pw, &e);
                tds::put_done(&mut pw.buf, tds::TOKEN_DONE, tds::DONE_ERROR, 0, 0);
                return Ok(false);
            }
        };
        let env = self.env(&[]);
        for (i, stmt) in stmts.iter().enumerate() {
            let more = if i + 1 < stmts.len() {
                tds::DONE_MORE
            } else {
                0
            };
            let outcome = exec::execute(stmt, &env, state, &mut Out { pw, w })?;
            match outcome {
                Outcome::Done { rows } => {
                    let (status, cmd) = match rows {
                        Some(_) => (tds::DONE_COUNT, tds::CMD_SELECT),
                        None => (0, 0),
                    };
                    tds::put_done(
                        &mut pw.buf,
                        tds::TOKEN_DONE,
                        status | more,
                        cmd,
                        rows.unwrap_or(0),
                    );
                }
                Outcome::Error { error, rows } => {
                    self.error(pw, &error);
                    let count = if rows.is_some() { tds::DONE_COUNT } else { 0 };
                    tds::put_done(
                        &mut pw.buf,
                        tds::TOKEN_DONE,
                        tds::DONE_ERROR | count,
                        tds::CMD_SELECT,
                        rows.unwrap_or(0),
                    );
                    return Ok(false);
                }
                Outcome::Cut => return Ok(true),
            }
        }
        Ok(false)
    }

    /// An RPC: `sp_executesql` runs its statement; DONEINPROC after each
    /// statement, then RETURNSTATUS and DONEPROC.
    fn rpc(
        &self,
        payload: &[u8],
        state: &mut SessionState,
        pw: &mut PacketWriter,
        w: &mut dyn Write,
    ) -> io::Result<bool> {
        let done_proc = |pw: &mut PacketWriter, status: i32| {
            tds::put_return_status(&mut pw.buf, status);
            tds::put_done(
                &mut pw.buf,
                tds::TOKEN_DONEPROC,
                if status == 0 { 0 } else { tds::DONE_ERROR },
                tds::CMD_EXECUTE,
                0,
            );
        };
        let req = match tds::parse_rpc(payload)? {
            Ok(r) => r,
            Err(bad) => {
                let e = SqlError::new(
                    8016,
                    16,
                    format!(
                        "The incoming tabular data stream (TDS) remote procedure call (RPC) protocol stream is incorrect. Parameter {} (\"{}\"): Data type {:#04x} is unknown.",
                        bad.index, bad.name, bad.type_byte
                    ),
                );
                self.error(pw, &e);
                done_proc(pw, 1);
                return Ok(false);
            }
        };
        let is_executesql = match &req.proc {
            RpcProc::Id(10) => true,
            RpcProc::Name(n) => {
                let n = n.to_ascii_lowercase();
                n == "sp_executesql" || n == "sys.sp_executesql"
            }
            RpcProc::Id(_) => false,
        };
        if !is_executesql {
            let name = match &req.proc {
                RpcProc::Id(id) => format!("procedure id {id}"),
                RpcProc::Name(n) => n.clone(),
            };
            self.error(
                pw,
                &SqlError::new(
                    2812,
                    16,
                    format!("Could not find stored procedure '{name}'."),
                ),
            );
            done_proc(pw, 1);
            return Ok(false);
        }
        let text = match req.params.first().map(|p| &p.value) {
            Some(Value::Unicode(t)) => t.to_string_lossy(),
            Some(Value::Ansi(b)) => crate::value::cp1252_decode(b),
            _ => {
                self.error(
                    pw,
                    &SqlError::new(
                        214,
                        16,
                        "Procedure expects parameter '@statement' of type 'ntext/nchar/nvarchar'.",
                    ),
                );
                done_proc(pw, 1);
                return Ok(false);
            }
        };
        let params = req.params.get(2..).unwrap_or(&[]);
        self.shared.log.push(LoggedQuery {
            connection: self.id,
            kind: RequestKind::Rpc,
            sql: text.clone(),
            params: params
                .iter()
                .map(|p| {
                    (
                        p.name.clone(),
                        p.ty.to_string(),
                        exec::param_value(&p.value, &p.ty),
                    )
                })
                .collect(),
        });
        if self.shared.verbose {
            let shown: Vec<String> = params
                .iter()
                .map(|p| format!("{}={:?}", p.name, exec::param_value(&p.value, &p.ty)))
                .collect();
            eprintln!(
                "[tds] connection {}: rpc {} [{}]",
                self.id,
                text.trim(),
                shown.join(", ")
            );
        }
        let stmts = match sql::parse(&text) {
            Ok(s) => s,
            Err(e) => {
                self.error(pw, &e);
                done_proc(pw, 1);
                return Ok(false);
            }
        };
        let env = self.env(params);
        for stmt in &stmts {
            match exec::execute(stmt, &env, state, &mut Out { pw, w })? {
                Outcome::Done { rows } => {
                    let (status, cmd) = match rows {
                        Some(_) => (tds::DONE_COUNT, tds::CMD_SELECT),
                        None => (0, 0),
                    };
                    tds::put_done(
                        &mut pw.buf,
                        tds::TOKEN_DONEINPROC,
                        status | tds::DONE_MORE,
                        cmd,
                        rows.unwrap_or(0),
                    );
                }
                Outcome::Error { error, rows } => {
                    self.error(pw, &error);
                    let count = if rows.is_some() { tds::DONE_COUNT } else { 0 };
                    tds::put_done(
                        &mut pw.buf,
                        tds::TOKEN_DONEINPROC,
                        tds::DONE_ERROR | tds::DONE_MORE | count,
                        tds::CMD_SELECT,
                        rows.unwrap_or(0),
                    );
                    done_proc(pw, 1);
                    return Ok(false);
                }
                Outcome::Cut => return Ok(true),
            }
        }
        done_proc(pw, 0);
        Ok(false)
    }
}
