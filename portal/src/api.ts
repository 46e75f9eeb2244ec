// The page's only way to the service: same-origin fetches, authenticated by the session cookie.
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: {
        // The server refuses cookie-authenticated changes without it (CSRF defence).
        ...(method === 'GET' ? {} : { 'X-Portal': '1' }),
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiFailure(0, 'network', 'The service cannot be reached; check your connection and try again.');
  }
  const text = await res.text();
  const json = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw new ApiFailure(res.status, json?.error?.code ?? 'error', json?.error?.message ?? `Request failed (HTTP ${res.status}).`);
  return { status: res.status, body: json as T };
}

export const orgPath = (org: string, rest = '') => `/v1/orgs/${encodeURIComponent(org)}${rest}`;
