/* eslint-disable @typescript-eslint/prefer-promise-reject-errors -- rejections carry the caller's abort reason or the store's error unchanged */
/**
 * Small helpers for AbortSignal plumbing. No time, no timers.
 */
import { onAbort, type Cancellation } from './cancel.js';

/**
 * Settles like `promise`, or rejects with `signal.reason` as soon as `signal`
 * (an AbortSignal or a `Cancel`) aborts. The abandoned promise's own
 * rejection is observed so it can never become an unhandled rejection.
 */
export function abortable<T>(promise: Promise<T>, signal: Cancellation | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(ignore);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    // a Cancel takes a plain callback (no EventTarget listener to add and remove around every store operation)
    const detach = onAbort(signal, () => {
      promise.catch(ignore);
      reject(signal.reason as Error);
    });
    promise.then(
      (value) => {
        detach();
        resolve(value);
      },
      (err: unknown) => {
        detach();
        reject(err);
      },
    );
  });
}

function ignore(): void {}
