// hyparquet-compressors as icebird's Avro reader sees it (see hooks.mjs):
// the same module with gunzip replaced by Node's zlib.
//
// icebird inflates "deflate" Avro blocks (manifests, manifest lists) with
// hyparquet-compressors' gunzip, which after the last block restarts a raw
// deflate stream from its first byte whenever its output buffer has room
// left, overwriting past its end; a stream that ends with an empty stored
// block, as Go's compress/flate closes every stream (iceberg-go's Avro
// writer uses it), then fails with "RangeError: offset is out of bounds".
// The Avro spec's deflate codec is raw RFC 1951 deflate, which zlib's
// inflateRaw reads exactly (and it rejects a truncated stream).
import { gunzipSync, inflateRawSync } from 'node:zlib'

export * from 'hyparquet-compressors'

export function gunzip(input) {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  const out = buf[0] === 0x1f && buf[1] === 0x8b ? gunzipSync(buf) : inflateRawSync(buf)
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}
