//! The embedded store: SQLite in WAL mode with `synchronous = FULL`, so a committed send
//! survives a crash or power loss.
//!
//! One thread owns the connection. Requests queue up on a channel; the thread takes every
//! request waiting, runs them in one transaction and commits once, so concurrent sends share
//! one fsync (group commit) instead of paying one each.

use std::path::Path;
use std::sync::mpsc as std_mpsc;

use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params};
use sotto_shared::wire::relay::{MsgId, SndId};
use tokio::sync::oneshot;

use crate::error::ShimError;

use super::{Backlog, BoxFuture, Capacity, Pushed, QueueKey, Store, StoreError, StoredMsg};

const SCHEMA: &str = "PRAGMA journal_mode = WAL;
     PRAGMA synchronous = FULL;
     -- Off: checking the key on every insert made SQLite open (and malloc, and free) a
     -- statement journal per statement; the store deletes a queue's messages itself.
     PRAGMA foreign_keys = OFF;
     PRAGMA busy_timeout = 5000;
     CREATE TABLE IF NOT EXISTS queues (
         queue BLOB PRIMARY KEY,           -- SHA-256(rcv_id); rcv_id itself is never stored
         snd_id BLOB NOT NULL UNIQUE,
         head INTEGER NOT NULL DEFAULT 0,  -- last seq assigned
         created_ms INTEGER NOT NULL,
         last_used_ms INTEGER NOT NULL DEFAULT 0  -- last send or subscribe
     ) WITHOUT ROWID;
     CREATE TABLE IF NOT EXISTS messages (
         queue BLOB NOT NULL REFERENCES queues(queue),  -- not enforced (foreign_keys off)
         seq INTEGER NOT NULL,
         msg_id TEXT NOT NULL,
         ts INTEGER NOT NULL,
         payload BLOB NOT NULL,
         PRIMARY KEY (queue, seq)
     ) WITHOUT ROWID;
     -- No secondary indexes: every send and ack would write them too. An ack finds its message
     -- among its queue's at most --max-pending rows by the primary key's prefix; the expiry
     -- sweep scans the table once a minute.
     DROP INDEX IF EXISTS messages_by_id;
     DROP INDEX IF EXISTS messages_by_ts;";

/// Requests taken into one transaction at most.
const MAX_BATCH: usize = 512;

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// How to answer a request once its batch's commit succeeded or failed.
type Answer = Box<dyn FnOnce(Option<&StoreError>)>;

enum Op {
    Create {
        queue: QueueKey,
        snd_id: SndId,
        now_ms: u64,
        reply: Reply<()>,
    },
    Touch {
        queue: QueueKey,
        now_ms: u64,
        reply: Reply<bool>,
    },
    Push {
        snd_id: SndId,
        msg_id: MsgId,
        ts: u64,
        payload: Vec<u8>,
        max_pending: u32,
        reply: Reply<Pushed>,
    },
    Backlog {
        queue: QueueKey,
        after_seq: u64,
        min_ts: u64,
        limit: u32,
        reply: Reply<Backlog>,
    },
    Ack {
        queue: QueueKey,
        msg_id: MsgId,
        reply: Reply<bool>,
    },
    Delete {
        queue: QueueKey,
        reply: Reply<bool>,
    },
    Expire {
        before_ts: u64,
        reply: Reply<u64>,
    },
    ExpireIdle {
        before_ms: u64,
        reply: Reply<u64>,
    },
    Count {
        reply: Reply<u64>,
    },
    Flush {
        reply: Reply<()>,
    },
}

/// SQLite-backed [`Store`].
#[derive(Debug)]
pub struct SqliteStore {
    ops: std_mpsc::Sender<Op>,
}

fn internal(e: rusqlite::Error) -> StoreError {
    tracing::error!(error = %e, "sqlite");
    StoreError::Internal(e.to_string())
}

