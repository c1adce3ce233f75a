// Pieces every administrator's page shows: a problem as an alert (a 403
// says plainly that the page is for administrators), an object's labels,
// a value as text, and a reference as a link named after its object.
import { useEffect, useState } from "preact/hooks";
import { call, type Problem } from "../../api/client";
import type { Shape } from "../../api/resources";
import { when } from "../../data";
import { Link } from "../../router";
import { refTarget, type Admin } from "./meta";
import { display, type Value } from "./shape";

/** ProblemAlert shows a failed request; for a 403 it says the page needs an administrator. */
export function ProblemAlert({ problem, children }: { problem?: Problem; children?: preact.ComponentChildren }) {
  if (!problem) return null;
  return (
    <div class="alert" role="alert">
      {problem.status === 403 && <strong>You are not allowed to do this: this page is for administrators. </strong>}
      {problem.title ?? "The request failed"}
      {problem.detail ? `: ${problem.detail}` : ""}
      {children}
    </div>
  );
}

/** Labels shows an object's labels as key=value chips. */
export function Labels({ labels }: { labels?: Record<string, string> }) {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return <>—</>;
  return (
    <ul class="labels" aria-label="Labels">
      {entries.map(([k, v]) => (
        <li key={k}>{v ? `${k}=${v}` : k}</li>
      ))}
    </ul>
  );
}

const names = new Map<string, Promise<string | undefined>>();

/** nameOf loads the name of a referenced object once per page load. */
function nameOf(target: Admin, id: number): Promise<string | undefined> {
  const key = `${target.path}/${id}`;
  let p = names.get(key);
  if (!p) {
    p = call<Value>("GET", key).then(({ data }) => (data ? String(data[target.nameField] || `#${id}`) : undefined));
    names.set(key, p);
  }
  return p;
}

/** forgetName drops a cached name after the object changed. */
export function forgetName(target: Admin, id: number) {
  names.delete(`${target.path}/${id}`);
}

/** RefLink links to a referenced object, named once its name is loaded. */
export function RefLink({ target, id }: { target: Admin; id: number }) {
  const [name, setName] = useState<string | undefined>();
  useEffect(() => {
    let live = true;
    void nameOf(target, id).then((n) => live && setName(n));
    return () => {
      live = false;
    };
  }, [target.slug, id]);
  return <Link href={`/admin/${target.slug}/${id}`}>{name ?? `${target.one} #${id}`}</Link>;
}

/** Cell shows one field's value in a list or a detail page. */
export function Cell({ field, shape, value }: { field: string; shape?: Shape; value: Value }) {
  const ref = refTarget(field);
  if (field === "labels") return <Labels labels={value} />;
  if (ref && typeof value === "number" && value > 0) return <RefLink target={ref} id={value} />;
  if (ref && Array.isArray(value) && value.length > 0 && typeof value[0] === "number")
    return (
      <>
        {value.map((id: number, i: number) => (
          <span key={id}>
            {i > 0 && ", "}
            <RefLink target={ref} id={id} />
          </span>
        ))}
      </>
    );
  if (shape?.format === "date-time") return <>{when(value)}</>;
  if (Array.isArray(value) && value.length > 0 && typeof value[0] === "object") return <>{value.length}</>;
  return <>{display(value)}</>;
}
