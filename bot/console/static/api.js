// The operator API (/api/...). Every change sends the session's CSRF token; errors arrive as {"error": reason}.

let csrf = null;

export function setCsrf(token) {
  csrf = token;
}

export class ApiError extends Error {
  constructor(status, reason) {
    super(reason);
    this.status = status;
  }
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  const response = await fetch(path, {
    method, headers, credentials: 'same-origin', cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await response.json(); } catch { data = null; }
  if (!response.ok) throw new ApiError(response.status, (data && data.error) || response.statusText);
  return data;
}

// A request that replaces the session (the operator's own password change, 'sign out everywhere else'): the old
// session's event stream ends meanwhile, and must not log this browser out before the new cookie has arrived.
let renewal = Promise.resolve();

export function renewing(request) {
  renewal = request.catch(() => null);
  return request;
}

export function renewed() {
  return renewal;
}

export const conversationPath = (id) => `/api/conversations/${encodeURIComponent(id)}`;
