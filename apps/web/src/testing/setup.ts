// Vitest setup: a real IndexedDB implementation (fake-indexeddb) and Testing Library cleanup.
import 'fake-indexeddb/auto';
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

afterEach(() => cleanup());
