// An object of a configuration collection: its detail page (every field,
// nested ones as sections, with Edit and Delete behind a confirmation) and
// its form, for a new object (POST) or a change (PUT with If-Match: the
// version the form was loaded from, so a change someone else made in the
// meantime answers 412 and the page offers to reload).
import { useEffect, useState } from "preact/hooks";
import { call, fieldErrors, type Problem } from "../../api/client";
import type { Shape } from "../../api/resources";
import { Link, navigate } from "../../router";
import { Cell, forgetName, ProblemAlert } from "./common";
import { Extras, revealed } from "./extras";
import { etagOf, signedOut, useFetch } from "./fetch";
import { known, ObjectFields, type Errors } from "./fields";
import type { Admin } from "./meta";
import { body, checkObject, initial, label, shapeOf, type Value } from "./shape";

/** secrets are read-only fields a detail page leaves to its extras: a token shown once, key info on request, downloads. */
const secrets = new Set(["token", "key_info", "downloads"]);

/** flash is a message for the next page (the list after a delete). */
export const flash = { message: "" };

function Facts({ schema, value }: { schema: string; value: Value }) {
  const obj = shapeOf(schema);
  const rows = Object.entries(obj.properties).filter(([f, s]) => !s.writeOnly && !(s.type === "array" && s.items?.ref) && !(s.type === "object" && s.ref) && !secrets.has(f));
  const nested = Object.entries(obj.properties).filter(([f, s]) => !secrets.has(f) && ((s.type === "array" && s.items?.ref) || (s.type === "object" && s.ref)));
  return (
    <>
      <dl class="facts">
        {rows.map(([f, s]) => (
          <div key={f}>
            <dt>{label(f)}</dt>
            <dd>
              <Cell field={f} shape={s} value={value?.[f]} />
            </dd>
          </div>
        ))}
      </dl>
      {nested.map(([f, s]) => (
        <Nested key={f} field={f} shape={s} value={value?.[f]} />
      ))}
    </>
  );
}

