// Fails when src/app/api/schema.d.ts is not what openapi-typescript makes of
// openapi.json today, i.e. the typed client no longer matches the document.
// (cmd/tickerlake's TestWebClientMatchesOpenAPIDocument checks openapi.json
// against the server.)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'tickerlake-api-'));
try {
  const fresh = join(dir, 'schema.d.ts');
  execFileSync(join('node_modules', '.bin', 'openapi-typescript'), ['openapi.json', '-o', fresh], { stdio: 'pipe' });
  const committed = readFileSync(join('src', 'app', 'api', 'schema.d.ts'), 'utf8');
  if (readFileSync(fresh, 'utf8') !== committed) {
    console.error('src/app/api/schema.d.ts does not match openapi.json: run `npm run api` in web/ and commit the result.');
    process.exit(1);
  }
  console.log('typed client matches openapi.json');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
