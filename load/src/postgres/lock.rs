//! One loader per module database at a time.
//!
//! A load holds a session-level advisory lock ([`LOAD_LOCK`]) in each
//! module database it writes, on a connection of its own that stays open
//! for the whole load. A second load into the same database finds the lock
//! taken and is refused at once, before it writes anything, naming the
//! holder's server process; the first load goes on undisturbed. The lock
//! goes with the session: a loader that crashes or is killed lets go of
//! it when the server notices the connection is gone.

use super::PgError;
use super::server::Server;
use crate::modules::ModuleSpec;
use sqlx::Connection as _;
use sqlx::postgres::PgConnection;

/// The advisory lock key a load holds in each module database (in
/// pg_locks: classid 0, objid 7032, objsubid 1). Key 7031 is the
/// transaction lock two loaders take while preparing a schema.
pub const LOAD_LOCK: i64 = 7032;

/// A module database held for one load. Let go with [`LoadLock::release`]
/// (dropping it closes the connection too, but without waiting for the
/// server to notice).
pub struct LoadLock {
    conn: PgConnection,
}

impl LoadLock {
    /// Takes the load lock of `database`, or says who holds it.
    pub async fn acquire(server: &Server, database: &str) -> Result<LoadLock, PgError> {
        let mut conn = server.connect(database).await?;
        let fail = |e| server.error(database, "locking the database for this load", e);
        let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(LOAD_LOCK)
            .fetch_one(&mut conn)
            .await
            .map_err(fail)?;
        if taken {
            return Ok(LoadLock { conn });
        }
        let pid = holder(&mut conn).await.map_err(fail)?;
        let _ = conn.close().await;
        Err(PgError::Locked {
            database: server.shown_with(database),
            pid,
        })
    }

    /// Lets go of the lock and closes its connection.
    pub async fn release(mut self) {
        let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(LOAD_LOCK)
            .execute(&mut self.conn)
            .await;
        let _ = self.conn.close().await;
    }
}

/// Lets go of every lock in `locks`.
pub async fn release_all(locks: Vec<LoadLock>) {
    for lock in locks {
        lock.release().await;
    }
}

/// The server process that holds the load lock of the database `conn` is
/// connected to, if one still does.
async fn holder(conn: &mut PgConnection) -> Result<Option<i32>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT pid FROM pg_locks
         WHERE locktype = 'advisory' AND granted
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND classid = ($1 >> 32)::oid AND objid = ($1 & 4294967295)::oid AND objsubid = 1
           AND pid <> pg_backend_pid()
         LIMIT 1",
    )
    .bind(LOAD_LOCK)
    .fetch_optional(conn)
    .await
}

/// Drops the module databases of `targets`, none while another load holds
/// one (the drop would end that load's sessions) and none that holds tables
/// pancake did not create: each existing one is locked and checked first,
/// and a database held by another load or holding someone else's tables
/// refuses the reset before anything is dropped.
pub(super) async fn reset(
    targets: &[(&'static ModuleSpec, Server, String)],
) -> Result<(), PgError> {
    let mut held = Vec::new();
    for (_, server, database) in targets {
        let locked = match server.database_exists(database).await {
            Ok(false) => continue,
            Ok(true) => hold_for_reset(server, database).await,
            Err(e) => Err(e),
        };
        match locked {
            Ok(lock) => held.push(lock),
            Err(e) => {
                release_all(held).await;
                return Err(e);
            }
        }
    }
    // All at once: dropping a database is mostly the server deleting its
    // files and waiting for the disk, seconds for a loaded one.
    let drops = targets
        .iter()
        .map(|(_, server, database)| server.drop_database(database));
    let dropped = futures_util::future::join_all(drops).await;
    if let Some(e) = dropped.into_iter().find_map(Result::err) {
        release_all(held).await;
        return Err(e);
    }
    // Their sessions ended with their databases.
    drop(held);
    Ok(())
}

/// The load lock of `database`, once it is known to be pancake's: a
/// database with tables pancake did not create is not to be dropped.
async fn hold_for_reset(server: &Server, database: &str) -> Result<LoadLock, PgError> {
    let mut lock = LoadLock::acquire(server, database).await?;
    match super::schema::foreign(&mut lock.conn).await {
        Ok(false) => Ok(lock),
        Ok(true) => {
            lock.release().await;
            Err(PgError::NotPancake {
                database: server.shown_with(database),
            })
        }
        Err(e) => {
            lock.release().await;
            Err(server.error(database, "reading the schema", e))
        }
    }
}

/// Creates the module databases that are missing and locks each for this
/// load, in one order (by server and name) so that two loads of
/// overlapping modules cannot each hold a part of them. Returns the locks
/// and, per target, whether its database was created now.
pub(super) async fn lock_all(
    targets: &[(&'static ModuleSpec, Server, String)],
) -> Result<(Vec<LoadLock>, Vec<bool>), PgError> {
    let mut order: Vec<usize> = (0..targets.len()).collect();
    order.sort_by_key(|&i| targets[i].1.shown_with(&targets[i].2));
    // The missing databases all at once (each copies the template and
    // waits for the disk), then the locks one by one, in order.
    let creates = targets
        .iter()
        .map(|(_, server, database)| server.create_database(database));
    let mut created = Vec::with_capacity(targets.len());
    for made in futures_util::future::join_all(creates).await {
        created.push(made?);
    }
    let mut locks = Vec::new();
    for i in order {
        let (_, server, database) = &targets[i];
        match LoadLock::acquire(server, database).await {
            Ok(lock) => locks.push(lock),
            Err(e) => {
                release_all(locks).await;
                return Err(e);
            }
        }
    }
    Ok((locks, created))
}
