/**
 * Streaming 4D NIfTI (a DWI or fMRI series) one volume at a time, so memory stays that of
 * one volume (Node.js only: file paths, through `#platform`; the browser build throws a typed error).
 *
 * Layout. A NIfTI file stores its voxels with the first axis fastest, so the volumes
 * `[..., t]` of a 4D image `[nx, ny, nz, nt]` are consecutive blocks of
 * `nx·ny·nz·(bitpix/8)` bytes after `vox_offset` (further axes 5–7 are more volumes, in
 * file order). The reader streams the file (through gunzip for `.nii.gz`), keeps the
 * header and extensions, and parses each block as a single-volume file — the header with
 * `dim[0] = 3`, `dim[4..7] = 1` followed by that block — with {@link parseNifti}, so every
 * volume is read exactly as `loadNifti` reads a 3D file (byte order, scaling, nibabel's
 * array order `[nx, ny, nz]` in C order). The writer sends the header once
 * (`dim[4] = nt`) and then each volume's voxels as {@link serializeNifti} encodes them,
 * through gzip for `.nii.gz`, into a temporary file that replaces the target only when the
 * last volume is written (never a partial file; an existing file only with `overwrite`).
 */
import { InvalidArgumentError, MalformedFileError, ShapeMismatchError, type AffineLike } from '@diffeo/core';
import { nodeFsStreams, nodePath, nodeZlib } from '#platform';
import { commitTempFile } from './atomic.js';
import { parseNifti } from './nifti-read.js';
import type { NiftiArrayInput, NiftiHeaderInfo, NiftiVolume, SaveNiftiOptions } from './nifti-types.js';
import { serializeNifti } from './nifti-write.js';

/** A 4D (or 3D) NIfTI file opened for reading volume by volume. */
export interface NiftiSeriesReader {
  /** The file's full shape `[nx, ny, nz, nt, ...]` (nibabel order, trailing 1s kept as stored). */
  readonly shape: readonly number[];
  /** The spatial shape of each volume: `[nx, ny, nz]` (1 for missing axes). */
  readonly volumeShape: readonly [number, number, number];
  /** Number of volumes (`nt·…`, 1 for a 3D file). */
  readonly count: number;
  /** The 4×4 grid-to-world affine (voxel index → mm), as `loadNifti` gives it. */
  readonly affine: Float64Array;
  /** The header of the first volume as parsed (its `dim` is that of one volume; `pixdim[4..7]` are the file's). */
  readonly header: NiftiHeaderInfo;
  /**
   * The volumes in file order, each a {@link NiftiVolume} of shape `volumeShape` (the first
   * is read when the file is opened). Iterate once; the file is closed at the end (or by
   * {@link NiftiSeriesReader.close}).
   */
  volumes(): AsyncGenerator<NiftiVolume, void, void>;
  /** Stops reading and closes the file. */
  close(): Promise<void>;
}

