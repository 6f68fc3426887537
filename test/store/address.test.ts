import { describe, expect, it } from 'vitest';
import { redactUrl, scrubSecrets, urlPassword } from '../../src/store/address.js';

describe('password redaction', () => {
  it('replaces the password of a URL, keeps the rest', () => {
    expect(redactUrl('redis://:s3cret@10.0.0.5:6379/0')).toBe('redis://:***@10.0.0.5:6379/0');
    expect(redactUrl('postgres://app:p%40ss@db:5432/app?sslmode=require')).toBe('postgres://app:***@db:5432/app?sslmode=require');
    expect(redactUrl('postgres://db/app?password=s3cret')).toBe('postgres://db/app?password=***');
    expect(redactUrl('redis://10.0.0.5:6379')).toBe('redis://10.0.0.5:6379');
  });
  it('never echoes text that does not parse as a URL', () => {
    expect(redactUrl('redis://:pa ss@[bad')).toBe('<unparseable redis address>');
  });
  it('scrubs secrets from messages and finds a URL password', () => {
    expect(scrubSecrets('auth hunter2 failed for hunter2', ['hunter2', undefined, ''])).toBe('auth *** failed for ***');
    expect(urlPassword('postgres://u:p%40ss@h/d')).toBe('p@ss');
    expect(urlPassword('postgres://u@h/d')).toBeUndefined();
  });
});
