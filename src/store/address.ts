/**
 * How stores name their server in errors and logs: a URL with any password
 * replaced by `***`. A password must never reach a message, a log line or an
 * error's fields, also not through the text of an underlying error.
 */

/** The redaction mark that replaces passwords. */
export const REDACTED = '***';

/**
 * `url` with its password replaced by `***` (`redis://:***@host:6379/0`).
 * Text that does not parse as a URL is not echoed (it may hold a password):
 * it is described as `<unparseable <scheme> address>`.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1] ?? 'store';
    return `<unparseable ${scheme} address>`;
  }
  if (parsed.password !== '') parsed.password = REDACTED;
  // Query parameters may carry credentials too (e.g. `?password=…`).
  for (const name of [...parsed.searchParams.keys()]) {
    if (/pass|secret|token|key/i.test(name)) parsed.searchParams.set(name, REDACTED);
  }
  return parsed.toString();
}

/** `text` with every occurrence of each non-empty secret replaced by `***`. */
export function scrubSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret !== undefined && secret !== '') out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** The password inside a URL, decoded; `undefined` when there is none or it does not parse. */
export function urlPassword(url: string): string | undefined {
  try {
    const password = new URL(url).password;
    return password === '' ? undefined : decodeURIComponent(password);
  } catch {
    return undefined;
  }
}

/** The message of an unknown thrown value. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
