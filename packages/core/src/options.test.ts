import { describe, expect, it } from 'vitest';
import { DiffeomorphicMap, InvalidArgumentError, checkOptionKeys, nearestName } from '@diffeo/core';

describe('unknown option keys (issue 11 item 12)', () => {
  it('suggests the nearest known name, ignoring case and -/_', () => {
    expect(nearestName('leveliters', ['levelIters', 'stepLength'])).toBe('levelIters');
    expect(nearestName('level_iters', ['levelIters', 'stepLength'])).toBe('levelIters');
    expect(nearestName('stepLenght', ['levelIters', 'stepLength'])).toBe('stepLength');
    expect(nearestName('zzzzzzzz', ['levelIters', 'stepLength'])).toBeUndefined();
  });

  it('checkOptionKeys refuses unknown keys and non-objects with InvalidArgumentError', () => {
    expect(() => checkOptionKeys({ leveliters: [1] }, ['levelIters'], 'registration options')).toThrow(InvalidArgumentError);
    expect(() => checkOptionKeys({ leveliters: [1] }, ['levelIters'], 'registration options')).toThrow(/registration options: unknown option "leveliters"; did you mean "levelIters"\?/);
    expect(() => checkOptionKeys(null, ['a'], 'x')).toThrow(/must be an object/);
    expect(() => checkOptionKeys([1], ['a'], 'x')).toThrow(/an array/);
    expect(() => checkOptionKeys({ a: 1 }, ['a'], 'x')).not.toThrow();
    expect(() => checkOptionKeys(undefined, ['a'], 'x')).not.toThrow();
  });

  it('DiffeomorphicMap refuses a misspelt option', () => {
    expect(() => new DiffeomorphicMap({ dim: 2, dispShape: [4, 4], domainshape: [4, 4] } as never)).toThrow(/did you mean "domainShape"/);
  });
});
