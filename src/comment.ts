/**
 * The comment an acquiring owner writes into its record: `<owner>@<ISO time>`.
 */
import { isoFromMs } from './record.js';

/** `<owner>@<isoFromMs(ms)>`. */
export function ownerComment(owner: string, ms: number): string {
  return `${owner}@${isoFromMs(ms)}`;
}
