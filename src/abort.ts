/* eslint-disable @typescript-eslint/prefer-promise-reject-errors -- rejections carry the caller's abort reason or the store's error unchanged */
/**
 * AbortSignal plumbing. No time, no timers.
 */

/**
 * Settles like `promise`, or rejects with `signal.reason` as soon as `signal`
 * aborts. The abandoned promise's own rejection is observed so it can never
 * become an unhandled rejection.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(ignore);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      promise.catch(ignore);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** Aborts `target` when `source` aborts (at once if it has); returns a function that unlinks them. */
export function linkSignal(source: AbortSignal | undefined, target: AbortController): () => void {
  if (source === undefined) return () => {};
  if (source.aborted) {
    target.abort(source.reason);
    return () => {};
  }
  const onAbort = (): void => target.abort(source.reason);
  source.addEventListener('abort', onAbort, { once: true });
  return () => source.removeEventListener('abort', onAbort);
}

function ignore(): void {}
