/**
 * `seriesVolumes` and `transformSeries`: the volumes of a C-order series `[..., t]` against
 * direct indexing, and the warped series against `map.transform` / `transformInverse` of
 * each volume on its own (bit for bit), from a synchronous and an asynchronous source.
 */
import { describe, expect, it } from 'vitest';
import { DiffeomorphicMap, InvalidArgumentError, ShapeMismatchError, seriesVolumes, transformSeries } from '@diffeo/core';

describe('seriesVolumes / transformSeries', () => {
  const shape = [6, 5, 3];
  const data = Float32Array.from({ length: 6 * 5 * 3 }, (_, i) => Math.sin(i * 0.37) * 10);

  it('seriesVolumes yields data[..., t] for each t, keeping the type', () => {
    const vols = [...seriesVolumes(data, shape)];
    expect(vols).toHaveLength(3);
    for (let t = 0; t < 3; t++) {
      expect(vols[t].shape).toEqual([6, 5]);
      expect(vols[t].data).toBeInstanceOf(Float32Array);
      for (let v = 0; v < 30; v++) expect(vols[t].data[v]).toBe(data[v * 3 + t]);
    }
    expect(() => [...seriesVolumes(data, [90])]).toThrow(InvalidArgumentError);
    expect(() => [...seriesVolumes(data, [6, 5, 4])]).toThrow(ShapeMismatchError);
  });

  it('transformSeries gives each volume warped as map.transform / transformInverse does', async () => {
    const m = new DiffeomorphicMap({ dim: 2, dispShape: [6, 5], domainShape: [6, 5], codomainShape: [6, 5] });
    const f = Float32Array.from({ length: 60 }, (_, i) => 0.4 * Math.cos(i));
    const b = Float32Array.from({ length: 60 }, (_, i) => -0.3 * Math.sin(i));
    m.setForwardField({ data: f, shape: [6, 5, 2] });
    m.setBackwardField({ data: b, shape: [6, 5, 2] });
    const vols = [...seriesVolumes(data, shape)];
    let t = 0;
    for await (const w of transformSeries(m, seriesVolumes(data, shape))) {
      expect(Buffer.from(w.data.buffer).equals(Buffer.from(m.transform(vols[t]).data.buffer))).toBe(true);
      t++;
    }
    expect(t).toBe(3);
    async function* slow() { for (const v of vols) { await new Promise((r) => setTimeout(r, 1)); yield v; } }
    t = 0;
    for await (const w of transformSeries(m, slow(), { inverse: true, interpolation: 'nearest' })) {
      expect(Array.from(w.data)).toEqual(Array.from(m.transformInverse(vols[t], { interpolation: 'nearest' }).data));
      t++;
    }
    expect(t).toBe(3);
  });
});
