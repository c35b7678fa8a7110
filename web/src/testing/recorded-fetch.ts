import { API_BASE_URL, API_FETCH } from '../app/api/client';

/** A route's recorded answer: JSON as the API sent it, and its status. */
export interface Recorded {
  status?: number;
  body: unknown;
}

/**
 * A fetch that answers from recorded API responses (src/testdata/), keyed by
 * path and query, and lists what was asked. Unknown requests get the API's
 * 404 problem document.
 */
export function recordedFetch(routes: Record<string, Recorded>) {
  const asked: string[] = [];
  const fetch = async (input: RequestInfo | URL) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const key = url.pathname + url.search;
    asked.push(key);
    const hit = routes[key] ?? { status: 404, body: { title: 'Not Found', status: 404, detail: `no recording for ${key}` } };
    const status = hit.status ?? 200;
    return new Response(JSON.stringify(hit.body), {
      status,
      headers: { 'Content-Type': status < 400 ? 'application/json' : 'application/problem+json' },
    });
  };
  return { fetch: fetch as typeof globalThis.fetch, asked };
}

/** Providers that point the app's Api at recorded responses. */
export function recordedApi(routes: Record<string, Recorded>) {
  const rec = recordedFetch(routes);
  return {
    asked: rec.asked,
    providers: [
      { provide: API_BASE_URL, useValue: 'http://tickerlake.test' },
      { provide: API_FETCH, useValue: rec.fetch },
    ],
  };
}
