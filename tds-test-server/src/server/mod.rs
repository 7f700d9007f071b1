//! The server: a listener thread, and a thread per connection that speaks
//! TDS with blocking I/O (reading a dump is blocking file work anyway, and a
//! thread per connection spreads connections over the cores).
//!
//! One concern per file:
//!
//! - `config.rs`: [`ServerConfig`], how a server is set up.
//! - `handle.rs`: [`Server`], a running server (start, stop, its URL, what
//!   it has read), [`BackgroundServer`], and the listener thread.
//! - `shared.rs`: what every connection shares, and a connection's state
//!   between requests.
//! - `connection.rs`: one connection: PRELOGIN, TLS, LOGIN7, then its
//!   requests until it ends.
//! - `session.rs`: a logged-in connection's requests: SQL batches and
//!   `sp_executesql` RPCs, their statements run and their DONE tokens.
//! - `transactions.rs`: `BEGIN TRAN`/`COMMIT`/`ROLLBACK`/`SAVE TRAN` and
//!   transaction manager requests: the transaction count (`@@TRANCOUNT`),
//!   name, savepoints, descriptor and ENVCHANGEs.

mod config;
mod connection;
mod handle;
mod session;
mod shared;
mod transactions;

pub use config::ServerConfig;
pub use handle::{BackgroundServer, Server, ServerStats};
pub(crate) use shared::{SessionState, Shared};