impl SqliteStore {
    /// Opens (or creates) the store in `dir`.
    ///
    /// # Errors
    /// Why the directory or database cannot be used.
    pub fn open(dir: &Path, capacity: Capacity) -> Result<Self, ShimError> {
        std::fs::create_dir_all(dir).map_err(|source| ShimError::DataDir {
            path: dir.to_owned(),
            source,
        })?;
        let path = dir.join("sotto.sqlite3");
        let database = |source| ShimError::Database {
            path: path.clone(),
            source,
        };
        let conn = Connection::open(&path).map_err(database)?;
        conn.execute_batch(SCHEMA).map_err(database)?;
        migrate(&conn).map_err(database)?;
        let usage = Usage::of(&conn, capacity).map_err(database)?;
        // Check that the directory is writable now rather than at the first send.
        conn.execute_batch("BEGIN IMMEDIATE; COMMIT;")
            .map_err(database)?;

        conn.set_prepared_statement_cache_capacity(32);
        let (ops, rx) = std_mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-store".into())
            .spawn(move || run(conn, usage, &rx))
            .map_err(ShimError::Thread)?;
        Ok(Self { ops })
    }

    fn call<T: Send + 'static>(
        &self,
        make: impl FnOnce(Reply<T>) -> Op,
    ) -> BoxFuture<'_, Result<T, StoreError>> {
        let (tx, rx) = oneshot::channel();
        let sent = self.ops.send(make(tx));
        Box::pin(async move {
            sent.map_err(|_| StoreError::Internal("store thread stopped".into()))?;
            rx.await
                .map_err(|_| StoreError::Internal("store thread stopped".into()))?
        })
    }
}

impl Store for SqliteStore {
    fn create_queue(
        &self,
        queue: QueueKey,
        snd_id: SndId,
        now_ms: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        self.call(|reply| Op::Create {
            queue,
            snd_id,
            now_ms,
            reply,
        })
    }
    fn touch(&self, queue: QueueKey, now_ms: u64) -> BoxFuture<'_, Result<bool, StoreError>> {
        self.call(|reply| Op::Touch {
            queue,
            now_ms,
            reply,
        })
    }
    fn push(
        &self,
        snd_id: SndId,
        msg_id: MsgId,
        ts: u64,
        payload: Vec<u8>,
        max_pending: u32,
    ) -> BoxFuture<'_, Result<Pushed, StoreError>> {
        self.call(|reply| Op::Push {
            snd_id,
            msg_id,
            ts,
            payload,
            max_pending,
            reply,
        })
    }
    fn backlog(
        &self,
        queue: QueueKey,
        after_seq: u64,
        min_ts: u64,
        limit: u32,
    ) -> BoxFuture<'_, Result<Backlog, StoreError>> {
        self.call(|reply| Op::Backlog {
            queue,
            after_seq,
            min_ts,
            limit,
            reply,
        })
    }
    fn ack(&self, queue: QueueKey, msg_id: MsgId) -> BoxFuture<'_, Result<bool, StoreError>> {
        self.call(|reply| Op::Ack {
            queue,
            msg_id,
            reply,
        })
    }
    fn delete_queue(&self, queue: QueueKey) -> BoxFuture<'_, Result<bool, StoreError>> {
        self.call(|reply| Op::Delete { queue, reply })
    }
    fn expire(&self, before_ts: u64) -> BoxFuture<'_, Result<u64, StoreError>> {
        self.call(|reply| Op::Expire { before_ts, reply })
    }
    fn expire_idle(&self, before_ms: u64) -> BoxFuture<'_, Result<u64, StoreError>> {
        self.call(|reply| Op::ExpireIdle { before_ms, reply })
    }
    fn queue_count(&self) -> BoxFuture<'_, Result<u64, StoreError>> {
        self.call(|reply| Op::Count { reply })
    }
    fn flush(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        self.call(|reply| Op::Flush { reply })
    }
}

/// Adds what older databases lack.
fn migrate(conn: &Connection) -> Result<(), rusqlite::Error> {
    let has_last_used: bool = conn
        .prepare("SELECT 1 FROM pragma_table_info('queues') WHERE name = 'last_used_ms'")?
        .exists([])?;
    if !has_last_used {
        conn.execute_batch(
            "ALTER TABLE queues ADD COLUMN last_used_ms INTEGER NOT NULL DEFAULT 0;
             UPDATE queues SET last_used_ms = created_ms;",
        )?;
    }
    Ok(())
}

