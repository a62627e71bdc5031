import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as errors from './errors.js';

describe('typed errors', () => {
  it('carry a stable code and a literal class name (kept by minifiers)', () => {
    const src = readFileSync(new URL('./errors.ts', import.meta.url), 'utf8');
    for (const [name, Cls] of Object.entries(errors)) {
      if (typeof Cls !== 'function' || name === 'DiffeoError') continue;
      expect(src).toContain(`this.name = '${name}';`);
      const e = new (Cls as new (m: string) => errors.DiffeoError)('x');
      expect(e).toBeInstanceOf(errors.DiffeoError);
      expect(e.name).toBe(name);
      expect(typeof e.code).toBe('string');
    }
  });
});
