// Module resolution hooks for read.mjs (node:module register): icebird's
// Avro reader imports hyparquet-compressors for its gunzip; it gets
// inflate.mjs instead, which explains why. Everyone else, inflate.mjs
// included, gets the real module.
const avroReader = /\/node_modules\/icebird\/src\/avro\//

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'hyparquet-compressors' && avroReader.test(context.parentURL ?? '')) {
    return nextResolve(new URL('./inflate.mjs', import.meta.url).href, context)
  }
  return nextResolve(specifier, context)
}
