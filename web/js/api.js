// The daemon's HTTP API (DESIGN §5). Every failure becomes an ApiError with the
// contract's {code, message}, so pages can show it as it is.

const TOKEN_KEY = 'forkline.token';

export class ApiError extends Error {
  constructor(code, message, httpStatus) {
    super(message);
    this.code = code;
    this.httpStatus = httpStatus;
  }
}

export function token() {
  try { return localStorage.getItem(TOKEN_KEY) || ''; } catch { return ''; }
}

export function setToken(value) {
  try {
    if (value) localStorage.setItem(TOKEN_KEY, value);
    else localStorage.removeItem(TOKEN_KEY);
  } catch { /* private mode: the token lasts until reload */ }
}

export async function request(method, path, body) {
  const headers = {Accept: 'application/json'};
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
  } catch (e) {
    throw new ApiError('unavailable', `cannot reach the daemon (${e.message})`, 0);
  }
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON: reported below */ }
  if (!res.ok) {
    const err = json && json.error;
    throw new ApiError(err?.code || `http_${res.status}`, err?.message || text || res.statusText, res.status);
  }
  if (json === null && text) throw new ApiError('internal', `not JSON from ${path}`, res.status);
  return json;
}

const enc = encodeURIComponent;

export const api = {
  workflows: () => request('GET', '/v1/workflows'),
  health: () => request('GET', '/healthz'),
  listRuns: ({status, kind, limit, after} = {}) => {
    const q = new URLSearchParams();
    if (status) q.set('status', status);
    if (kind) q.set('kind', kind);
    if (limit) q.set('limit', String(limit));
    if (after) q.set('after', after);
    const qs = q.toString();
    return request('GET', `/v1/runs${qs ? `?${qs}` : ''}`);
  },
  getRun: (id) => request('GET', `/v1/runs/${enc(id)}`),
  lineage: (id) => request('GET', `/v1/runs/${enc(id)}/lineage`),
  stepOutput: (id, index) => request('GET', `/v1/runs/${enc(id)}/steps/${index}/output`),
  createRun: (body) => request('POST', '/v1/runs', body),
  action: (id, verb, body) => request('POST', `/v1/runs/${enc(id)}/${verb}`, body),
  fork: (id, body) => request('POST', `/v1/runs/${enc(id)}/fork`, body),
  autorun: (id, enabled) => request('PUT', `/v1/runs/${enc(id)}/autorun`, {enabled}),
};

// The URL of an SSE stream, with the token as ?access_token= (EventSource sends no headers).
export function streamUrl(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const t = token();
  if (t) q.set('access_token', t);
  const qs = q.toString();
  return qs ? `${path}?${qs}` : path;
}
