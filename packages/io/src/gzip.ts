/**
 * gzip decompression that checks what fflate's `gunzipSync` does not: each member's CRC32
 * and ISIZE trailer (RFC 1952 §2.3.1), several concatenated members (as gzip, zlib and
 * nibabel accept), and an output that grows as it is decompressed instead of trusting the
 * size trailer for the allocation. The same code runs in Node.js and in browsers (fflate's
 * streaming `Gunzip` inflates; the framing checks are ours).
 *
 * The decompressed bytes are handed to a sink chunk by chunk, so a caller can keep only
 * what it needs (the NIfTI reader stops storing once the header's dims are covered) and
 * can hold more than the 4 GiB a single `Uint8Array` allows.
 */
import { Gunzip } from 'fflate';
import { MalformedFileError } from '@diffeo/core';

/** The two magic bytes that open every gzip member. */
export const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** Whether `bytes` starts with the gzip magic bytes `1f 8b`. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

const CRC_TABLE = /* @__PURE__ */ (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/**
 * Updates a CRC-32 (the reflected polynomial 0xEDB88320 of gzip, zip and PNG) with `bytes`.
 * Start from `0`; the result is an unsigned 32-bit integer.
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

function fail(source: string, msg: string, cause?: unknown): never {
  throw new MalformedFileError(`${source}: ${msg}`, cause === undefined ? undefined : { cause });
}

function le32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

const DAMAGED = 'the gzip file is damaged; re-export or re-download it';

/**
 * Decompresses every member of a gzip file, passing the output to `sink` in order, and
 * verifies each member's CRC32 and length (mod 2³²) against its trailer.
 *
 * @param bytes - the whole compressed file.
 * @param sink - receives the decompressed bytes, chunk by chunk (a chunk is only valid during the call).
 * @param source - a name for error messages (usually the path).
 * @returns the total decompressed length in bytes (may exceed 2³²).
 * @throws MalformedFileError for a bad header, corrupt deflate data, a truncated stream,
 *   a CRC or length mismatch, or bytes after the last member.
 */
export function gunzipChunks(bytes: Uint8Array, sink: (chunk: Uint8Array) => void, source: string): number {
  if (!isGzip(bytes)) fail(source, 'not gzip data (no 1f 8b magic bytes).');
  // Members start at 0 and at each offset fflate reports; a member's trailer is the 8
  // bytes before the next member (the last member's, the last 8 bytes of the file).
  const starts: number[] = [0];
  const crcs: number[] = [];
  const sizes: number[] = [];
  let crc = 0;
  let size = 0;
  let total = 0;
  const endMember = (): void => {
    crcs.push(crc);
    sizes.push(size);
    crc = 0;
    size = 0;
  };
  const g = new Gunzip((chunk) => {
    if (chunk.length === 0) return;
    crc = crc32(chunk, crc);
    size += chunk.length;
    total += chunk.length;
    sink(chunk);
  });
  g.onmember = (offset: number) => {
    endMember();
    starts.push(offset);
  };
  try {
    // Chunked so fflate's working buffers stay small; the input is a view, not a copy.
    const CHUNK = 1 << 20;
    if (bytes.length === 0) g.push(bytes, true);
    for (let i = 0; i < bytes.length; i += CHUNK) g.push(bytes.subarray(i, i + CHUNK), i + CHUNK >= bytes.length);
  } catch (e) {
    if (e instanceof MalformedFileError) throw e;
    const what = (e as Error).message === 'unexpected EOF' ? 'truncated gzip stream' : `corrupt gzip stream (${(e as Error).message})`;
    fail(source, `${what} after ${total} decompressed bytes; ${DAMAGED}.`, e);
  }
  endMember();
  for (let m = 0; m < crcs.length; m++) {
    const end = m + 1 < starts.length ? starts[m + 1] : bytes.length;
    const member = starts.length > 1 ? ` (member ${m + 1} of ${starts.length})` : '';
    if (end - 8 < starts[m] + 10) fail(source, `truncated gzip stream${member}: the 8-byte CRC32/size trailer is missing; ${DAMAGED}.`);
    const wantCrc = le32(bytes, end - 8);
    const wantSize = le32(bytes, end - 4);
    if (wantCrc !== crcs[m]) {
      fail(source, `gzip CRC32 mismatch${member}: the trailer says ${hex(wantCrc)}, the decompressed data gives ${hex(crcs[m])}; ${DAMAGED}.`);
    }
    if (wantSize !== sizes[m] % 2 ** 32) {
      fail(source, `gzip length mismatch${member}: the trailer says ${wantSize} bytes (mod 2^32), ${sizes[m]} were decompressed; ${DAMAGED}.`);
    }
  }
  return total;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/**
 * Decompresses a whole gzip file into one array, with the checks of {@link gunzipChunks}.
 *
 * @param bytes - the compressed file.
 * @param source - a name for error messages.
 * @param maxBytes - refuse (MalformedFileError) output longer than this; default 2³² − 1,
 *   the largest `Uint8Array`.
 */
export function gunzip(bytes: Uint8Array, source: string, maxBytes = 2 ** 32 - 1): Uint8Array {
  let out = new Uint8Array(Math.min(maxBytes, Math.max(1024, bytes.length * 4)));
  let n = 0;
  gunzipChunks(
    bytes,
    (chunk) => {
      if (n + chunk.length > out.length) {
        if (n + chunk.length > maxBytes) fail(source, `decompresses to more than ${maxBytes} bytes, the most this reader holds.`);
        const grown = new Uint8Array(Math.min(maxBytes, Math.max(n + chunk.length, out.length * 2)));
        grown.set(out.subarray(0, n));
        out = grown;
      }
      out.set(chunk, n);
      n += chunk.length;
    },
    source,
  );
  return out.subarray(0, n);
}
