/** The one fetch wrapper: JSON in and out, the session cookie included, problems become ApiError. */

export type Problem = {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: { loc: (string | number)[]; msg: string; type?: string }[];
  [extra: string]: unknown;
};

/** An API answer that was not 2xx; `message` is the problem's detail (or title). */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(status: number, problem: Problem) {
    super(problem.detail || problem.title || `The server answered HTTP ${status}.`);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
  }
}

export type Params = Record<string, string | number | boolean | null | undefined>;

/** `/api/x` plus the non-empty params as a query string. */
export function apiUrl(path: string, params?: Params): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const query = search.toString();
  return query ? `${path}?${query}` : path;
}

export type RequestOptions = {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  params?: Params;
  body?: unknown;
  /** A body sent as is (e.g. a CSV file's text) with its content type, instead of JSON. */
  raw?: { body: string; type: string };
  signal?: AbortSignal;
};

async function readProblem(response: Response): Promise<Problem> {
  const text = await response.text();
  if (!text) return { status: response.status, title: response.statusText };
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === "object") return parsed as Problem;
  } catch {
    // not JSON: a proxy or server error page; keep its first line as the title
  }
  return { status: response.status, title: text.split("\n")[0]?.slice(0, 200) || response.statusText };
}

/** The session's CSRF token, which the API sets in a cookie our pages (and only they) can read. */
export const CSRF_COOKIE = "shopops_csrf";
export const CSRF_HEADER = "X-CSRF-Token";

export function csrfToken(): string | null {
  for (const part of document.cookie.split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === CSRF_COOKIE) return decodeURIComponent(value.join("="));
  }
  return null;
}

export async function apiFetch<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const { method = "GET", params, body, raw, signal } = options;
  // Every state-changing call proves it comes from our page (the API refuses it otherwise).
  const token = method === "GET" ? null : csrfToken();
  let response: Response;
  try {
    response = await fetch(apiUrl(path, params), {
      method,
      credentials: "include",
      headers: {
        Accept: "application/json, application/problem+json",
        ...(raw ? { "Content-Type": raw.type } : body === undefined ? {} : { "Content-Type": "application/json" }),
        ...(token ? { [CSRF_HEADER]: token } : {}),
      },
      body: raw ? raw.body : body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(0, {
      title: "Network error",
      detail: "The API could not be reached. Check that it is running and try again.",
    });
  }
  if (!response.ok) throw new ApiError(response.status, await readProblem(response));
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** The message to show for any error a query or mutation raised. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