function Nested({ field, shape, value }: { field: string; shape: Shape; value: Value }) {
  const ref = (shape.type === "array" ? shape.items?.ref : shape.ref) ?? "";
  const props = Object.entries(shapeOf(ref).properties);
  return (
    <section class="nested" aria-label={label(field)}>
      <h2>{label(field)}</h2>
      {shape.type === "object" ? (
        <Facts schema={ref} value={value} />
      ) : !value || value.length === 0 ? (
        <p>None.</p>
      ) : (
        <table>
          <caption class="visually-hidden">{label(field)}</caption>
          <thead>
            <tr>
              {props.map(([f]) => (
                <th scope="col" key={f}>
                  {label(f)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {(value as Value[]).map((row, i) => (
              <tr key={i}>
                {props.map(([f, s]) => (
                  <td key={f}>
                    <Cell field={f} shape={s} value={row[f]} />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** DetailPage shows one object. */
export function DetailPage({ admin, id }: { admin: Admin; id: string }) {
  const [reload, setReload] = useState(0);
  const obj = useFetch(`${admin.path}/${id}`, reload);
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState<Problem | undefined>();
  const name = obj.data ? String(obj.data[admin.nameField] || `${admin.one} #${id}`) : `${admin.one} #${id}`;

  async function remove() {
    const { error, response } = await call("DELETE", `${admin.path}/${id}`, undefined, { headers: ifMatch(etagOf(obj.etag, obj.data)) });
    if (signedOut(response)) return;
    if (error) {
      setProblem(error);
      setConfirming(false);
      return;
    }
    forgetName(admin, Number(id));
    flash.message = `Deleted ${admin.one} ${name}.`;
    navigate(`/admin/${admin.slug}`);
  }

  return (
    <main id="main">
      <p class="crumbs">
        <Link href={`/admin/${admin.slug}`}>{admin.title}</Link>
      </p>
      <div class="titlebar">
        <h1 tabIndex={-1}>{name}</h1>
        {obj.data && admin.put && (
          <Link class="button" href={`/admin/${admin.slug}/${id}/edit`}>
            Edit
          </Link>
        )}
        {obj.data && admin.delete && (
          <button type="button" class="danger" onClick={() => setConfirming(true)}>
            Delete
          </button>
        )}
      </div>
      {confirming && (
        <div class="confirm" role="alertdialog" aria-labelledby="confirm-q">
          <p id="confirm-q">
            Delete {admin.one} <strong>{name}</strong>? This cannot be undone.
          </p>
          <button type="button" class="danger" onClick={remove}>
            Delete {name}
          </button>{" "}
          <button type="button" class="secondary" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      )}
      <ProblemAlert problem={problem ?? obj.problem} />
      {obj.data && <Extras admin={admin} obj={obj.data} onChanged={() => setReload((n) => n + 1)} />}
      {obj.data && <Facts schema={admin.schema} value={obj.data} />}
      {!obj.data && !obj.problem && <p aria-live="polite">Loading…</p>}
    </main>
  );
}

function ifMatch(etag: string | undefined): Record<string, string> {
  return etag ? { "If-Match": etag } : {};
}

/** errorsOf splits a problem's field errors into those a control shows and the rest, for the form's alert. */
function errorsOf(schema: string, p: Problem | undefined): [Errors, string[]] {
  const all = fieldErrors(p);
  const shown: Errors = {};
  const rest: string[] = [];
  for (const [f, d] of Object.entries(all)) {
    if (known(schema, f)) shown[f] = d;
    else rest.push(`${f}: ${d}`);
  }
  return [shown, rest];
}

/** SchemaForm edits value with the schema's controls and sends it with save. */
export function SchemaForm({
  schema,
  start,
  submit,
  saving,
  onSave,
  problem,
  conflict,
  cancel,
}: {
  schema: string;
  start: Value;
  submit: string;
  saving: boolean;
  onSave: (body: Value) => void;
  problem?: Problem;
  conflict?: preact.ComponentChildren;
  cancel?: string;
}) {
  const [value, setValue] = useState<Value>(start);
  const [checked, setChecked] = useState<Errors>({});
  const [tried, setTried] = useState(false);
  useEffect(() => setValue(start), [start]);
  useEffect(() => setChecked({}), [problem]);
  const [apiErrors, rest] = errorsOf(schema, problem);
  const errors = tried ? { ...apiErrors, ...checked } : apiErrors;
  useEffect(() => {
    if (tried) document.querySelector<HTMLElement>('main [aria-invalid="true"]')?.focus();
  }, [tried, checked, problem]);
  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        const errs = checkObject(schema, value);
        setChecked(errs);
        setTried(true);
        if (Object.keys(errs).length === 0) onSave(body(schema, value));
      }}
    >
      {conflict}
      {problem && problem.status !== 412 && (
        <ProblemAlert problem={problem}>
          {rest.length > 0 && (
            <ul>
              {rest.map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          )}
        </ProblemAlert>
      )}
      <ObjectFields
        schema={schema}
        value={value}
        errors={errors}
        onChange={(v) => {
          setValue(v);
          if (tried) setChecked(checkObject(schema, v));
        }}
      />
      <div class="actions">
        <button type="submit" disabled={saving}>
          {saving ? "Saving…" : submit}
        </button>
        {cancel && (
          <Link class="button secondary" href={cancel}>
            Cancel
          </Link>
        )}
      </div>
    </form>
  );
}

/** NewPage creates an object. */
export function NewPage({ admin }: { admin: Admin }) {
  const [start] = useState(() => initial(admin.schema));
  const [saving, setSaving] = useState(false);
  const [problem, setProblem] = useState<Problem | undefined>();
  return (
    <main id="main">
      <p class="crumbs">
        <Link href={`/admin/${admin.slug}`}>{admin.title}</Link>
      </p>
      <h1 tabIndex={-1}>New {admin.one}</h1>
      <SchemaForm
        schema={admin.schema}
        start={start}
        submit={`Create ${admin.one}`}
        saving={saving}
        problem={problem}
        cancel={`/admin/${admin.slug}`}
        onSave={async (b) => {
          setSaving(true);
          const { data, error, response } = await call<Value>("POST", admin.path, b);
          setSaving(false);
          if (signedOut(response)) return;
          if (error || !data) return setProblem(error);
          if (data.token) revealed.set(`${admin.slug}/${data.id}`, data.token);
          navigate(`/admin/${admin.slug}/${data.id}`);
        }}
      />
    </main>
  );
}

/** EditPage changes an object with PUT and If-Match. */
export function EditPage({ admin, id }: { admin: Admin; id: string }) {
  const [reload, setReload] = useState(0);
  const obj = useFetch(`${admin.path}/${id}`, reload);
  const [saving, setSaving] = useState(false);
  const [problem, setProblem] = useState<Problem | undefined>();
  const name = obj.data ? String(obj.data[admin.nameField] || `#${id}`) : `#${id}`;
  return (
    <main id="main">
      <p class="crumbs">
        <Link href={`/admin/${admin.slug}`}>{admin.title}</Link> › <Link href={`/admin/${admin.slug}/${id}`}>{name}</Link>
      </p>
      <h1 tabIndex={-1}>
        Edit {admin.one} {name}
      </h1>
      {!obj.data && <ProblemAlert problem={obj.problem} />}
      {obj.data && (
        <SchemaForm
          schema={admin.schema}
          start={obj.data}
          submit="Save changes"
          saving={saving}
          problem={problem}
          cancel={`/admin/${admin.slug}/${id}`}
          conflict={
            problem?.status === 412 && (
              <div class="alert" role="alert">
                Someone else changed this {admin.one} since you opened it, so your changes were not saved. Reload it to see their version, then make your
                changes again.{" "}
                <button
                  type="button"
                  onClick={() => {
                    setProblem(undefined);
                    setReload((n) => n + 1);
                  }}
                >
                  Reload
                </button>
              </div>
            )
          }
          onSave={async (b) => {
            setSaving(true);
            const { error, response } = await call<Value>("PUT", `${admin.path}/${id}`, b, { headers: ifMatch(etagOf(obj.etag, obj.data)) });
            setSaving(false);
            if (signedOut(response)) return;
            if (error) return setProblem(error);
            forgetName(admin, Number(id));
            navigate(`/admin/${admin.slug}/${id}`);
          }}
        />
      )}
    </main>
  );
}

/** SettingsPage edits a settings singleton with PUT and If-Match; after a save the form holds the PUT's answer and ETag. */
export function SettingsPage({ title, url, schema }: { title: string; url: string; schema: string }) {
  const [reload, setReload] = useState(0);
  const obj = useFetch(url, reload);
  const [saving, setSaving] = useState(false);
  const [problem, setProblem] = useState<Problem | undefined>();
  const [saved, setSaved] = useState<{ data: Value; etag?: string } | undefined>();
  const data = saved?.data ?? obj.data;
  const etag = saved ? saved.etag : obj.etag;
  return (
    <main id="main">
      <h1 tabIndex={-1}>{title}</h1>
      {shapeOf(schema).description && <p class="hint">{shapeOf(schema).description}</p>}
      {saved && !problem && (
        <p class="ok" role="status">
          Saved.
        </p>
      )}
      {!data && <ProblemAlert problem={obj.problem} />}
      {data && (
        <SchemaForm
          schema={schema}
          start={data}
          submit="Save settings"
          saving={saving}
          problem={problem}
          conflict={
            problem?.status === 412 && (
              <div class="alert" role="alert">
                Someone else changed these settings since you opened them, so your changes were not saved.{" "}
                <button type="button" onClick={() => (setProblem(undefined), setSaved(undefined), setReload((n) => n + 1))}>
                  Reload
                </button>
              </div>
            )
          }
          onSave={async (b) => {
            setSaving(true);
            const { data: out, error, response } = await call<Value>("PUT", url, b, { headers: ifMatch(etagOf(etag, data)) });
            setSaving(false);
            if (signedOut(response)) return;
            if (error || !out) return setProblem(error);
            setProblem(undefined);
            setSaved({ data: out, etag: response?.headers.get("ETag") ?? undefined });
          }}
        />
      )}
    </main>
  );
}