/// What the store holds, kept by the store thread so limits need no scan per request.
#[derive(Debug)]
struct Usage {
    capacity: Capacity,
    queues: u64,
    bytes: u64,
}

impl Usage {
    fn of(conn: &Connection, capacity: Capacity) -> Result<Self, rusqlite::Error> {
        let queues: i64 = conn.query_row("SELECT COUNT(*) FROM queues", [], |r| r.get(0))?;
        let bytes: i64 = conn.query_row(
            "SELECT COALESCE(SUM(length(payload)), 0) FROM messages",
            [],
            |r| r.get(0),
        )?;
        Ok(Self {
            capacity,
            queues: queues as u64,
            bytes: bytes as u64,
        })
    }
}

impl Op {
    /// Whether `ok` for this request promises it survives a crash. Acks, touches, reads and
    /// expiry do not: losing one means a redelivery or a later sweep, never a lost message.
    fn needs_fsync(&self) -> bool {
        matches!(
            self,
            Op::Create { .. } | Op::Push { .. } | Op::Delete { .. } | Op::Flush { .. }
        )
    }
}

/// Where the store thread's time goes, logged once a second at debug level
/// (`RUST_LOG=sotto_shim::store=debug`).
#[derive(Debug)]
struct Stats {
    since: std::time::Instant,
    batches: u32,
    fsynced: u32,
    ops: usize,
    exec: std::time::Duration,
    commit: std::time::Duration,
}

impl Default for Stats {
    fn default() -> Self {
        Self {
            since: std::time::Instant::now(),
            batches: 0,
            fsynced: 0,
            ops: 0,
            exec: std::time::Duration::ZERO,
            commit: std::time::Duration::ZERO,
        }
    }
}

impl Stats {
    fn add(
        &mut self,
        ops: usize,
        fsynced: bool,
        began: std::time::Instant,
        executed: std::time::Instant,
    ) {
        self.batches += 1;
        self.fsynced += u32::from(fsynced);
        self.ops += ops;
        self.exec += executed.saturating_duration_since(began);
        self.commit += executed.elapsed();
        if self.since.elapsed() >= std::time::Duration::from_secs(1) {
            tracing::debug!(
                batches = self.batches,
                fsynced = self.fsynced,
                ops = self.ops,
                exec_ms = self.exec.as_millis() as u64,
                commit_ms = self.commit.as_millis() as u64,
                "store, last second"
            );
            *self = Self::default();
        }
    }
}

/// The store thread: batches waiting requests into one transaction.
fn run(mut conn: Connection, mut usage: Usage, rx: &std_mpsc::Receiver<Op>) {
    // In WAL mode, `synchronous = NORMAL` commits without an fsync; the next FULL commit's
    // fsync of the WAL makes those earlier frames durable too.
    let mut full = true;
    let mut stats = Stats::default();
    while let Ok(first) = rx.recv() {
        let began = std::time::Instant::now();
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let needs_fsync = batch.iter().any(Op::needs_fsync);
        let ops = batch.len();
        let mut executed = began;
        let wants_checkpoint = batch.iter().any(|op| matches!(op, Op::Flush { .. }));
        let mut replies: Vec<Answer> = Vec::with_capacity(batch.len());
        let outcome = (|| -> Result<(), rusqlite::Error> {
            if needs_fsync != full {
                // If this fails the batch is dropped unanswered: its callers see `internal`.
                let level = if needs_fsync { "FULL" } else { "NORMAL" };
                conn.pragma_update(None, "synchronous", level)?;
                full = needs_fsync;
            }
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            for op in batch {
                replies.push(execute(&tx, &mut usage, op)?);
            }
            executed = std::time::Instant::now();
            tx.commit()
        })();
        stats.add(ops, needs_fsync, began, executed);
        // Replies are sent only after the commit: `ok` means durable.
        let mut failure = outcome.err().map(internal);
        if failure.is_some() {
            // The batch rolled back: count again rather than guess.
            if let Ok(counted) = Usage::of(&conn, usage.capacity) {
                usage = counted;
            }
        }
        if wants_checkpoint && failure.is_none() {
            // Fold the WAL into the main file so a stopped shim leaves one self-contained file.
            failure = conn
                .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
                .err()
                .map(internal);
        }
        for reply in replies {
            reply(failure.as_ref());
        }
    }
}

