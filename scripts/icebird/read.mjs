#!/usr/bin/env node
// Reads one Iceberg table of a tickerlake lake on local disk with icebird, a
// JavaScript Iceberg reader that shares no code with iceberg-go (the
// writer's library), and prints its rows as JSON lines: the suite's second,
// independent reader of the table format.
//
//   node read.mjs TABLE_DIR [METADATA_FILE]
//   node read.mjs --files TABLE_DIR [METADATA_FILE]
//   node read.mjs --version
//
// TABLE_DIR is a table's folder (<lake>/<dataset>, or a file:// URL of it).
// METADATA_FILE names a file in its metadata/ folder (00003-<uuid>.metadata.json);
// without it the reader follows metadata/version-hint.text, as path-based
// readers do. Each row prints as one JSON object, in the schema's column
// order: long columns as JSON integers (exact, never rounded through a
// double), doubles as JSON numbers (shortest exact form, -0 kept) or
// "NaN"/"Infinity"/"-Infinity", timestamps as RFC 3339 UTC strings with six
// fractional digits (nine for nanosecond columns), dates as YYYY-MM-DD,
// binary as base64, missing values as null. Decimals come out as doubles,
// as hyparquet converts them (tickerlake's tables have none). Errors go to
// stderr with exit code 1.
//
// With --files it prints instead the live entries of the snapshot's
// manifests as icebird decodes them, one JSON object per data or delete
// file: status, content, file_path, file_format, record_count,
// file_size_in_bytes, spec_id (its manifest's partition spec), partition
// (values by partition field name; dates as ISO instants at midnight UTC),
// sequence_number and file_sequence_number (inherited ones filled in).
import { open, readFile, stat } from 'node:fs/promises'
import { register } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { DEFAULT_PARSERS } from 'hyparquet/src/convert.js'

// icebird's Avro reader cannot inflate the manifests iceberg-go writes:
// hooks.mjs gives it zlib's inflate (inflate.mjs says why). icebird loads
// after the hooks are in place.
register('./hooks.mjs', import.meta.url)
const { icebergManifests, icebergMetadata, icebergRead } = await import('icebird')
const { splitManifestEntries } = await import('icebird/src/manifest.js')
const { fetchAvroRecords } = await import('icebird/src/fetch.js')

// icebird reads Parquet with hyparquet's default parsers, which turn
// timestamps into JavaScript Dates and so drop their microseconds; it takes
// no parsers of its own. Replace the defaults (every read starts from them)
// with exact text. Strings compare by value, so equality deletes on these
// columns still match.
DEFAULT_PARSERS.timestampFromMicroseconds = micros => isoMicros(BigInt(micros))
DEFAULT_PARSERS.timestampFromMilliseconds = millis => isoMicros(BigInt(millis) * 1000n)
DEFAULT_PARSERS.timestampFromNanoseconds = nanos => {
  const micros = floorDiv(BigInt(nanos), 1000n)
  return isoMicros(micros, BigInt(nanos) - micros * 1000n)
}
DEFAULT_PARSERS.dateFromDays = days => new Date(Number(days) * 86400000).toISOString().slice(0, 10)

// icebird, hyparquet and Node's fetch know only http(s) URLs; the lake's
// metadata names its files by file:// URLs. Serve those from disk, with the
// HEAD and Range requests hyparquet reads Parquet footers and pages by. A
// range past the end is an error, not cut short as HTTP servers do, so a
// manifest entry that overstates a file's size shows.
const httpFetch = globalThis.fetch
globalThis.fetch = async (input, init) => {
  const url = typeof input === 'string' ? input : input.url
  if (!url.startsWith('file:')) return httpFetch(input, init)
  let fh
  try {
    fh = await open(fileURLToPath(url))
  } catch (err) {
    return new Response(`${url}: ${err.message}`, { status: err.code === 'ENOENT' ? 404 : 500, statusText: err.code })
  }
  try {
    const size = (await fh.stat()).size
    if (init?.method === 'HEAD') {
      return new Response(null, { status: 200, headers: { 'Content-Length': String(size) } })
    }
    const range = new Headers(init?.headers).get('Range')
    if (!range) return new Response(await fh.readFile(), { status: 200 })
    const m = /^bytes=(\d+)-(\d*)$/.exec(range)
    if (!m) return new Response(`bad range ${range}`, { status: 416 })
    const start = Number(m[1])
    const end = m[2] === '' ? size : Number(m[2]) + 1
    if (start >= size || end > size) {
      return new Response(`${url}: range ${range} outside its ${size} bytes`, { status: 416 })
    }
    const buf = Buffer.alloc(end - start)
    const { bytesRead } = await fh.read(buf, 0, buf.length, start)
    if (bytesRead !== buf.length) throw new Error(`${url}: read ${bytesRead} of ${buf.length} bytes at ${start}`)
    return new Response(buf, { status: 206, headers: { 'Content-Range': `bytes ${start}-${end - 1}/${size}` } })
  } finally {
    await fh.close()
  }
}

