// The list page of a configuration collection: search as you type (q=,
// debounced; a newer search aborts the older request), the collection's
// filters, sort by the columns the API sorts on, the total, and cursor
// pages. The search, filters, sort and cursor live in the URL, so back,
// reload and links keep them.
import { useEffect, useId, useState } from "preact/hooks";
import type { Param } from "../../api/resources";
import { Link, navigate, path, search } from "../../router";
import { Cell, ProblemAlert } from "./common";
import { query, useFetch } from "./fetch";
import { refTarget, type Admin } from "./meta";
import { RefSelect } from "./fields";
import { label, shapeOf, type Value } from "./shape";

const pageSize = 50;
const notFilters = new Set(["cursor", "limit", "q", "sort"]);

/** setQuery changes some query parameters of the current page; a new search or filter starts again at the first page. */
function setQuery(change: Record<string, string>, push = false) {
  const q = new URLSearchParams(search.value);
  for (const [k, v] of Object.entries(change)) {
    if (v === "") q.delete(k);
    else q.set(k, v);
  }
  if (!("cursor" in change)) q.delete("cursor");
  const s = q.toString();
  navigate(path.value + (s ? "?" + s : ""), !push);
}

/** Debounced is a text input that reports its value once typing pauses. */
function Debounced({ id, value, onValue, placeholder }: { id: string; value: string; onValue: (v: string) => void; placeholder?: string }) {
  const [typed, setTyped] = useState(value);
  useEffect(() => setTyped(value), [value]);
  useEffect(() => {
    if (typed === value) return;
    const t = setTimeout(() => onValue(typed), 250);
    return () => clearTimeout(t);
  }, [typed]);
  return <input id={id} type="text" placeholder={placeholder} value={typed} onInput={(e) => setTyped((e.currentTarget as HTMLInputElement).value)} />;
}

function Filter({ param, value }: { param: Param; value: string }) {
  const id = useId();
  const text = param.name === "label" ? "Label" : label(param.name);
  const ref = refTarget(param.name);
  return (
    <div class="field">
      <label for={id}>{text}</label>
      {ref && param.type === "integer" ? (
        <RefSelect target={ref} multiple={false} required={false} value={value ? Number(value) : null} aria={{ id }} onChange={(v) => setQuery({ [param.name]: v ? String(v) : "" })} />
      ) : param.choices || param.type === "boolean" ? (
        <select id={id} value={value} onChange={(e) => setQuery({ [param.name]: (e.currentTarget as HTMLSelectElement).value })}>
          <option value="">any</option>
          {(param.choices ?? ["true", "false"]).map((c) => (
            <option key={c} value={c}>
              {param.type === "boolean" ? (c === "true" ? "yes" : "no") : c}
            </option>
          ))}
        </select>
      ) : (
        <Debounced id={id} value={value} placeholder={param.name === "label" ? "key=value" : undefined} onValue={(v) => setQuery({ [param.name]: v })} />
      )}
    </div>
  );
}

/** ListPage lists one collection. */
export function ListPage({ admin }: { admin: Admin }) {
  const q = new URLSearchParams(search.value);
  const shape = shapeOf(admin.schema);
  const sortKeys = admin.params.find((p) => p.name === "sort")?.choices ?? [];
  const filters = admin.params.filter((p) => !notFilters.has(p.name));
  const hasSearch = admin.params.some((p) => p.name === "q");
  const sort = q.get("sort") ?? "";
  const current = Object.fromEntries([...q.entries()]);
  const list = useFetch<{ items?: Value[]; next_cursor?: string; total?: number | null }>(admin.path + query({ ...current, limit: pageSize }));
  const searchId = useId();
  const items = list.data?.items ?? [];
  const filtered = [...q.keys()].some((k) => k !== "sort" && k !== "cursor");

  return (
    <main id="main">
      <div class="titlebar">
        <h1 tabIndex={-1}>{admin.title}</h1>
        <Link class="button" href={`/admin/${admin.slug}/new`}>
          New {admin.one}
        </Link>
      </div>
      <p class="hint">{admin.intro}</p>
      {list.problem?.status !== 403 && (
      <form class="filters" role="search" aria-label={`Search ${admin.title}`} onSubmit={(e) => e.preventDefault()}>
        {hasSearch && (
          <div class="field">
            <label for={searchId}>Search</label>
            <Debounced id={searchId} value={q.get("q") ?? ""} onValue={(v) => setQuery({ q: v })} />
          </div>
        )}
        {filters.map((p) => (
          <Filter key={p.name} param={p} value={q.get(p.name) ?? ""} />
        ))}
      </form>
      )}
      <ProblemAlert problem={list.problem} />
      {list.data && (
        <>
          <p aria-live="polite" class="count">
            {list.data.total != null ? `${list.data.total} ${list.data.total === 1 ? admin.one : admin.title}` : `${items.length} shown`}
            {filtered ? " match" : ""}
            {list.loading ? " · loading…" : ""}
          </p>
          {items.length === 0 ? (
            <p>{filtered ? `No ${admin.title} match.` : `No ${admin.title} yet.`}</p>
          ) : (
            <table>
              <caption class="visually-hidden">{admin.title}</caption>
              <thead>
                <tr>
                  {admin.columns.map((c) => {
                    const sortable = sortKeys.includes(c);
                    const dir = sort === c ? "ascending" : sort === "-" + c ? "descending" : undefined;
                    return (
                      <th scope="col" key={c} aria-sort={dir}>
                        {sortable ? (
                          <button type="button" class="sort" onClick={() => setQuery({ sort: sort === c ? "-" + c : c })}>
                            {label(c)}
                            <span aria-hidden="true">{dir === "ascending" ? " ▲" : dir === "descending" ? " ▼" : ""}</span>
                          </button>
                        ) : (
                          label(c)
                        )}
                      </th>
                    );
                  })}
                </tr>
              </thead>
              <tbody>
                {items.map((o) => (
                  <tr key={o.id}>
                    {admin.columns.map((c, i) => (
                      <td key={c}>
                        {i === 0 ? (
                          <Link href={`/admin/${admin.slug}/${o.id}`}>{String(o[c] || `${admin.one} #${o.id}`)}</Link>
                        ) : (
                          <Cell field={c} shape={shape.properties[c]} value={o[c]} />
                        )}
                      </td>
                    ))}
                  </tr>
                ))}
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
              <button type="button" class="secondary" onClick={() => setQuery({ cursor: list.data!.next_cursor! }, true)}>
                Next page
              </button>
            )}
          </nav>
        </>
      )}
      {!list.data && !list.problem && <p aria-live="polite">Loading…</p>}
    </main>
  );
}
