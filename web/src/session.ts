// The browser session: who is signed in, read once from
// GET /api/v1/auth/session and kept in a signal.
import { signal } from "@preact/signals";
import { call } from "./api/client";
import type { components } from "./api/schema";

type Schemas = components["schemas"];
/**
 * AuthSession is api.AuthSession from the document; until its schema is in
 * api/openapi.json, the console relies on its user alone.
 */
export type AuthSession = Schemas extends { AuthSession: infer T }
  ? T
  : { user: Schemas["User"]; mfa_required?: boolean; mfa_enrolled?: boolean };

/** session is the signed-in session, null when signed out, undefined while loading. */
export const session = signal<AuthSession | null | undefined>(undefined);

/** loadSession asks the appliance who the browser is signed in as. */
export async function loadSession(): Promise<void> {
  const { data } = await call<AuthSession>("GET", "/api/v1/auth/session");
  session.value = data ?? null;
}

/** logout ends the session on the appliance, then forgets it here. */
export async function logout(): Promise<void> {
  await call("POST", "/api/v1/auth/logout");
  session.value = null;
}
