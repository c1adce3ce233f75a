// The audit log (/admin/audit): every change and sign-in, newest first, with
// the filters GET /api/v1/audit-events takes (action, actor, object type
// and id, a time range), kept in the URL, and cursor pages.
import { useId } from "preact/hooks";
import { listParams } from "../../api/resources.gen";
import type { components } from "../../api/schema";
import { when } from "../../data";
import { Link, navigate, path, search } from "../../router";
import { ProblemAlert } from "./common";
import { query, useFetch } from "./fetch";
import { auditHref } from "./meta";
import { display, label } from "./shape";

type Event = components["schemas"]["AuditEvent"];
const params = listParams["/api/v1/audit-events"] ?? [];

function set(change: Record<string, string>, push = false) {
  const q = new URLSearchParams(search.value);
  for (const [k, v] of Object.entries(change)) v === "" ? q.delete(k) : q.set(k, v);
  if (!("cursor" in change)) q.delete("cursor");
  const s = q.toString();
  navigate(path.value + (s ? "?" + s : ""), !push);
}

function Filter({ name, value }: { name: string; value: string }) {
  const id = useId();
  const p = params.find((x) => x.name === name)!;
  const time = name === "since" || name === "until";
  return (
    <div class="field">
      <label for={id}>{label(name)}</label>
      {p.choices ? (
        <select id={id} value={value} onChange={(e) => set({ [name]: (e.currentTarget as HTMLSelectElement).value })}>
          <option value="">any</option>
          {p.choices.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      ) : time ? (
        <input
          id={id}
          type="datetime-local"
          value={value ? new Date(new Date(value).getTime() - new Date(value).getTimezoneOffset() * 60000).toISOString().slice(0, 16) : ""}
          onChange={(e) => {
            const v = (e.currentTarget as HTMLInputElement).value;
            set({ [name]: v ? new Date(v).toISOString() : "" });
          }}
        />
      ) : (
        <input id={id} type="text" inputMode={p.type === "integer" ? "numeric" : undefined} value={value} onChange={(e) => set({ [name]: (e.currentTarget as HTMLInputElement).value })} />
      )}
    </div>
  );
}

/** AuditPage lists the audit log. */
export function AuditPage() {
  const q = new URLSearchParams(search.value);
  const filters = params.map((p) => p.name).filter((n) => n !== "cursor" && n !== "limit");
  const list = useFetch<{ items?: Event[]; next_cursor?: string; total?: number | null }>("/api/v1/audit-events" + query({ ...Object.fromEntries(q.entries()), limit: 50 }));
  const items = list.data?.items ?? [];
  return (
    <main id="main">
      <h1 tabIndex={-1}>Audit log</h1>
      <p class="hint">Every change made through the API or the console, and every sign-in, with who made it and from where. A filter applies when its field loses focus.</p>
      <form class="filters" role="search" aria-label="Filter the audit log" onSubmit={(e) => e.preventDefault()}>
        {filters.map((n) => (
          <Filter key={n} name={n} value={q.get(n) ?? ""} />
        ))}
      </form>
      <ProblemAlert problem={list.problem} />
      {list.data && (
        <>
          {items.length === 0 ? (
            <p>No events match.</p>
          ) : (
            <table>
              <caption class="visually-hidden">Audit events</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Object</th><th scope="col">Changes</th><th scope="col">Address</th>
                </tr>
              </thead>
              <tbody>
                {items.map((e) => {
                  const href = e.action === "delete" ? undefined : auditHref(e.object_type ?? "", e.object_id);
                  const what = `${e.object_type ?? ""} ${e.object_name || (e.object_id ? "#" + e.object_id : "")}`.trim();
                  const diff = Object.entries(e.diff ?? {});
                  return (
                    <tr key={e.id}>
                      <td>{when(e.time)}</td>
                      <td>{e.actor || "—"}</td>
                      <td>{e.action}</td>
                      <td>{href ? <Link href={href}>{what}</Link> : what || "—"}</td>
                      <td>
                        {diff.length === 0 ? (
                          "—"
                        ) : (
                          <details>
                            <summary>{diff.length === 1 ? "1 field" : `${diff.length} fields`}</summary>
                            <ul class="diff">
                              {diff.map(([f, c]) => (
                                <li key={f}>
                                  <code>{f}</code>: {display(c.old)} → {display(c.new)}
                                </li>
                              ))}
                            </ul>
                          </details>
                        )}
                      </td>
                      <td>{e.remote_addr || "—"}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
          <nav class="pager" aria-label="Pages">
            {q.get("cursor") && (
              <button type="button" class="secondary" onClick={() => history.back()}>
                Previous page
              </button>
            )}
            {list.data.next_cursor && (
              <button type="button" class="secondary" onClick={() => set({ cursor: list.data!.next_cursor! }, true)}>
                Next page
              </button>
            )}
          </nav>
        </>
      )}
    </main>
  );
}
