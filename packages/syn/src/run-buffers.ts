/**
 * The buffer policy of a SyN run (docs/algorithm.md §4, "Memory"), in one object.
 *
 * Every field- and image-sized buffer of a run is allocated once, through the kernel
 * context (`context.allocFloat32`, so a backend such as WebAssembly uses them in place),
 * for the largest level grid, and reused by every level and iteration:
 *
 * - five field buffers (`maxVox · d` float32 values each): the four half-way fields and
 *   one spare. The spare holds the forward step, then the backward step, then the
 *   inversions' scratch; when a level starts, it receives an expanded field and the
 *   field's old buffer becomes the spare ({@link RunBuffers.take} / {@link RunBuffers.give},
 *   the `FieldBufferPool` that `DiffeomorphicMap.expandFields` borrows from);
 * - two image buffers (`maxVox` values): the two images warped onto the reference grid.
 *
 * Level images (the two full-resolution pyramid images of a level) are packed into the
 * unused tails of the field buffers (a coarse level's fields fill only their start), or,
 * at the finest level for an input read in place, recomputed every iteration into the
 * spare (free until the forward step is written). At the end, the result's fields are
 * handed over (left in context memory, or copied into ordinary arrays), and
 * {@link RunBuffers.release} returns everything else to the context.
 *
 * No allocation happens after the constructor: {@link RunBuffers.allocations} stays 7.
 */
import type { Dim, FieldBufferPool, KernelContext, ShapeOf } from '@diffeo/core';
import { InvalidArgumentError } from '@diffeo/core';
import type { ScaleSpace } from '@diffeo/pyramid';

/** True when `a` spans its whole (ordinary) ArrayBuffer, so handing it out pins nothing else. */
export function ownsWholeBuffer(a: Float32Array): boolean {
  return a.byteOffset === 0 && a.length * 4 === a.buffer.byteLength && !(typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer);
}

/** A pyramid image of the current level, placed by {@link RunBuffers.placeLevelImage}. */
export interface PlacedLevelImage<D extends Dim> {
  /** The scale space it comes from. */
  readonly ss: ScaleSpace<D>;
  /** The image values (C order over the scale space's image shape). */
  readonly data: Float32Array;
  /** True when `data` is overwritten by the steps, so it must be recomputed before every warp. */
  readonly recompute: boolean;
}

