/**
 * Typed errors. Each has a stable `name`, a message that says what happened
 * and what to do, the evidence as fields, and the underlying `cause`.
 */

/**
 * Thrown by {@link SetIfStore.setIf} (a store of lakeFS's get + setIf shape)
 * when the stored value no longer matches the predicate (or, for a "must not
 * exist" predicate, when the key exists).
 * Losing this race is normal; the owner treats it as "someone else wrote first".
 */
export class PredicateFailedError extends Error {
  override readonly name = 'PredicateFailedError';
  constructor(
    /** Partition of the key whose predicate failed. */
    readonly partition: string,
    /** The key whose predicate failed. */
    readonly key: Uint8Array,
  ) {
    super(`predicate failed for ${partition}/${describeKey(key)}: the value changed since it was read`);
  }
}

/** True for {@link PredicateFailedError}, also when it comes from another copy of this package. */
export function isPredicateFailed(err: unknown): boolean {
  return err instanceof PredicateFailedError || (err instanceof Error && err.name === 'PredicateFailedError');
}

/**
 * A stored ownership record could not be decoded. The owner never overwrites
 * such a record: inspect it (`value`) and delete it by hand if it is garbage.
 */
export class CorruptRecordError extends Error {
  override readonly name = 'CorruptRecordError';
  constructor(
    /** The prefixed key of the record (`<prefix>/<key>`). */
    readonly key: string,
    /** The owner id that found it, when known. */
    readonly owner: string | undefined,
    /** The raw stored bytes. */
    readonly value: Uint8Array,
    options: { cause: unknown },
  ) {
    super(
      `corrupt ownership record at mc-ownership/${key} (${value.length} bytes)` +
        (owner === undefined ? '' : ` seen by ${owner}`) +
        `: not a MostlyCorrectOwnership protobuf; it was left untouched, delete it by hand if it is garbage`,
      options,
    );
  }
}

/**
 * `own()` failed for a reason other than its signal aborting: the store
 * failed, or the record is corrupt (`cause` says which).
 */
export class OwnError extends Error {
  override readonly name = 'OwnError';
  constructor(
    /** The prefixed key (`<prefix>/<key>`). */
    readonly key: string,
    /** The unique owner id (`<owner>#<slug>`). */
    readonly owner: string,
    /** Which store operation failed: the read (`get`) or the write (`swap`). */
    readonly operation: 'get' | 'swap',
    /** How many acquire attempts had started, this one included. */
    readonly attempt: number,
    options: { cause: unknown },
  ) {
    super(
      `start owning ${key} for ${owner}: store ${operation} failed on attempt ${attempt}: ${messageOf(options.cause)}`,
      options,
    );
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A key as text when it is printable UTF-8, else as hex. */
export function describeKey(key: Uint8Array): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(key);
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\ufffd]/.test(text) ? `0x${hexOf(key)}` : text;
}

function hexOf(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/**
 * A store backend (Redis, PostgreSQL) failed: the server is unreachable,
 * timed out, refused the command, or the table is wrong. `address` names the
 * server with any password replaced by `***`; the message repeats it so a log
 * line alone says which server to look at.
 */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    /** Which kind of store: `redis` or `postgres`. */
    readonly store: string,
    /** The store operation that failed (`get`, `set`, `setIf`, `swap`, `delete`, `setup`). */
    readonly operation: string,
    /** The server, password redacted, e.g. `redis://:***@10.0.0.5:6379/0`. */
    readonly address: string,
    /** What failed, without the store, operation and address (the message adds them). */
    readonly detail: string,
    options: { cause: unknown },
  ) {
    super(`${store} ${operation} on ${address} failed: ${detail}`, options);
  }
}

/** Why an ownership was lost (see {@link OwnershipLostError}). */
export type LossReason = 'taken' | 'vanished' | 'deadline' | 'corrupt';

/**
 * The reason `ownership.lost` aborts with: the holder must stop acting as the
 * owner. `reason`: `taken` (a refresh read another owner's record), `vanished`
 * (the record is gone), `deadline` (no refresh succeeded within the lease minus
 * the loss margin, measured on the holder's monotonic clock from before the
 * last successful refresh was sent), `corrupt` (the record no longer decodes).
 */
export class OwnershipLostError extends Error {
  override readonly name = 'OwnershipLostError';
  constructor(
    readonly reason: LossReason,
    /** The prefixed key. */
    readonly key: string,
    /** The owner id that lost it. */
    readonly owner: string,
    /** The owner id now in the record, for `taken`. */
    readonly newOwner?: string,
  ) {
    super(
      `ownership of ${key} by ${owner} lost: ` +
        (reason === 'taken'
          ? `the record now names ${newOwner ?? 'another owner'}`
          : reason === 'vanished'
            ? 'the record is gone'
            : reason === 'deadline'
              ? 'no refresh succeeded before the holder\'s deadline'
              : 'the record no longer decodes') +
        '; stop acting as the owner',
    );
  }
}

/**
 * `own()` or `tryOwn()` on a {@link MostlyCorrectOwner} that was closed (or
 * is closing): a pending `own()` rejects with it, and so does every later
 * call. Create a new owner to own keys again.
 */
export class OwnerClosedError extends Error {
  override readonly name = 'OwnerClosedError';
  constructor(
    /** The prefix of the closed owner. */
    readonly prefix: string,
  ) {
    super(`MostlyCorrectOwner (prefix ${JSON.stringify(prefix)}) is closed: it owns nothing and acquires nothing any more; create a new one`);
  }
}
