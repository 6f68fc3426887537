import { inject } from 'vitest';
import { ownerProcessesSuite } from './owner-processes.js';

ownerProcessesSuite('postgres', inject('databaseUrl'));
