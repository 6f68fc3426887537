import { MemoryStore } from '../../src/index.js';
import { storeConformance } from './conformance.js';

storeConformance('MemoryStore', () => Promise.resolve({ store: new MemoryStore() }));
