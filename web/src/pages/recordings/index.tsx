// The session history (/recordings): every session the user may see, newest
// first, searched and filtered as GET /api/v1/sessions offers (q on the item
// and the representative, status, item type, and the representative for
// administrators), all kept in the URL; each row links to the session's
// history page (/recordings/{id}) with its events and recordings. The live
// session page stays at /sessions/{id}.
import { useEffect, useState } from "preact/hooks";
import { api } from "../../api/client";
import { Loaded, useLoad, when } from "../../data";
import { Link, navigate, path, search } from "../../router";
import { session } from "../../session";
import { itemTypeName, itemTypes } from "./names";
import "../account/pages.css";

export { RecordingPage } from "./session";

const statuses = ["refused", "prompting", "active", "ended"];
export function RecordingsPage() {
  const params = new URLSearchParams(search.value);
  const q = params.get("q") ?? "";
  const status = params.get("status") ?? "";
  const itemType = params.get("item_type") ?? "";
  const username = params.get("username") ?? "";
  const cursor = params.get("cursor") ?? undefined;
  const admin = !!session.value?.user?.admin;

  // The search box answers as one types, 250 ms after the last key.
  const [typed, setTyped] = useState(q);
  const [typedUser, setTypedUser] = useState(username);
  useEffect(() => {
    const t = setTimeout(() => {
      if (typed !== q || typedUser !== username) set({ q: typed, username: typedUser });
    }, 250);
    return () => clearTimeout(t);
  }, [typed, typedUser]);

  function set(change: Record<string, string>) {
    const next = new URLSearchParams(search.value);
    next.delete("cursor");
    for (const [k, v] of Object.entries(change)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    const s = next.toString();
    navigate(path.value + (s ? "?" + s : ""), true);
  }

  const sessions = useLoad(
    () =>
      api.GET("/api/v1/sessions", {
        params: {
          query: {
            limit: 50,
            cursor,
            q: q || undefined,
            status: status || undefined,
            item_type: itemType || undefined,
            username: (admin && username) || undefined,
          },
        },
      }),
    [q, status, itemType, username, cursor],
  );

  return (
    <main id="main">
      <h1 tabIndex={-1}>Session history</h1>
      <p class="hint">Every session you may see, with its events and recordings. Shell recordings play in the page.</p>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="rec-q">Search</label>
          <input id="rec-q" type="search" value={typed} placeholder="Item or representative"
            onInput={(e) => setTyped((e.currentTarget as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="rec-status">Status</label>
          <select id="rec-status" value={status} onChange={(e) => set({ status: (e.currentTarget as HTMLSelectElement).value })}>
            <option value="">Any</option>
            {statuses.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="rec-type">Item type</label>
          <select id="rec-type" value={itemType} onChange={(e) => set({ item_type: (e.currentTarget as HTMLSelectElement).value })}>
            <option value="">Any</option>
            {itemTypes.map(([v, n]) => <option key={v} value={v}>{n}</option>)}
          </select>
        </div>
        {admin && (
          <div class="field">
            <label for="rec-user">Representative</label>
            <input id="rec-user" type="text" value={typedUser} autoCapitalize="none" spellcheck={false}
              onInput={(e) => setTypedUser((e.currentTarget as HTMLInputElement).value)} />
          </div>
        )}
      </form>
      <Loaded load={sessions}>
        {(page) =>
          (page.items ?? []).length === 0 ? (
            <p>No sessions match.</p>
          ) : (
            <>
              {page.total !== undefined && <p aria-live="polite">{page.total} sessions</p>}
              <table>
                <caption class="visually-hidden">Session history</caption>
                <thead>
                  <tr>
                    <th scope="col">Session</th><th scope="col">Item</th><th scope="col">Representative</th><th scope="col">Mode</th>
                    <th scope="col">Status</th><th scope="col">Started</th><th scope="col">Ended</th><th scope="col">Recordings</th>
                  </tr>
                </thead>
                <tbody>
                  {(page.items ?? []).map((s) => (
                    <tr key={s.id}>
                      <td><Link href={`/recordings/${s.id}`} aria-label={`Session ${s.id}: ${s.item_name}`}>{s.id}</Link></td>
                      <td>{s.item_name} <span class="hint">{itemTypeName(s.item_type)}</span></td>
                      <td>{s.username}{s.customer_name ? ` (customer ${s.customer_name})` : ""}</td>
                      <td>{s.mode}</td>
                      <td>{s.status}{s.refused_reason ? ` (${s.refused_reason.replaceAll("_", " ")})` : ""}</td>
                      <td>{when(s.started_at ?? s.requested_at)}</td>
                      <td>{when(s.ended_at)}</td>
                      <td>{(s.recordings ?? []).length || "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <div class="pager">
                {cursor && <button type="button" class="secondary" onClick={() => history.back()}>Previous page</button>}
                {page.next_cursor && <button type="button" onClick={() => {
                  const next = new URLSearchParams(search.value);
                  next.set("cursor", page.next_cursor!);
                  navigate(path.value + "?" + next.toString());
                }}>Next page</button>}
              </div>
            </>
          )
        }
      </Loaded>
    </main>
  );
}
