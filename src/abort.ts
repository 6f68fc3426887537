/* eslint-disable @typescript-eslint/prefer-promise-reject-errors -- rejections carry the caller's abort reason or the store's error unchanged */
/**
 * Small helpers for AbortSignal plumbing. No time, no timers.
 */
import { Cancel, type Cancellation } from './cancel.js';

/**
 * Settles like `promise`, or rejects with `signal.reason` as soon as `signal`
 * (an AbortSignal or a {@link Cancel}) aborts. The abandoned promise's own
 * rejection is observed so it can never become an unhandled rejection.
 */
export function abortable<T>(promise: Promise<T>, signal: Cancellation | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(ignore);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      promise.catch(ignore);
      reject(signal.reason as Error);
    };
    // a Cancel takes a plain callback (no EventTarget listener to add and remove around every store operation)
    let detach: (() => void) | undefined;
    if (signal instanceof Cancel) detach = signal.onAbort(onAbort);
    else signal.addEventListener('abort', onAbort, { once: true });
    const done = (): void => {
      if (detach !== undefined) detach();
      else (signal as AbortSignal).removeEventListener('abort', onAbort);
    };
    promise.then(
      (value) => {
        done();
        resolve(value);
      },
      (err: unknown) => {
        done();
        reject(err);
      },
    );
  });
}

function ignore(): void {}
