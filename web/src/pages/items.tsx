// The Jump Items page: the Jump Clients and Protocol Tunnel Jumps the
// signed-in user can see, from GET /api/v1/jump-items: search as you type,
// filters by jump group, tag, status and kind, pages of 50 with the total,
// and statuses kept current by the live status stream (or polling where
// the appliance has none). The search and filters are in the URL, so a
// link or the back button returns to the same list.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, problemOf, type Problem } from "../api/client";
import type { components } from "../api/schema";
import { when } from "../data";
import { liveText, useLive } from "../live";
import { Link, navigate, path, search } from "../router";
import { session } from "../session";

type JumpItem = components["schemas"]["JumpItem"];
type JumpGroup = components["schemas"]["JumpGroup"];

const pageSize = 50;

/** itemPath is the console URL of an item's page. */
export function itemPath(it: { kind?: string; id?: number }): string {
  return `/items/${it.kind === "protocol_tunnel_jump" ? "tunnel" : "client"}/${it.id}`;
}

type Filters = { q: string; kind: string; status: string; tag: string; group: string };

function filtersOf(s: string): Filters {
  const u = new URLSearchParams(s);
  return { q: u.get("q") ?? "", kind: u.get("kind") ?? "", status: u.get("status") ?? "", tag: u.get("tag") ?? "", group: u.get("group") ?? "" };
}

function queryOf(f: Filters): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v) u.set(k, v);
  const s = u.toString();
  return s ? "?" + s : "";
}

export function ItemsPage() {
  const f = filtersOf(search.value);
  const [q, setQ] = useState(f.q);
  const [tag, setTag] = useState(f.tag);
  // cursors[i] is the cursor of page i (page 0 has none).
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState(0);
  const [items, setItems] = useState<JumpItem[] | undefined>();
  const [total, setTotal] = useState<number | undefined>();
  const [next, setNext] = useState<string | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  const [groups, setGroups] = useState<JumpGroup[]>([]);
  const seq = useRef(0);

  const setFilters = (change: Partial<Filters>) => {
    const nf = { ...filtersOf(search.value), ...change };
    navigate(path.value + queryOf(nf), true);
    setCursors([undefined]);
    setPage(0);
  };

  // Search as you type, a moment after the last key.
  useEffect(() => {
    if (q === f.q) return;
    const t = setTimeout(() => setFilters({ q }), 200);
    return () => clearTimeout(t);
  }, [q]);
  useEffect(() => {
    if (tag === f.tag) return;
    const t = setTimeout(() => setFilters({ tag }), 300);
    return () => clearTimeout(t);
  }, [tag]);

  const load = async () => {
    const my = ++seq.current;
    const cf = filtersOf(search.value);
    const { data, error, response } = await api.GET("/api/v1/jump-items", {
      params: {
        query: {
          limit: pageSize,
          cursor: cursors[page],
          q: cf.q || undefined,
          kind: (cf.kind || undefined) as never,
          status: (cf.status || undefined) as never,
          tag: cf.tag || undefined,
          jump_group_id: cf.group ? Number(cf.group) : undefined,
        },
      },
    });
    if (my !== seq.current) return; // an older answer than the one shown
    if (response?.status === 401) {
      session.value = null; // signed out (or revoked): the shell goes to /login
      return;
    }
    if (!data) {
      setProblem(problemOf(error, response));
      return;
    }
    setProblem(undefined);
    setItems(data.items ?? []);
    setTotal(data.total ?? undefined);
    setNext(data.next_cursor || undefined);
  };
  useEffect(() => {
    void load();
  }, [search.value, page, cursors]);

  useEffect(() => {
    void api.GET("/api/v1/jump-groups", { params: { query: { limit: 500 } } }).then(({ data }) => setGroups(data?.items ?? []));
  }, []);

  useLive(
    (e) => {
      if (e.name === "jump_client.status" && e.id !== undefined) {
        setItems((cur) =>
          cur?.map((it) =>
            it.kind === "jump_client" && it.id === e.id ? { ...it, status: e.status ?? it.status, last_seen_at: e.last_seen_at ?? it.last_seen_at } : it,
          ),
        );
      }
    },
    () => void load(),
  );

  const first = page * pageSize + 1;
  return (
    <main id="main">
      <h1 tabIndex={-1}>Jump Items</h1>
      <form class="filters" role="search" aria-label="Jump Items" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="items-q">Search</label>
          <input id="items-q" type="text" value={q} placeholder="Name, tag or host name" onInput={(e) => setQ(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="items-kind">Type</label>
          <select id="items-kind" value={f.kind} onChange={(e) => setFilters({ kind: e.currentTarget.value })}>
            <option value="">All</option>
            <option value="jump_client">Jump Clients</option>
            <option value="protocol_tunnel_jump">Protocol Tunnel Jumps</option>
          </select>
        </div>
        <div class="field">
          <label for="items-status">Status</label>
          <select id="items-status" value={f.status} onChange={(e) => setFilters({ status: e.currentTarget.value })}>
            <option value="">All</option>
            <option value="online">Online</option>
            <option value="offline">Offline</option>
            <option value="lost">Lost</option>
            <option value="uninstalled">Uninstalled</option>
          </select>
        </div>
        <div class="field">
          <label for="items-group">Jump Group</label>
          <select id="items-group" value={f.group} onChange={(e) => setFilters({ group: e.currentTarget.value })}>
            <option value="">All</option>
            {groups.map((g) => (
              <option key={g.id} value={String(g.id)}>
                {g.name}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="items-tag">Tag</label>
          <input id="items-tag" type="text" value={tag} onInput={(e) => setTag(e.currentTarget.value)} />
        </div>
      </form>
      <p class="hint" aria-live="polite">
        {liveText()}
      </p>
      {problem && (
        <div class="alert" role="alert">
          {problem.title ?? "The request failed"}
          {problem.detail ? `: ${problem.detail}` : ""}
        </div>
      )}
      {items === undefined ? (
        <p aria-live="polite">Loading…</p>
      ) : items.length === 0 ? (
        <p>
          {queryOf(f)
            ? "No Jump Items match."
            : "No Jump Clients yet, and no Protocol Tunnel Jumps. Create an installer, run it on an endpoint, and the Jump Client shows here once it enrolls."}
        </p>
      ) : (
        <>
          <p aria-live="polite">
            {total !== undefined ? `${first}–${first + items.length - 1} of ${total}` : `${items.length} items`}
          </p>
          <table>
            <caption class="visually-hidden">Jump Items</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col">Host name</th>
                <th scope="col">Tag</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {items.map((it) => (
                <tr key={`${it.kind}-${it.id}`}>
                  <td>
                    <Link href={itemPath(it)}>{it.name}</Link>
                  </td>
                  <td>{it.kind === "jump_client" ? "Jump Client" : "Protocol Tunnel Jump"}</td>
                  <td>
                    <span class={`status status-${it.status}`}>{it.status}</span>
                  </td>
                  <td>{it.hostname || "—"}</td>
                  <td>{it.tag || "—"}</td>
                  <td>{when(it.last_seen_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav class="pager" aria-label="Pages">
            <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
              Previous page
            </button>
            <button
              type="button"
              disabled={!next}
              onClick={() => {
                setCursors((c) => [...c.slice(0, page + 1), next]);
                setPage(page + 1);
              }}
            >
              Next page
            </button>
          </nav>
        </>
      )}
    </main>
  );
}
