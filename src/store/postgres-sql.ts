/**
 * The SQL text of the PostgreSQL store: identifiers, lakeFS's advisory lock
 * id, the release-notification channel, the one-statement swap, and how a
 * `pg` error reads in a StoreError.
 */
import { messageOf } from './address.js';

/**
 * The NOTIFY channel of release notifications for `partition` of `table`:
 * `mco_released_` and the FNV-1a (32 bit) hash of `<table>\0<partition>` in
 * hex. Always a valid identifier well below PostgreSQL's 63 bytes, whatever
 * characters the names hold; a hash collision costs only a spurious wake-up
 * (the payload names the key as well).
 */
export function releaseChannel(table: string, partition: string): string {
  return `mco_released_${advisoryLockId(`${table}\0${partition}`).toString(16).padStart(8, '0')}`;
}

/**
 * One statement: `write` (returning a row when it wrote) as a CTE, then
 * whether it wrote and, only when it did not, the current value (NULL: no
 * row). `value` is NOT NULL in the table, so NULL means absent.
 *
 * The write is the conditional one (`INSERT … ON CONFLICT DO NOTHING` for an
 * absent key, `UPDATE … WHERE value = <expected>` otherwise). Under READ
 * COMMITTED both parts share the statement's snapshot, while the write
 * re-checks its condition against the newest committed row (waiting for a
 * writer in progress). So the compare is exact, and `current` is the row as
 * of the start of the statement: when a concurrent writer commits while the
 * statement runs, the swap fails and `current` can still be the value before
 * that write (then it equals `expected`, or is absent for an insert). The
 * caller learns what a failed write after a read would have told it:
 * someone else wrote in between.
 */
export function swapStatement(table: string, write: string): string {
  return (
    `WITH w AS (${write}) SELECT EXISTS (SELECT 1 FROM w) AS swapped, ` +
    `CASE WHEN EXISTS (SELECT 1 FROM w) THEN NULL ELSE (SELECT value FROM ${table} WHERE partition_key = $1 AND key = $2) END AS current`
  );
}

/** `name` as one SQL identifier: in double quotes, inner quotes doubled. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * lakeFS's advisory lock id for a table: FNV-1a (32 bit) of `lakefs:<table>`
 * over its UTF-8 bytes, as an unsigned decimal.
 */
export function advisoryLockId(name: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(name)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** lakeFS's `DefaultPartitions`: changing it would repartition lakeFS's table. */
export const LAKEFS_KV_PARTITIONS = 100;

/**
 * The statements that create `table` in lakeFS's layout when it is missing,
 * to run as one transaction: the transaction-level advisory lock shares
 * lakeFS's lock id, which serialises this with a lakeFS server (or another
 * store) setting up the same table; IF NOT EXISTS makes the loser's
 * statements no-ops.
 */
export function createTableStatements(table: string): string[] {
  const t = quoteIdentifier(table);
  return [
    `SELECT pg_advisory_xact_lock(${advisoryLockId(`lakefs:${table}`)})`,
    `CREATE TABLE IF NOT EXISTS ${t} (partition_key BYTEA NOT NULL, key BYTEA NOT NULL, value BYTEA NOT NULL, ` +
      `PRIMARY KEY (partition_key, key)) PARTITION BY HASH (partition_key)`,
    ...Array.from(
      { length: LAKEFS_KV_PARTITIONS },
      (_, i) =>
        `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(`${table}_${i}`)} PARTITION OF ${t} ` +
        `FOR VALUES WITH (MODULUS ${LAKEFS_KV_PARTITIONS}, REMAINDER ${i})`,
    ),
    `CREATE OR REPLACE VIEW ${quoteIdentifier(`${table}_v`)} AS SELECT ENCODE(partition_key, 'escape') AS partition_key, ` +
      `ENCODE(key, 'escape') AS key, value FROM ${t}`,
  ];
}

/**
 * A `pg` error as one line: its message (an AggregateError's, joined, when it
 * has none), its SQLSTATE, and the table when the state is of class 42
 * (undefined table or column, permissions).
 */
export function pgErrorDetail(err: unknown, quotedTable: string): string {
  let detail = messageOf(err);
  if (detail === '' && err instanceof AggregateError) detail = err.errors.map(messageOf).join('; ');
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && !detail.includes(code)) detail += ` (${code})`;
  if (typeof code === 'string' && code.startsWith('42')) detail += ` on table ${quotedTable}`;
  return detail;
}
