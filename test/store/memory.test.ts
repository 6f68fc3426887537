import { MemoryStore } from '../../src/index.js';
import { notificationConformance, storeConformance, swapConformance } from './conformance.js';

storeConformance('MemoryStore', () => Promise.resolve({ store: new MemoryStore() }));
// one MemoryStore is one process's store: separate instances share nothing
notificationConformance('MemoryStore', () => Promise.resolve({ store: new MemoryStore() }), { crossInstance: false });
swapConformance('MemoryStore', () => Promise.resolve({ store: new MemoryStore() }));
