"""Writes the regression corpus of malformed and edge-case files read by corpus.test.ts.

Each file reproduces one reported problem; manifest.json says what reading it must give
(an error class and a message fragment, or success). Standard library only, deterministic.
Run: python3 make_corpus.py (from this folder).
"""
import gzip
import json
import struct
import zlib

manifest = []


def put(name, data, expect, note):
    with open(name, 'wb') as f:
        f.write(data)
    manifest.append({'file': name, 'expect': expect, 'note': note})


def nifti1(shape=(4, 3, 2), datatype=4, bitpix=16, vox_offset=352.0, ext_flag=0, body=None):
    h = bytearray(352)
    struct.pack_into('<i', h, 0, 348)
    dims = [len(shape)] + list(shape) + [1] * (7 - len(shape))
    struct.pack_into('<8h', h, 40, *dims)
    struct.pack_into('<hh', h, 70, datatype, bitpix)
    struct.pack_into('<8f', h, 76, 1, 1, 1, 1, 1, 1, 1, 1)
    struct.pack_into('<f', h, 108, vox_offset)
    struct.pack_into('<f', h, 112, 1.0)
    h[344:348] = b'n+1\0'
    h[348] = ext_flag
    n = 1
    for s in shape:
        n *= s
    if body is None:
        body = struct.pack('<%dh' % n, *[(i * 37) % 1000 - 500 for i in range(n)])
    return bytes(h), body


# 1. The 369-byte file with a negative extension size (nifti-reader-js walked backwards forever).
h = bytearray(369)
struct.pack_into('<i', h, 0, 348)
struct.pack_into('<8h', h, 40, 3, 1, 1, 1, 1, 1, 1, 1)
struct.pack_into('<hh', h, 70, 2, 8)
struct.pack_into('<f', h, 108, 368.0)
h[344:348] = b'n+1\0'
h[348] = 1
struct.pack_into('<i', h, 352, -16)
struct.pack_into('<i', h, 336, 16)
put('ext-negative-esize.nii', bytes(h), {'error': 'MalformedFileError', 'message': 'size -16'}, 'issue 11 item 1: negative esize')

# Extension larger than the space before vox_offset.
hd, body = nifti1(vox_offset=368.0, ext_flag=1)
ext = struct.pack('<ii', 64, 6) + b'\0' * 8
put('ext-past-vox-offset.nii', hd + ext + body, {'error': 'MalformedFileError', 'message': 'runs past the voxel data'}, 'extension esize beyond vox_offset')

# Extension flag set but no room for an extension (vox_offset 352): nibabel reads no extension;
# nifti-reader-js used to fail with "reading 'esize'".
hd, body = nifti1(ext_flag=1)
put('ext-flag-no-room.nii', hd + body, {'ok': True, 'shape': [4, 3, 2]}, 'issue 11 item 9: internal esize message')

# A valid extension (ecode 6 comment, 16 bytes).
hd, body = nifti1(vox_offset=368.0, ext_flag=1)
put('ext-valid.nii', hd + struct.pack('<ii', 16, 6) + b'hi\0\0\0\0\0\0' + body, {'ok': True, 'shape': [4, 3, 2], 'extensions': 1}, 'one well-formed extension')

# vox_offset far too large (was reported as "below the minimum").
hd, body = nifti1(vox_offset=4.611686018427388e18)
put('vox-offset-huge.nii', hd + body, {'error': 'MalformedFileError', 'message': 'vox_offset'}, 'issue 11 item 9: huge vox_offset')

# --- gzip ---
hd, body = nifti1()
plain = hd + body
put('plain.nii', plain, {'ok': True, 'shape': [4, 3, 2]}, 'reference for the gzip variants')

gz = gzip.compress(plain, compresslevel=6, mtime=0)
put('good.nii.gz', gz, {'ok': True, 'shape': [4, 3, 2], 'same_as': 'plain.nii'}, 'reference gzip')

# One flipped bit in the deflate data that still decodes: only the CRC tells.
def flip_until_decodes(data):
    raw_start = 10
    for i in range(raw_start, len(data) - 8):
        for bit in range(8):
            b = bytearray(data)
            b[i] ^= 1 << bit
            try:
                out = zlib.decompressobj(-15).decompress(bytes(b[raw_start:-8]))
            except zlib.error:
                continue
            if len(out) == len(plain) and out != plain and out[:352] == plain[:352]:
                return bytes(b)
    raise SystemExit('no decodable flip found')

put('crc-bit-flip.nii.gz', flip_until_decodes(gz), {'error': 'MalformedFileError', 'message': 'CRC32 mismatch'}, 'issue 11 item 2: bit flip accepted silently')

b = bytearray(gz)
struct.pack_into('<I', b, len(b) - 4, len(plain) + 1)
put('isize-wrong.nii.gz', bytes(b), {'error': 'MalformedFileError', 'message': 'length mismatch'}, 'ISIZE trailer disagrees')

