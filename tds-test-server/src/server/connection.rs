//! One connection: PRELOGIN (and TLS when both sides want it), LOGIN7 and
//! its answer, then requests until the client leaves, a fault cuts it, or
//! the server stops.

use super::session::Connection;
use super::shared::{SessionState, Shared};
use super::transactions::Transactions;
use crate::sql::IsolationLevel;
use crate::tds::{self, PacketWriter};
use crate::tls::{self, Transport};
use crate::value::SqlError;
use std::collections::HashMap;
use std::io::{self, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::Ordering;

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
pub(super) fn serve(shared: &Shared, mut tcp: TcpStream, id: u64) -> io::Result<()> {
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
    // The login's reply as the client reads it (a client below 7.1 gets
    // its refusal as 7.1 has it: the same ERROR token as 7.0).
    let mut pw = PacketWriter::new(tds::PKT_REPLY, 4096, spid).with_version(
        tds::TdsVersion::negotiate(login.tds_version).unwrap_or(tds::TdsVersion::V7_1),
    );
    let fail = |pw: &mut PacketWriter, errors: &[SqlError], t: &mut Transport| -> io::Result<()> {
        for e in errors {
            pw.message(tds::TOKEN_ERROR, e, &shared.server_name);
        }
        pw.done(tds::TOKEN_DONE, tds::DONE_ERROR, 0, 0);
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
    let Some(version) = tds::TdsVersion::negotiate(login.tds_version) else {
        let e = SqlError::server(format!(
            "the TDS test server speaks TDS 7.1 to 7.4; the client asked for TDS {} \
             ({:#010x})",
            tds::TdsVersion::name(login.tds_version),
            login.tds_version
        ));
        return fail(&mut pw, &[e, login_failed], &mut transport);
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
        pw.message(tds::TOKEN_INFO, &e, &shared.server_name);
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
    tds::put_loginack(
        &mut pw.buf,
        version,
        "Microsoft SQL Server",
        shared.version_bytes(),
    );
    tds::put_envchange(
        &mut pw.buf,
        4,
        &packet_size.to_string(),
        &packet_size.to_string(),
    );
    pw.done(tds::TOKEN_DONE, tds::DONE_FINAL, 0, 0);
    pw.finish(&mut transport)?;

    // Requests.
    let mut state = SessionState {
        isolation: IsolationLevel::ReadCommitted,
        cursors: HashMap::new(),
        fmtonly: false,
        transactions: Transactions::new(id),
    };
    let conn = Connection {
        shared,
        id,
        spid,
        user: login.user.clone(),
        database,
        packet_size: packet_size as usize,
        version,
    };
    loop {
        if shared.shutdown.load(Ordering::SeqCst) {
            return Ok(());
        }
        let Some(msg) = tds::read_message(&mut transport)? else {
            return Ok(());
        };
        let mut pw =
            PacketWriter::new(tds::PKT_REPLY, conn.packet_size, spid).with_version(version);
        let cut = match msg.ty {
            tds::PKT_SQL_BATCH => conn.batch(&msg.payload, &mut state, &mut pw, &mut transport)?,
            tds::PKT_RPC => conn.rpc(&msg.payload, &mut state, &mut pw, &mut transport)?,
            tds::PKT_TRANS_MGR => {
                conn.trans_mgr(&msg.payload, &mut state, &mut pw)?;
                false
            }
            tds::PKT_ATTENTION => {
                // Nothing runs between requests: acknowledge.
                pw.done(tds::TOKEN_DONE, tds::DONE_ATTN, 0, 0);
                false
            }
            other => {
                let e = SqlError::server(format!(
                    "the TDS test server does not take requests of packet type {other:#04x}"
                ));
                pw.message(tds::TOKEN_ERROR, &e, &shared.server_name);
                pw.done(tds::TOKEN_DONE, tds::DONE_ERROR, 0, 0);
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
