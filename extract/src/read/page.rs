//! One page: a keyset query over a borrowed session, retried on a new
//! session when the connection drops or the server stops answering, and
//! its rows turned into legacy records.

use crate::Shared;
use crate::catalog::TablePlan;
use crate::connect::{Connection, backoff};
use crate::error::ExtractError;
use crate::fields::{FieldKind, LegacyRow};
use crate::value::{AnomalyKind, Value, convert};
use futures_util::TryStreamExt;
use pancake_proto::legacy::RawText;
use tiberius::error::Error as TdsError;

/// A value that did not fit, with the row it is in.
pub(super) struct RowAnomaly {
    pub key: i64,
    pub field: &'static str,
    pub kind: AnomalyKind,
    pub detail: String,
}

/// Rows read whole, in key order.
pub(super) struct Page<R> {
    pub rows: Vec<R>,
    pub anomalies: Vec<RowAnomaly>,
    /// Bytes of the server's answer, as they came off the wire.
    pub bytes: u64,
}

/// Why a page could not be read.
enum PageFailure {
    /// Worth another try on a new connection.
    Transient {
        timeout: bool,
        message: String,
    },
    Fatal(ExtractError),
}

/// Reads the page after `after` (up to `upper`), on whichever session is
/// free, trying again on a new session up to `--retries` times; counts the
/// retries in `retries`.
pub(super) async fn fetch_with_retries<R: LegacyRow>(
    shared: &Shared,
    plan: &TablePlan,
    sql: &str,
    after: i64,
    upper: i64,
    retries: &mut u64,
) -> Result<Page<R>, ExtractError> {
    let options = &shared.options;
    let table = plan.mapping.display_name();
    let attempts = options.retries + 1;
    let mut last = PageFailure::Transient {
        timeout: false,
        message: String::new(),
    };
    for attempt in 1..=attempts {
        if attempt > 1 {
            *retries += 1;
            if let PageFailure::Transient { message, .. } = &last {
                shared
                    .progress
                    .retrying(plan.mapping.table.name(), attempt - 1, message);
            }
            tokio::time::sleep(backoff(attempt - 1)).await;
        }
        let mut session = shared.sessions.take().await;
        let client = match session.connect().await {
            Ok(client) => client,
            // The server may be restarting or failing over: try again.
            Err(
                e @ (ExtractError::ConnectionRefused { .. }
                | ExtractError::ConnectTimeout { .. }
                | ExtractError::Unreachable { .. }
                | ExtractError::Protocol { .. }),
            ) => {
                last = PageFailure::Transient {
                    timeout: false,
                    message: e.to_string(),
                };
                continue;
            }
            Err(e) => return Err(e),
        };
        let fetch = fetch_page::<R>(
            &options.source,
            client,
            plan,
            sql,
            after,
            upper,
            options.page_rows,
        );
        let outcome = match tokio::time::timeout(options.query_timeout, fetch).await {
            Ok(outcome) => outcome,
            Err(_) => Err(PageFailure::Transient {
                timeout: true,
                message: format!("no answer within {} s", options.query_timeout.as_secs()),
            }),
        };
        match outcome {
            Ok(page) => {
                session.release();
                return Ok(page);
            }
            Err(PageFailure::Fatal(e)) => return Err(e),
            Err(transient) => {
                // The connection is in an unknown state: dropping the
                // session closes it; the next try starts on a new one.
                last = transient;
            }
        }
    }
    let parts = shared
        .writer
        .snapshot()
        .table(plan.mapping.table.name())
        .map_or(0, |t| t.parts.len() as u32);
    Err(match last {
        PageFailure::Transient { timeout: true, .. } => ExtractError::QueryTimeout {
            table,
            seconds: options.query_timeout.as_secs(),
            attempts,
        },
        PageFailure::Transient { message, .. } => ExtractError::ConnectionLost {
            table,
            attempts,
            parts,
            message,
        },
        PageFailure::Fatal(e) => e,
    })
}

async fn fetch_page<R: LegacyRow>(
    source: &crate::source::Source,
    client: &mut Connection,
    plan: &TablePlan,
    sql: &str,
    after: i64,
    upper: i64,
    page_rows: u32,
) -> Result<Page<R>, PageFailure> {
    let fail = |e: TdsError| page_failure(e, plan, source);
    let before = client.bytes_read();
    let mut stream = client
        .query(sql, &[&i64::from(page_rows), &after, &upper])
        .await
        .map_err(fail)?
        .into_row_stream();
    let mut page = Page {
        rows: Vec::with_capacity(page_rows as usize),
        anomalies: Vec::new(),
        bytes: 0,
    };
    while let Some(row) = stream.try_next().await.map_err(fail)? {
        let record =
            row_to_record::<R>(plan, row, &mut page.anomalies).map_err(PageFailure::Fatal)?;
        page.rows.push(record);
    }
    drop(stream);
    page.bytes = client.bytes_read().saturating_sub(before);
    Ok(page)
}

fn page_failure(e: TdsError, plan: &TablePlan, source: &crate::source::Source) -> PageFailure {
    let table = plan.mapping.display_name();
    match e {
        TdsError::Server(token) => match token.code() {
            229 | 230 => PageFailure::Fatal(ExtractError::PermissionDenied {
                table,
                user: source.user.clone(),
                message: token.message().to_owned(),
            }),
            208 => PageFailure::Fatal(ExtractError::MissingTable {
                table,
                dump_table: plan.mapping.table.name().into(),
            }),
            3952 => PageFailure::Fatal(ExtractError::SnapshotNotAllowed {
                database: source.database.clone(),
            }),
            // Deadlock victim, lock timeout: the next try may well pass.
            1205 | 1222 => PageFailure::Transient {
                timeout: false,
                message: token.message().to_owned(),
            },
            code => PageFailure::Fatal(ExtractError::Server {
                code,
                action: format!("reading {table}"),
                message: token.message().to_owned(),
            }),
        },
        other => PageFailure::Transient {
            timeout: false,
            message: other.to_string(),
        },
    }
}

fn row_to_record<R: LegacyRow>(
    plan: &TablePlan,
    row: tiberius::Row,
    anomalies: &mut Vec<RowAnomaly>,
) -> Result<R, ExtractError> {
    let mut record = R::default();
    let mut key = 0i64;
    for (column, data) in plan.columns.iter().zip(row) {
        let (value, anomaly) =
            convert(column.ty, column.kind, data).map_err(|e| ExtractError::BadValue {
                table: plan.mapping.display_name(),
                key: key.to_string(),
                column: column.column.clone(),
                message: e.0,
            })?;
        if let FieldKind::Key { .. } = column.kind {
            match (&value, &anomaly) {
                (Value::Int(k), None) => key = *k,
                (_, Some(a)) => {
                    return Err(ExtractError::KeyOutOfRange {
                        table: plan.mapping.display_name(),
                        key: a.detail.clone(),
                        field: column.field.into(),
                        kind: column.kind.describe(),
                    });
                }
                _ => {
                    return Err(ExtractError::BadValue {
                        table: plan.mapping.display_name(),
                        key: "NULL".into(),
                        column: column.column.clone(),
                        message: "the key is NULL".into(),
                    });
                }
            }
        }
        if let Some(a) = anomaly {
            if let (Some(raw), Some(list)) = (a.raw_utf16, record.raw_texts()) {
                list.push(RawText {
                    column: column.field.into(),
                    utf16le: raw,
                });
            }
            anomalies.push(RowAnomaly {
                key,
                field: column.field,
                kind: a.kind,
                detail: a.detail,
            });
        }
        record.set(column.field_index, value);
    }
    Ok(record)
}
