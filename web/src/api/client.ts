// The console's one way to call the API: openapi-fetch typed with the
// document's paths, with the browser session's cookie (same origin), and one
// shape for every failure (Problem).
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

/** api is the typed client of every route of api/openapi.json. */
export const api = createClient<paths>({ baseUrl: location.origin, credentials: "same-origin" });

/** Problem is an RFC 9457 problem document of the API. */
export type Problem = components["schemas"]["Problem"];

/** ProblemTypeBase prefixes every problem type of the API. */
export const ProblemTypeBase = "https://jumpgate.dev/problems/";

/** problemOf turns whatever a failed call gave back into a Problem. */
export function problemOf(error: unknown, response?: Response): Problem {
  if (error && typeof error === "object" && "status" in error && "title" in error) return error as Problem;
  const status = response?.status ?? 0;
  return {
    type: "about:blank",
    title: status ? `The appliance answered ${status} ${response?.statusText ?? ""}`.trim() : "The appliance did not answer",
    status,
  } as Problem;
}

/** fieldErrors maps a problem's per-field errors by field name. */
export function fieldErrors(p: Problem | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of p?.errors ?? []) if (e.field && !out[e.field]) out[e.field] = e.detail ?? "";
  return out;
}

/**
 * call sends a request the typed client cannot name statically (the
 * administrator's pages build their paths from the document at run time,
 * and the browser-session routes predate their schema) and answers like
 * openapi-fetch: data, or error with the response. init adds headers
 * (If-Match) and an AbortSignal; an aborted request rejects.
 */
export async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  init?: { headers?: Record<string, string>; signal?: AbortSignal },
): Promise<{ data?: T; error?: Problem; response?: Response }> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: { ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...init?.headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: init?.signal,
    });
  } catch (e) {
    if (init?.signal?.aborted) throw e;
    return { error: problemOf(undefined) };
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!response.ok) return { error: problemOf(json, response), response };
  return { data: json as T, response };
}
