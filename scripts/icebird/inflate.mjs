// hyparquet-compressors as icebird's Avro reader sees it (see hooks.mjs):
// the same module with gunzip replaced by Node's zlib.
//
// icebird inflates "deflate" Avro blocks (manifests, manifest lists) with
// hyparquet-compressors' gunzip (1.1.1; 1.1.2 is the same). After the
// final block, when its growing output buffer has room left, it takes the
// rest of the input for another gzip member; a raw deflate stream has no
// gzip header, so it decodes the whole stream again from its first byte,
// into the buffer past the output. Huffman-coded blocks there write
// nothing (typed arrays drop writes out of range), but a stored block
// copies with Uint8Array.set, which throws: every stream Go's
// compress/flate writes (iceberg-go's Avro writer uses it) ends with an
// empty stored block, so every manifest of these tables fails with
// "RangeError: offset is out of bounds".
//
// The Avro spec's deflate codec is raw RFC 1951 deflate, which zlib's
// inflateRaw reads exactly (and it rejects a truncated stream).
import { gunzipSync, inflateRawSync } from 'node:zlib'

export * from 'hyparquet-compressors'

export function gunzip(input) {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  const out = buf[0] === 0x1f && buf[1] === 0x8b ? gunzipSync(buf) : inflateRawSync(buf)
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}
