import { describe, expect, it } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { getFnames, sampleNames } from '@diffeo/data/node';

// The SHA-256 of each file as recorded in SOURCES.md (checked against DIPY 1.6's bundled copies).
const SHA256: Record<string, string> = {
  reg_o: '03a1c2f9b06d699f71e25d373499364f7a97ececa7b31c243f078f298b2f058f',
  reg_c: '9902e807e854d8d4e00ede58c925e4407b2325d65073bac3f421f549487a5152',
  S0_10slices: 'c9e21bb417f6c18adeafe3b6b6fbf6bcbf3c70e973b1e6d852741a8f36e7de7f',
  t1_coronal_slice: '6ae15c125c97e11e1ba478ff252c1774d2c31db242a8a61daa93e7b43c873c7b',
};

describe('@diffeo/data', () => {
  it('ships every sample with the recorded checksum', () => {
    for (const name of sampleNames) {
      const path = getFnames(name);
      expect(statSync(path).size).toBeGreaterThan(0);
      expect(createHash('sha256').update(readFileSync(path)).digest('hex')).toBe(SHA256[name]);
    }
  });
  it('rejects unknown names with the list of valid ones', () => {
    expect(() => getFnames('nope' as never)).toThrow(/available: reg_o/);
  });
});
