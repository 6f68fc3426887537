/**
 * The comment an acquiring owner writes into its record: `<owner>@<ISO time>`.
 */
import { isoFromMs } from './record.js';

/** The last time turned into text, and its text: one entry is enough. */
let lastMs = Number.NaN;
let lastIso = '';

/**
 * `<owner>@<isoFromMs(ms)>`. Back-to-back acquisitions on a real clock
 * mostly fall in the same millisecond, and `isoFromMs` (a Date and its ISO
 * text) cost about as much as the rest of the record, so the text of the
 * last millisecond is reused (the same string, `isoFromMs` being a pure
 * function of `ms`).
 */
export function ownerComment(owner: string, ms: number): string {
  if (ms !== lastMs) {
    lastIso = isoFromMs(ms);
    lastMs = ms;
  }
  return `${owner}@${lastIso}`;
}
