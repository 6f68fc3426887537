/**
 * Setup of the `generic-path` test project (vitest.config.ts): the owner's
 * tests run a second time with `swap` hidden from every `MemoryStore`, so the
 * owner takes `get` + `setIf` where the default project takes the fast path.
 * `test/path-under-test.test.ts` checks, in both projects, that the path is
 * the one the project names.
 */
import { MemoryStore } from '../../src/index.js';

delete (MemoryStore.prototype as Partial<MemoryStore>).swap;