async function main(args) {
  args = [...args]
  if (args.length === 1 && args[0] === '--version') {
    // Which icebird answers (scripts/services/icebird.sh checks it loads).
    const pkg = JSON.parse(await readFile(new URL('./node_modules/icebird/package.json', import.meta.url), 'utf8'))
    await write(`icebird ${pkg.version}\n`)
    return
  }
  const files = args[0] === '--files'
  if (files) args = args.slice(1)
  if (args.length < 1 || args.length > 2) {
    throw new Error('usage: node read.mjs [--files] TABLE_DIR [METADATA_FILE]')
  }
  const tableUrl = args[0].startsWith('file:') ? args[0].replace(/\/+$/, '') : pathToFileURL(args[0]).href.replace(/\/+$/, '')
  const dir = fileURLToPath(tableUrl)
  if (!(await stat(dir).catch(() => null))?.isDirectory()) {
    throw new Error(`${dir}: not a table folder`)
  }
  let metadataFileName = args[1]
  if (!metadataFileName) {
    // tickerlake's version-hint.text holds the current metadata file's name
    // without ".metadata.json" (00005-<uuid>). DuckDB's iceberg_scan fills
    // the hint into its version_name_format,
    // 'v%s%s.metadata.json,%s%s.metadata.json', and so finds
    // <hint>.metadata.json; icebird instead parses a number from the hint
    // and reads v<N>.metadata.json (the Hadoop catalog's naming), which
    // names no file here. Follow DuckDB's rule.
    const hintFile = `${dir}/metadata/version-hint.text`
    let hint
    try {
      hint = (await readFile(hintFile, 'utf8')).trim()
    } catch (err) {
      throw new Error(`version hint ${hintFile}: ${err.message}`)
    }
    if (!hint) throw new Error(`version hint ${hintFile} is empty`)
    metadataFileName = hint.endsWith('.metadata.json') ? hint : `${hint}.metadata.json`
  }
  const metadata = await icebergMetadata({ tableUrl, metadataFileName }).catch(err => {
    throw new Error(`metadata ${dir}/metadata/${metadataFileName}: ${err.message}`)
  })
  // icebird refuses a table with no snapshot, or whose snapshot has no data
  // files ("No data manifest files found"); both are valid Iceberg tables
  // with no rows (a table created before its first commit, or one whose
  // last files were all deleted).
  const current = metadata['current-snapshot-id']
  if (current === undefined || current === null || current === -1) return
  const manifests = await icebergManifests(metadata)
  if (files) return printFiles(metadata, manifests)
  const { dataEntries } = splitManifestEntries(manifests)
  if (dataEntries.length === 0) return
  const schema = metadata.schemas.find(s => s['schema-id'] === metadata['current-schema-id'])
  const rows = await icebergRead({ tableUrl, metadata })
  const names = schema.fields.map(f => f.name)
  const out = []
  for (const row of rows) {
    out.push('{' + names.map(n => JSON.stringify(n) + ':' + encode(row[n])).join(',') + '}\n')
    if (out.length === 1000) {
      await write(out.join(''))
      out.length = 0
    }
  }
  await write(out.join(''))
}

// printFiles prints the live manifest entries of the current snapshot.
async function printFiles(metadata, manifests) {
  const snapshot = metadata.snapshots.find(s => s['snapshot-id'] === metadata['current-snapshot-id'])
  const specOf = new Map()
  for (const m of await fetchAvroRecords(snapshot['manifest-list'])) {
    specOf.set(m.manifest_path, m.partition_spec_id)
  }
  const out = []
  for (const { url, entries } of manifests) {
    for (const e of entries) {
      if (e.status === 2) continue // deleted in this snapshot
      const f = e.data_file
      out.push(encode({
        status: e.status, content: f.content ?? 0, file_path: f.file_path, file_format: f.file_format,
        record_count: f.record_count, file_size_in_bytes: f.file_size_in_bytes, spec_id: specOf.get(url),
        partition: f.partition ?? {}, sequence_number: e.sequence_number, file_sequence_number: e.file_sequence_number,
      }) + '\n')
    }
  }
  await write(out.join(''))
}

// encode renders one value as JSON text (see the header for the rules).
function encode(v) {
  if (v === undefined || v === null) return 'null'
  if (Object.getPrototypeOf(v) === Object.prototype) {
    return '{' + Object.entries(v).map(([k, x]) => JSON.stringify(k) + ':' + encode(x)).join(',') + '}'
  }
  switch (typeof v) {
    case 'bigint':
      return v.toString()
    case 'number':
      if (Object.is(v, -0)) return '-0'
      return Number.isFinite(v) ? JSON.stringify(v) : JSON.stringify(String(v))
    case 'string':
    case 'boolean':
      return JSON.stringify(v)
  }
  if (v instanceof Date) return JSON.stringify(v.toISOString())
  if (v instanceof Uint8Array) return JSON.stringify(Buffer.from(v).toString('base64'))
  throw new Error(`no JSON rendering for ${Object.prototype.toString.call(v)}`)
}

function floorDiv(a, b) {
  const q = a / b
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q
}

// isoMicros renders microseconds since the epoch (plus nanoseconds, when
// the column has them) as RFC 3339 UTC text.
function isoMicros(micros, nanos = -1n) {
  const secs = floorDiv(micros, 1000000n)
  const frac = (micros - secs * 1000000n).toString().padStart(6, '0') + (nanos >= 0n ? nanos.toString().padStart(3, '0') : '')
  return new Date(Number(secs) * 1000).toISOString().replace(/\.\d{3}Z$/, `.${frac}Z`)
}

function write(text) {
  return new Promise((resolve, reject) => {
    if (!text) return resolve()
    process.stdout.write(text, err => (err ? reject(err) : resolve()))
  })
}

main(process.argv.slice(2)).catch(err => {
  process.stderr.write(`icebird read: ${process.env.ICEBIRD_DEBUG ? err.stack : err.message}\n`)
  process.exitCode = 1
})