/// Runs one request inside the batch transaction; returns how to answer once the commit is known.
fn execute(
    tx: &rusqlite::Transaction<'_>,
    usage: &mut Usage,
    op: Op,
) -> Result<Answer, rusqlite::Error> {
    fn answer<T: Send + 'static>(reply: Reply<T>, result: Result<T, StoreError>) -> Answer {
        Box::new(move |failure| {
            let _ = reply.send(match failure {
                Some(e) => Err(e.clone()),
                None => result,
            });
        })
    }
    Ok(match op {
        Op::Create {
            queue,
            snd_id,
            now_ms,
            reply,
        } => {
            if usage.queues >= usage.capacity.max_queues {
                return Ok(answer(reply, Err(StoreError::StoreFull)));
            }
            tx.prepare_cached(
                "INSERT INTO queues (queue, snd_id, created_ms, last_used_ms) VALUES (?1, ?2, ?3, ?3)",
            )?
            .execute(params![&queue.0[..], &snd_id.as_bytes()[..], now_ms as i64])?;
            usage.queues += 1;
            answer(reply, Ok(()))
        }
        Op::Touch {
            queue,
            now_ms,
            reply,
        } => {
            let n = tx
                .prepare_cached("UPDATE queues SET last_used_ms = ?2 WHERE queue = ?1")?
                .execute(params![&queue.0[..], now_ms as i64])?;
            answer(reply, Ok(n > 0))
        }
        Op::Push {
            snd_id,
            msg_id,
            ts,
            payload,
            max_pending,
            reply,
        } => {
            let row: Option<(Vec<u8>, i64)> = tx
                .prepare_cached("SELECT queue, head FROM queues WHERE snd_id = ?1")?
                .query_row([&snd_id.as_bytes()[..]], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let Some((queue, head)) = row else {
                return Ok(answer(reply, Err(StoreError::UnknownQueue)));
            };
            let pending: i64 = tx
                .prepare_cached("SELECT COUNT(*) FROM messages WHERE queue = ?1")?
                .query_row([&queue], |r| r.get(0))?;
            if pending >= i64::from(max_pending) {
                return Ok(answer(reply, Err(StoreError::QueueFull)));
            }
            let len = payload.len() as u64;
            if usage.bytes + len > usage.capacity.max_stored_bytes {
                return Ok(answer(reply, Err(StoreError::StoreFull)));
            }
            usage.bytes += len;
            let seq = head + 1;
            tx.prepare_cached(
                "INSERT INTO messages (queue, seq, msg_id, ts, payload) VALUES (?1, ?2, ?3, ?4, ?5)")?.execute(params![&queue, seq, &msg_id.0, ts as i64, &payload],
            )?;
            tx.prepare_cached("UPDATE queues SET head = ?2, last_used_ms = ?3 WHERE queue = ?1")?
                .execute(params![&queue, seq, ts as i64])?;
            let queue = QueueKey(queue.try_into().expect("queue keys are 32 bytes"));
            let msg = StoredMsg {
                seq: seq as u64,
                msg_id,
                ts,
                payload,
            };
            answer(reply, Ok(Pushed { queue, msg }))
        }
        Op::Backlog {
            queue,
            after_seq,
            min_ts,
            limit,
            reply,
        } => {
            let head: Option<i64> = tx
                .prepare_cached("SELECT head FROM queues WHERE queue = ?1")?
                .query_row([&queue.0[..]], |r| r.get(0))
                .optional()?;
            let Some(head) = head else {
                return Ok(answer(reply, Err(StoreError::UnknownQueue)));
            };
            let mut stmt = tx.prepare_cached(
                "SELECT seq, msg_id, ts, payload FROM messages WHERE queue = ?1 AND seq > ?2 AND ts >= ?3 ORDER BY seq LIMIT ?4",
            )?;
            let messages = stmt
                .query_map(
                    params![&queue.0[..], after_seq as i64, min_ts as i64, limit],
                    |r| {
                        Ok(StoredMsg {
                            seq: r.get::<_, i64>(0)? as u64,
                            msg_id: MsgId(r.get(1)?),
                            ts: r.get::<_, i64>(2)? as u64,
                            payload: r.get(3)?,
                        })
                    },
                )?
                .collect::<Result<Vec<_>, _>>()?;
            answer(
                reply,
                Ok(Backlog {
                    messages,
                    head: head as u64,
                }),
            )
        }
        Op::Ack {
            queue,
            msg_id,
            reply,
        } => {
            let exists = tx
                .prepare_cached("SELECT 1 FROM queues WHERE queue = ?1")?
                .query_row([&queue.0[..]], |_| Ok(()))
                .optional()?;
            if exists.is_none() {
                return Ok(answer(reply, Err(StoreError::UnknownQueue)));
            }
            // Not `DELETE … RETURNING`: SQLite buffers returned rows in an ephemeral table,
            // whose pages were allocated and freed on every ack.
            let freed: Option<i64> = tx
                .prepare_cached(
                    "SELECT length(payload) FROM messages WHERE queue = ?1 AND msg_id = ?2",
                )?
                .query_row(params![&queue.0[..], &msg_id.0], |r| r.get(0))
                .optional()?;
            if let Some(len) = freed {
                tx.prepare_cached("DELETE FROM messages WHERE queue = ?1 AND msg_id = ?2")?
                    .execute(params![&queue.0[..], &msg_id.0])?;
                usage.bytes = usage.bytes.saturating_sub(len as u64);
            }
            answer(reply, Ok(freed.is_some()))
        }
        Op::Delete { queue, reply } => {
            let held: i64 = tx
                .prepare_cached(
                    "SELECT COALESCE(SUM(length(payload)), 0) FROM messages WHERE queue = ?1",
                )?
                .query_row([&queue.0[..]], |r| r.get(0))?;
            tx.prepare_cached("DELETE FROM messages WHERE queue = ?1")?
                .execute([&queue.0[..]])?;
            let n = tx
                .prepare_cached("DELETE FROM queues WHERE queue = ?1")?
                .execute([&queue.0[..]])?;
            if n > 0 {
                usage.queues = usage.queues.saturating_sub(1);
                usage.bytes = usage.bytes.saturating_sub(held as u64);
            }
            answer(reply, Ok(n > 0))
        }
        Op::Expire { before_ts, reply } => {
            let freed: i64 = tx
                .prepare_cached(
                    "SELECT COALESCE(SUM(length(payload)), 0) FROM messages WHERE ts < ?1",
                )?
                .query_row([before_ts as i64], |r| r.get(0))?;
            let n = tx
                .prepare_cached("DELETE FROM messages WHERE ts < ?1")?
                .execute([before_ts as i64])?;
            usage.bytes = usage.bytes.saturating_sub(freed as u64);
            answer(reply, Ok(n as u64))
        }
        Op::ExpireIdle { before_ms, reply } => {
            let held: i64 = tx
                .prepare_cached(
                    "SELECT COALESCE(SUM(length(m.payload)), 0) FROM messages m
                     JOIN queues q ON q.queue = m.queue WHERE q.last_used_ms < ?1",
                )?
                .query_row([before_ms as i64], |r| r.get(0))?;
            tx.prepare_cached(
                "DELETE FROM messages WHERE queue IN (SELECT queue FROM queues WHERE last_used_ms < ?1)",
            )?
            .execute([before_ms as i64])?;
            let n = tx
                .prepare_cached("DELETE FROM queues WHERE last_used_ms < ?1")?
                .execute([before_ms as i64])?;
            usage.queues = usage.queues.saturating_sub(n as u64);
            usage.bytes = usage.bytes.saturating_sub(held as u64);
            answer(reply, Ok(n as u64))
        }
        Op::Count { reply } => {
            let n: i64 = tx
                .prepare_cached("SELECT COUNT(*) FROM queues")?
                .query_row([], |r| r.get(0))?;
            answer(reply, Ok(n as u64))
        }
        Op::Flush { reply } => answer(reply, Ok(())),
    })
}
