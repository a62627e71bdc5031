/** The mapping read/write options refuse unknown keys with the nearest name (issue 11 item 12). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DiffeomorphicMap, InvalidArgumentError } from '@diffeo/core';
import { loadMapping, parseMapping, saveMapping, serializeMapping } from '@diffeo/io';

const dir = mkdtempSync(join(tmpdir(), 'h-rel-mapopts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mapping options', () => {
  const map = new DiffeomorphicMap({ dim: 2, dispShape: [3, 3], domainShape: [3, 3], codomainShape: [3, 3] });
  map.allocate();
  it('serializeMapping / parseMapping', () => {
    expect(() => serializeMapping(map, { gzp: true } as never)).toThrow(InvalidArgumentError);
    expect(() => serializeMapping(map, { gzp: true } as never)).toThrow(/gzp.*gzip/);
    const bytes = serializeMapping(map);
    expect(() => parseMapping(bytes, 'x', { prealgn: null } as never)).toThrow(/prealgn.*prealign/);
    expect(parseMapping(bytes).dim).toBe(2);
  });
  it('saveMapping / loadMapping', async () => {
    await expect(saveMapping(join(dir, 'm'), map, { overwite: true } as never)).rejects.toThrow(/overwite.*overwrite/);
    const path = await saveMapping(join(dir, 'm'), map);
    await expect(loadMapping(path, { domian: null } as never)).rejects.toThrow(/domian.*domain/);
  });
});
