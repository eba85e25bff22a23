// The public HTTP API, exactly as curl users call it: nothing here is private to the page.

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem && (problem.detail || problem.title) ? (problem.detail || problem.title) : 'HTTP ' + status);
    this.status = status;
    this.problem = problem;
  }
}

// Workshop mode: the attendee's token, kept in this tab only (sessionStorage) and sent as curl users send it.
const TOKEN_KEY = 'vkernel.token';
export const token = () => sessionStorage.getItem(TOKEN_KEY) || '';
export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value.trim());
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** Request headers, with the token's Authorization when there is one (for the page's own fetch calls too). */
export const withToken = (headers) => (token() ? { ...headers, authorization: 'Bearer ' + token() } : headers);

async function call(method, path, body) {
  const init = { method, headers: withToken({ accept: 'application/json' }) };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let json = null;
  if (text) {
    try { json = JSON.parse(text); } catch { json = { detail: text }; }
  }
  if (!res.ok) throw new ApiError(res.status, json);
  return { status: res.status, body: json };
}

export const get = async (path) => (await call('GET', path)).body;
export const post = (path, body) => call('POST', path, body);
export const put = (path, body) => call('PUT', path, body);
export const del = (path) => call('DELETE', path);

export const kernelPath = (k) => '/api/v1/kernels/' + encodeURIComponent(k);