put('trailer-missing.nii.gz', gz[:-8], {'error': 'MalformedFileError', 'message': 'gzip'}, 'trailer cut off')
put('trailing-garbage.nii.gz', gz + b'\x01\x02\x03', {'error': 'MalformedFileError', 'message': 'gzip'}, 'bytes after the last member')
put('deflate-truncated.nii.gz', gz[: len(gz) // 2], {'error': 'MalformedFileError', 'message': 'gzip'}, 'cut in the middle')

# Two members (header in one, voxels in the other): gzip, zlib and nibabel read these.
multi = gzip.compress(plain[:400], mtime=0) + gzip.compress(plain[400:], mtime=0)
put('multi-member.nii.gz', multi, {'ok': True, 'shape': [4, 3, 2], 'same_as': 'plain.nii'}, 'issue 11 item 2: multi-member gzip called truncated')

# A 20-something-byte file whose size trailer claims 4 GiB - 1 (was allocated up front).
tiny = gzip.compress(b'', mtime=0)
b = bytearray(tiny)
struct.pack_into('<I', b, len(b) - 4, 0xFFFFFFFF)
put('isize-4gib.nii.gz', bytes(b), {'error': 'MalformedFileError', 'message': 'length mismatch'}, 'issue 11 item 3: size trailer trusted for allocation')

# A header claiming a 1024^3 float32 volume, compressed to a few hundred bytes but truncated:
# must fail on the data actually present, not allocate 4 GiB.
hd, _ = nifti1(shape=(1024, 1024, 1024), datatype=16, bitpix=32, body=b'')
put('dims-huge-truncated.nii.gz', gzip.compress(hd + b'\0' * 4096, mtime=0), {'error': 'MalformedFileError', 'message': 'truncated'}, 'issue 11 item 3: allocation capped by what arrives')

# --- .npy headers (issue 11 item 11) ---
def npy(header, data):
    text = header
    pad = (64 - (10 + len(text) + 1) % 64) % 64
    text = text + ' ' * pad + '\n'
    return b'\x93NUMPY\x01\x00' + struct.pack('<H', len(text)) + text.encode('latin1') + data


def numpy_reads(name):
    """What NumPy itself reads (None when it refuses), as the expected outcome."""
    try:
        import numpy as np
    except ImportError:
        return None
    try:
        a = np.load(name, allow_pickle=False)
    except Exception:
        return None
    return {'shape': list(a.shape), 'values': [float(x) for x in a.ravel()], 'dtype': a.dtype.str[1:]}


f8 = struct.pack('<3d', 1.5, -2.0, 3.25)
for i, descr in enumerate(["'<__proto__'", "'constructor'", "'<valueOf'", "'|hasOwnProperty'", "'<toString'"]):
    put('npy-proto-%d.npy' % i, npy("{'descr': %s, 'fortran_order': False, 'shape': (3,), }" % descr, f8),
        {'error': 'DtypeError', 'message': 'unsupported .npy dtype'}, 'descr naming a JavaScript prototype property')

def put_numpy(name, data, note):
    with open(name, 'wb') as f:
        f.write(data)
    got = numpy_reads(name)
    expect = {'error': 'MalformedFileError'} if got is None else dict(ok=True, **got)
    put(name, data, expect, note)

put_numpy('npy-duplicate-key.npy', npy("{'descr': '<i2', 'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", f8), 'duplicate key: the last wins (NumPy)')
put_numpy('npy-shape-in-string.npy', npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", f8), "header with a well-formed shape (control)")
put('npy-shape-inside-string.npy', npy("{'descr': \"'shape': (1,)\", 'fortran_order': False, 'shape': (3,), }", f8),
    {'error': 'DtypeError', 'message': 'unsupported .npy dtype'}, "'shape' inside a string value")
good = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", f8)
b = bytearray(good)
struct.pack_into('<H', b, 8, struct.unpack_from('<H', b, 8)[0] + 1)
put('npy-header-len-plus1.npy', bytes(b), {'error': 'MalformedFileError', 'message': 'does not end with a newline'}, 'stale header length (+1): data would shift')
b = bytearray(good)
struct.pack_into('<H', b, 8, struct.unpack_from('<H', b, 8)[0] - 1)
put('npy-header-len-minus1.npy', bytes(b), {'error': 'MalformedFileError', 'message': 'does not end with a newline'}, 'stale header length (-1): data would shift')
put('npy-structured.npy', npy("{'descr': [('a', '<f8'), ('b', '<i4')], 'fortran_order': False, 'shape': (1,), }", f8[:12]),
    {'error': 'DtypeError', 'message': 'structured'}, 'structured dtype (was called malformed)')
put('npy-extra-key.npy', npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), 'x': 1}", f8), {'error': 'MalformedFileError', 'message': 'keys'}, 'a key NumPy does not write')

# A header whose sform (code 1) is singular: the first row is all zeros. Reading it works (as
# nibabel does); the CLI must then refuse it naming this file, not "staticGridToWorld"
# (issue 11 item 9). Used by packages/cli/src/input-checks.test.ts.
hd, body = nifti1(shape=(6, 6, 4), body=struct.pack('<144h', *[(i * 37) % 200 for i in range(144)]))
hd = bytearray(hd)
struct.pack_into('<h', hd, 254, 1)  # sform_code
struct.pack_into('<4f', hd, 280, 0, 0, 0, 0)  # srow_x
struct.pack_into('<4f', hd, 296, 0, 1, 0, 0)  # srow_y
struct.pack_into('<4f', hd, 312, 0, 0, 1, 0)  # srow_z
put('sform-singular.nii', bytes(hd) + body, {'ok': True, 'shape': [6, 6, 4]}, 'issue 11 item 9: singular header affine, named by file in the CLI')

with open('manifest.json', 'w') as f:
    json.dump(manifest, f, indent=1)
    f.write('\n')