function product(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** The run buffers of one SyN optimisation; see the module documentation. */
export class RunBuffers<D extends Dim = Dim> implements FieldBufferPool {
  /** Number of `context.allocFloat32` calls made by this object (all in the constructor). */
  allocations = 0;
  /** The static image warped onto the reference grid (whole buffer; a level uses its first values). */
  readonly staticWarpedBuffer: Float32Array;
  /** The moving image warped onto the reference grid (whole buffer). */
  readonly movingWarpedBuffer: Float32Array;

  private readonly context: KernelContext;
  private readonly dim: D;
  /** Everything allocated through the context and not handed over yet. */
  private owned: Float32Array[] = [];
  /** The five field buffers, in allocation order. */
  private readonly fieldBuffers: Float32Array[];
  /** Field buffers not lent out (one, the spare, between levels). */
  private free: Float32Array[];
  /** Views lent out by {@link take}, with the buffer each is a view of. */
  private readonly lent = new Map<Float32Array, Float32Array>();
  /** Tails of the field buffers used by the current level's images. */
  private tails: { buf: Float32Array; end: number }[] = [];
  private spareUsed = 0;
  private levelFieldValues = 0;

  /**
   * @param context - allocates the buffers (and gets them back in {@link release}).
   * @param dim - spatial dimension.
   * @param maxVox - voxels of the largest level grid.
   */
  constructor(context: KernelContext, dim: D, maxVox: number) {
    if (!Number.isInteger(maxVox) || maxVox <= 0) throw new InvalidArgumentError(`RunBuffers needs a positive voxel count; got ${maxVox}.`);
    this.context = context;
    this.dim = dim;
    this.fieldBuffers = [0, 1, 2, 3, 4].map(() => this.alloc(maxVox * dim));
    this.free = [...this.fieldBuffers];
    this.staticWarpedBuffer = this.alloc(maxVox);
    this.movingWarpedBuffer = this.alloc(maxVox);
  }

  private alloc(n: number): Float32Array {
    const a = this.context.allocFloat32(n);
    this.allocations++;
    this.owned.push(a);
    return a;
  }

  /** A field of `n` values in a free field buffer (its contents are left as they are). */
  take(n: number): Float32Array {
    const buf = this.free.shift();
    if (buf === undefined) throw new InvalidArgumentError('RunBuffers: no free field buffer (a run holds four fields and one spare).');
    if (n > buf.length) throw new InvalidArgumentError(`RunBuffers: a field of ${n} values does not fit a buffer of ${buf.length}.`);
    const view = buf.subarray(0, n);
    this.lent.set(view, buf);
    return view;
  }

  /** Gets back a field from {@link take}: its buffer becomes free (the spare). */
  give(field: Float32Array): void {
    const buf = this.lent.get(field);
    if (buf === undefined) throw new InvalidArgumentError('RunBuffers.give: this array was not lent by this object.');
    this.lent.delete(field);
    this.free.push(buf);
  }

  /** The spare field buffer (free between the steps of an iteration), as `n` values. */
  spare(n: number): Float32Array {
    if (this.free.length !== 1) throw new InvalidArgumentError(`RunBuffers: expected one spare field buffer, found ${this.free.length}.`);
    return this.free[0].subarray(0, n);
  }

  /**
   * Starts placing the images of a level whose fields hold `fieldValues` values each
   * (`nvox · d`): the buffers' tails beyond that are free. With `cap = 0` (no iteration
   * at this level) nothing is placed.
   */
  beginLevel(fieldValues: number, iterates: boolean): void {
    this.levelFieldValues = fieldValues;
    this.spareUsed = 0;
    // the spare first, then the lent fields in the order they were taken
    this.tails = iterates ? [...this.free, ...this.lent.values()].map((buf) => ({ buf, end: buf.length })) : [];
  }

  /**
   * Places the level image of `ss` without new memory when possible:
   * 1. in the unused tail of a field buffer, computed once for the level;
   * 2. at the finest level, for an input read in place (the caller's float32 array,
   *    whose level image is just that input normalised), in the spare, recomputed every
   *    iteration before the forward step overwrites it;
   * 3. otherwise kept by the scale space (a private float32 input is normalised in place
   *    as level 0, so that costs nothing either).
   * @param inputIsPrivate - the scale space owns (and normalises in place) its input.
   */
  placeLevelImage(ss: ScaleSpace<D>, level: number, inputIsPrivate: boolean): PlacedLevelImage<D> {
    const n = product(ss.imageShape as readonly number[]);
    const used = this.levelFieldValues;
    const tail = this.tails.find((x) => x.end - used >= n);
    if (tail !== undefined && !(level === 0 && inputIsPrivate)) {
      tail.end -= n;
      const data = tail.buf.subarray(tail.end, tail.end + n);
      ss.computeImage(level, data);
      return { ss, data, recompute: false };
    }
    const spare = this.free[0];
    if (level === 0 && !inputIsPrivate && this.spareUsed + n <= used && this.tails.length > 0 && this.tails[0].buf === spare && this.tails[0].end === spare.length) {
      const data = spare.subarray(this.spareUsed, this.spareUsed + n);
      this.spareUsed += n;
      return { ss, data, recompute: true };
    }
    return { ss, data: ss.getImage(level), recompute: false };
  }

  /**
   * The memory of a result field `view` (one the run computed, possibly into a lent
   * field): with `inContextMemory`, a view filling a whole run buffer is handed over
   * (this object stops owning it; the result map must free it); otherwise a view that is
   * the whole of an ordinary array is returned as is, and anything else is copied out.
   * @returns the array and whether it stays in context memory.
   */
  handOver(view: Float32Array, inContextMemory: boolean): { data: Float32Array; inContextMemory: boolean } {
    if (inContextMemory) {
      const buf = this.lent.get(view);
      if (buf !== undefined && buf.length === view.length) {
        const i = this.owned.indexOf(buf);
        if (i >= 0) {
          this.owned.splice(i, 1);
          this.lent.delete(view);
          // the buffer itself (the very array the context allocated), so that it can be freed
          return { data: buf, inContextMemory: true };
        }
      }
    }
    return { data: ownsWholeBuffer(view) ? view : view.slice(), inContextMemory: false };
  }

  /** Returns every buffer still owned to the context (call once, when the run ends). */
  release(): void {
    for (const a of this.owned) this.context.freeFloat32(a);
    this.owned = [];
    this.free = [];
    this.lent.clear();
    this.tails = [];
  }

  /** Field-sized values of one field on `shape` (`prod(shape) · d`). */
  fieldValues(shape: ShapeOf<D>): number {
    return product(shape as readonly number[]) * this.dim;
  }
}