interface ByteSource {
  /** Exactly `n` more bytes, or fewer at the end of the file. */
  read(n: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

async function openSource(path: string): Promise<ByteSource> {
  const fs = await nodeFsStreams();
  const zlib = await nodeZlib();
  const head = Buffer.alloc(2);
  const fd = fs.openSync(path, 'r');
  const got = fs.readSync(fd, head, 0, 2, 0);
  fs.closeSync(fd);
  const gz = got === 2 && head[0] === 0x1f && head[1] === 0x8b;
  const file = fs.createReadStream(path);
  const stream = gz ? file.pipe(zlib.createGunzip()) : file;
  if (gz) file.on('error', (e) => stream.destroy(e));
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let done = false;
  return {
    async read(n: number): Promise<Uint8Array> {
      while (pendingBytes < n && !done) {
        const r = await it.next();
        if (r.done) done = true;
        else { pending.push(r.value); pendingBytes += r.value.length; }
      }
      const all = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
      const take = Math.min(n, all.length);
      const out = new Uint8Array(take);
      out.set(all.subarray(0, take));
      const rest = all.subarray(take);
      pending = rest.length > 0 ? [rest] : [];
      pendingBytes = rest.length;
      return out;
    },
    async close(): Promise<void> {
      done = true;
      await it.return?.();
      stream.destroy();
      file.destroy();
    },
  };
}

/**
 * Opens a NIfTI file (`.nii` or `.nii.gz`, NIfTI-1 or NIfTI-2) for reading one volume at
 * a time (see the module documentation).
 * @throws MalformedFileError for a file that is not a NIfTI image or is truncated (naming the file).
 */
export async function openNiftiSeries(path: string): Promise<NiftiSeriesReader> {
  const src = await openSource(path);
  try {
    const start = await src.read(348);
    if (start.length < 348) throw new MalformedFileError(`${path}: only ${start.length} bytes, fewer than a NIfTI header; it is truncated or not a NIfTI file.`);
    const dv = new DataView(start.buffer, start.byteOffset, start.byteLength);
    const le = dv.getInt32(0, true) === 348 || dv.getInt32(0, true) === 540;
    const size = dv.getInt32(0, le);
    if (size !== 348 && size !== 540) throw new MalformedFileError(`${path}: not a NIfTI file (sizeof_hdr is ${size}, neither 348 nor 540).`);
    const v1 = size === 348;
    let headerBytes = start;
    if (!v1) {
      const more = await src.read(540 - 348);
      headerBytes = new Uint8Array(540);
      headerBytes.set(start);
      headerBytes.set(more, 348);
    }
    const hv = new DataView(headerBytes.buffer, headerBytes.byteOffset, headerBytes.byteLength);
    const dimAt = (k: number): number => (v1 ? hv.getInt16(40 + 2 * k, le) : Number(hv.getBigInt64(16 + 8 * k, le)));
    const voxOffset = v1 ? Math.trunc(hv.getFloat32(108, le)) : Number(hv.getBigInt64(168, le));
    const bitpix = v1 ? hv.getInt16(72, le) : hv.getInt16(14, le);
    const ndim = dimAt(0);
    if (!(ndim >= 1 && ndim <= 7) || !(voxOffset >= headerBytes.length) || !(bitpix > 0 && bitpix % 8 === 0)) {
      // let the full parser give its precise message
      parseNifti(headerBytes, {}, path);
      throw new MalformedFileError(`${path}: unreadable NIfTI header (dim[0] ${ndim}, vox_offset ${voxOffset}, bitpix ${bitpix}).`);
    }
    const shape: number[] = [];
    for (let k = 1; k <= ndim; k++) shape.push(dimAt(k));
    const volumeShape: [number, number, number] = [shape[0] ?? 1, shape[1] ?? 1, shape[2] ?? 1];
    let count = 1;
    for (let k = 3; k < ndim; k++) count *= shape[k];
    const volumeBytes = volumeShape[0] * volumeShape[1] * volumeShape[2] * (bitpix / 8);
    // header + extensions, then a single-volume header: dim[0] = 3, dim[4..7] = 1
    const rest = await src.read(voxOffset - headerBytes.length);
    if (rest.length < voxOffset - headerBytes.length) throw new MalformedFileError(`${path}: truncated in the header extensions.`);
    const prefix = new Uint8Array(voxOffset);
    prefix.set(headerBytes);
    prefix.set(rest, headerBytes.length);
    const pv = new DataView(prefix.buffer);
    const setDim = (k: number, n: number): void => {
      if (v1) pv.setInt16(40 + 2 * k, n, le);
      else pv.setBigInt64(16 + 8 * k, BigInt(n), le);
    };
    setDim(0, 3);
    for (let k = 1; k <= 3; k++) setDim(k, volumeShape[k - 1]);
    for (let k = 4; k <= 7; k++) setDim(k, 1);
    const parseVolume = (block: Uint8Array, t: number): NiftiVolume => {
      if (block.length < volumeBytes) {
        throw new MalformedFileError(`${path}: truncated: volume ${t} of ${count} has ${block.length} of its ${volumeBytes} bytes.`);
      }
      const one = new Uint8Array(voxOffset + volumeBytes);
      one.set(prefix);
      one.set(block, voxOffset);
      return parseNifti(one, {}, `${path} (volume ${t})`);
    };
    const first = parseVolume(await src.read(volumeBytes), 0);
    let started = false;
    return {
      shape, volumeShape, count, affine: first.affine, header: first.header,
      async *volumes(): AsyncGenerator<NiftiVolume, void, void> {
        if (started) throw new InvalidArgumentError('volumes() of a NIfTI series can be iterated only once; open the file again.');
        started = true;
        try {
          yield first;
          for (let t = 1; t < count; t++) yield parseVolume(await src.read(volumeBytes), t);
        } finally {
          await src.close();
        }
      },
      close: () => src.close(),
    };
  } catch (e) {
    await src.close();
    throw e;
  }
}

/** Options of {@link createNiftiSeriesWriter}. */
export type NiftiSeriesWriterOptions = Omit<SaveNiftiOptions, 'gzip'> & {
  /**
   * Default true: write a temporary beside `path` and move it into place on close. False:
   * write `path` itself (which must not exist yet), for a caller that stages the file as a
   * temporary of its own (the CLI's output sets); `abort` then removes `path`.
   */
  readonly atomic?: boolean;
};

/** A 4D NIfTI file being written volume by volume. */
export interface NiftiSeriesWriter {
  /** Appends the next volume (`[nx, ny, nz]` C-order data, the same shape and type every time). */
  write(volume: NiftiArrayInput): Promise<void>;
  /** Finishes the file (all `count` volumes must have been written) and moves it into place. */
  close(): Promise<void>;
  /** Gives up: removes the temporary file; the target is left as it was. */
  abort(): Promise<void>;
}

/**
 * Creates a writer of a 4D NIfTI file of `count` volumes of shape `volumeShape`
 * (`[nx, ny, nz]`; gzip-compressed when the name ends in `.gz`), written atomically on
 * {@link NiftiSeriesWriter.close} (see the module documentation).
 * @param affine - the 4×4 grid-to-world affine (voxel index → mm).
 * @param options - as {@link saveNifti}'s (`overwrite`, codes, `pixdimExtra` for the TR, …).
 * @throws FileExistsError (on close) when the file exists and `overwrite` is not set.
 */
export async function createNiftiSeriesWriter(path: string, volumeShape: readonly number[], count: number, affine: AffineLike,
  options: NiftiSeriesWriterOptions = {}): Promise<NiftiSeriesWriter> {
  const lower = path.toLowerCase();
  if (!lower.endsWith('.nii') && !lower.endsWith('.nii.gz')) throw new InvalidArgumentError(`${path}: a NIfTI file name must end in .nii or .nii.gz.`);
  if (!Number.isInteger(count) || count < 1 || count > 32767) throw new InvalidArgumentError(`count must be an integer from 1 to 32767; got ${count}.`);
  if (volumeShape.length < 1 || volumeShape.length > 3) throw new InvalidArgumentError(`volumeShape must have 1 to 3 dimensions; got [${volumeShape.join(', ')}].`);
  const shape4 = [...volumeShape, ...new Array<number>(3 - volumeShape.length).fill(1), 1];
  const fs = await nodeFsStreams();
  const zlib = await nodeZlib();
  const pathMod = await nodePath();
  const { atomic: atomicOption, ...saveOptions } = options;
  const atomic = atomicOption !== false;
  const tmp = atomic
    ? pathMod.join(pathMod.dirname(path), `.${pathMod.basename(path)}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`)
    : path;
  const file = fs.createWriteStream(tmp, { flags: 'wx' });
  // Only a file this writer created is ever removed (with atomic: false, `path` may have
  // existed, and then the 'wx' open fails and the file is someone else's).
  let created = false;
  file.once('open', () => { created = true; });
  const removeOwn = async (): Promise<void> => {
    if (atomic || created) await fs.promises.rm(tmp, { force: true });
  };
  const gzip = lower.endsWith('.gz') ? zlib.createGzip({ level: 6 }) : null;
  if (gzip) gzip.pipe(file);
  const sink = gzip ?? file;
  let failed: Error | null = null;
  const onError = (e: Error): void => { failed ??= e; };
  file.on('error', onError);
  gzip?.on('error', onError);
  const push = (bytes: Uint8Array): Promise<void> => new Promise((resolve, reject) => {
    if (failed) { reject(failed); return; }
    if (sink.write(bytes)) resolve();
    else sink.once('drain', () => (failed ? reject(failed) : resolve()));
  });
  let written = 0;
  let dtype: string | null = null;
  let finished = false;
  const cleanup = async (): Promise<void> => {
    finished = true;
    sink.destroy();
    file.destroy();
    await removeOwn();
  };
  const opts: SaveNiftiOptions = { ...saveOptions, gzip: false };
  return {
    async write(volume: NiftiArrayInput): Promise<void> {
      if (finished) throw new InvalidArgumentError(`${path}: the writer is closed.`);
      if (written >= count) throw new InvalidArgumentError(`${path}: all ${count} volumes are written already.`);
      const vs = volume.shape;
      const n = shape4[0] * shape4[1] * shape4[2];
      if (volume.data.length !== n || vs.reduce((a, b) => a * b, 1) !== n) {
        throw new ShapeMismatchError(`${path}: volume ${written} has shape [${vs.join(', ')}] but the series' volumes are [${volumeShape.join(', ')}].`);
      }
      const kind = volume.data.constructor.name;
      if (dtype !== null && kind !== dtype) throw new InvalidArgumentError(`${path}: volume ${written} is a ${kind} but the series is ${dtype}; convert it first.`);
      dtype = kind;
      const bytes = serializeNifti({ data: volume.data, shape: shape4 }, affine, opts);
      try {
        if (written === 0) {
          const header = bytes.slice(0, 352);
          new DataView(header.buffer).setInt16(48, count, true); // dim[4] = count (the header is little endian)
          await push(header);
        }
        await push(bytes.subarray(352));
      } catch (e) {
        await cleanup();
        throw e;
      }
      written++;
    },
    async close(): Promise<void> {
      if (finished) return;
      if (written !== count) {
        await cleanup();
        throw new InvalidArgumentError(`${path}: ${written} of ${count} volumes were written; nothing was saved.`);
      }
      finished = true;
      await new Promise<void>((resolve, reject) => {
        file.once('close', () => (failed ? reject(failed) : resolve()));
        sink.end();
      }).catch(async (e: unknown) => {
        await removeOwn();
        throw e;
      });
      if (atomic) await commitTempFile(tmp, path, options.overwrite === true);
    },
    abort: cleanup,
  };
}
