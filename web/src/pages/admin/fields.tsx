// The controls of a form built from a schema: one labelled control per
// field, chosen by the field's shape (enum → select, boolean → checkbox,
// reference → select of the referenced collection, nested object →
// fieldset, array of objects → repeatable fieldsets), each with its hint
// and its error next to it, tied with aria-describedby.
import type { ComponentChildren } from "preact";
import { useEffect, useId, useState } from "preact/hooks";
import type { Shape } from "../../api/resources";
import { useFetch, query } from "./fetch";
import { refTarget, type Admin } from "./meta";
import { editable, initial, label, shapeOf, singular, type Value } from "./shape";

/** Errors are messages by JSON path. */
export type Errors = Record<string, string>;

function errorAt(errors: Errors, path: string, deep: boolean): string | undefined {
  if (errors[path]) return errors[path];
  if (!deep) return undefined;
  const k = Object.keys(errors).find((e) => e.startsWith(path + ".") || e.startsWith(path + "["));
  return k && errors[k];
}

/** known reports whether a form of schema shows a control for path, so other API errors go to the form's alert. */
export function known(schema: string, path: string): boolean {
  let s: Shape | undefined = { type: "object", ref: schema };
  for (const seg of path.split(/\.|(?=\[)/)) {
    if (!s) return false;
    if (s.type === "map" || (s.type === "array" && !s.items?.ref)) return true;
    if (seg.startsWith("[")) {
      if (s.type !== "array") return false;
      s = s.items;
      continue;
    }
    if (s.type !== "object" || !s.ref) return false;
    const f: Shape | undefined = shapeOf(s.ref).properties[seg];
    if (!f || f.readOnly) return false;
    s = f;
  }
  return true;
}

/**
 * hintOf shortens a field's description to a hint: the API documents each
 * field in Go's style ("code_name is the unique machine name: …"), so the
 * field's own name (and a following "is") goes and the first sentence
 * stays. Labels are the same
 * everywhere and get one line.
 */
export function hintOf(field: string, s: Shape): string | undefined {
  if (s.type === "map" && field === "labels") return "Kubernetes-style labels, one key=value a line.";
  let d = s.description;
  if (!d) return undefined;
  d = d
    .replace(new RegExp(`^${field},\\s*([^,]+),\\s*(?:is|are)\\s+`), "$1: ")
    .replace(new RegExp(`^${field}\\s+(?:(?:is|are)\\s+)?`), "");
  const end = d.search(/\.\s+[A-Z]/);
  if (end > 0) d = d.slice(0, end + 1);
  return d.charAt(0).toUpperCase() + d.slice(1);
}

type Props = { schema: string; value: Value; errors: Errors; prefix?: string; onChange: (v: Value) => void };

/** ObjectFields renders the editable fields of schema for value. */
export function ObjectFields({ schema, value, errors, prefix = "", onChange }: Props) {
  const obj = shapeOf(schema);
  return (
    <>
      {editable(obj).map(([f, s]) => (
        <FieldOf
          key={f}
          field={f}
          shape={s}
          required={obj.required.includes(f)}
          path={prefix + f}
          value={value?.[f]}
          errors={errors}
          onChange={(v) => onChange({ ...value, [f]: v })}
        />
      ))}
    </>
  );
}

type FieldProps = { field: string; shape: Shape; required: boolean; path: string; value: Value; errors: Errors; onChange: (v: Value) => void };

function Control({ id, text, hint, error, children, inline }: { id: string; text: string; hint?: string; error?: string; children: ComponentChildren; inline?: boolean }) {
  return (
    <div class={inline ? "field check" : "field"}>
      {!inline && <label for={id}>{text}</label>}
      {inline && children}
      {inline && <label for={id}>{text}</label>}
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {!inline && children}
      {error && (
        <p class="error" id={`${id}-error`}>
          {text} {error}
        </p>
      )}
    </div>
  );
}

function describedBy(id: string, hint?: string, error?: string) {
  return [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
}

const toLocal = (iso: string) => {
  const d = new Date(iso);
  if (isNaN(d.getTime())) return "";
  const off = d.getTimezoneOffset() * 60000;
  return new Date(d.getTime() - off).toISOString().slice(0, 16);
};

function numberOf(raw: string, nullable?: boolean): Value {
  if (raw.trim() === "") return nullable ? null : undefined;
  const n = Number(raw);
  return Number.isFinite(n) ? n : raw;
}

function FieldOf({ field, shape: s, required, path, value, errors, onChange }: FieldProps) {
  const id = useId();
  const text = label(field);
  const hint = hintOf(field, s);
  const deep = s.type === "map" || (s.type === "array" && !s.items?.ref);
  const error = errorAt(errors, path, deep);
  const aria = { id, "aria-invalid": error ? ("true" as const) : undefined, "aria-describedby": describedBy(id, hint, error) };
  const ref = refTarget(field);

  if (s.type === "object" && s.ref) {
    return (
      <fieldset class="group">
        <legend>{text}</legend>
        {hint && <p class="hint">{hint}</p>}
        <ObjectFields schema={s.ref} value={value ?? {}} errors={errors} prefix={path + "."} onChange={onChange} />
      </fieldset>
    );
  }
  if (s.type === "array" && s.items?.ref) {
    const items: Value[] = value ?? [];
    const one = singular(field);
    return (
      <fieldset class="group">
        <legend>{text}</legend>
        {hint && <p class="hint">{hint}</p>}
        {error && errors[path] && <p class="error">{text} {errors[path]}</p>}
        {items.length === 0 && <p class="hint">None.</p>}
        {items.map((item, i) => (
          <fieldset class="group item" key={i}>
            <legend>{`${one.charAt(0).toUpperCase() + one.slice(1)} ${i + 1}`}</legend>
            <ObjectFields schema={s.items!.ref!} value={item} errors={errors} prefix={`${path}[${i}].`} onChange={(v) => onChange(items.map((x, j) => (j === i ? v : x)))} />
            <button type="button" class="secondary" onClick={() => onChange(items.filter((_, j) => j !== i))}>
              Remove {one} {i + 1}
            </button>
          </fieldset>
        ))}
        <button type="button" class="secondary" onClick={() => onChange([...items, initial(s.items!.ref!)])}>
          Add {one}
        </button>
      </fieldset>
    );
  }
  if (ref && (s.type === "integer" || (s.type === "array" && s.items?.type === "integer"))) {
    return (
      <Control id={id} text={text} hint={hint} error={error}>
        <RefSelect target={ref} multiple={s.type === "array"} required={required && !s.nullable} value={value} aria={aria} onChange={onChange} />
      </Control>
    );
  }
  if (s.type === "boolean") {
    const checked = value ?? s.default ?? false;
    return (
      <Control id={id} text={text} hint={hint} error={error} inline>
        <input type="checkbox" {...aria} checked={!!checked} onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked)} />
      </Control>
    );
  }
  if (s.type === "string" && s.enum) {
    const opts = s.enum.map(String);
    const blank = !opts.includes("") && (!required || value === undefined || value === "");
    return (
      <Control id={id} text={text} hint={hint} error={error}>
        <select {...aria} value={value ?? (s.default as string) ?? ""} onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value)}>
          {blank && <option value="">{required ? "Choose…" : "—"}</option>}
          {opts.map((o) => (
            <option key={o} value={o}>
              {o === "" ? `default${s.default ? ` (${s.default})` : ""}` : o}
            </option>
          ))}
        </select>
      </Control>
    );
  }
  if (s.type === "array" && s.items?.enum) {
    const set: string[] = value ?? [];
    return (
      <fieldset class="group">
        <legend>{text}</legend>
        {hint && <p class="hint">{hint}</p>}
        {s.items.enum.map((o) => (
          <label class="check" key={String(o)}>
            <input
              type="checkbox"
              checked={set.includes(String(o))}
              onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked ? [...set, String(o)] : set.filter((x) => x !== o))}
            />{" "}
            {String(o)}
          </label>
        ))}
        {error && <p class="error">{text} {error}</p>}
      </fieldset>
    );
  }
  if (s.type === "array" || s.type === "map") {
    const lines =
      s.type === "map" ? Object.entries(value ?? {}).map(([k, v]) => `${k}=${v}`) : ((value ?? []) as Value[]).map(String);
    return (
      <Control id={id} text={text} hint={s.type === "map" ? hint : [hint, "One a line."].filter(Boolean).join(" ")} error={error}>
        <LinesInput
          aria={aria}
          lines={lines}
          onChange={(ls) => {
            if (s.type === "map") {
              const m: Record<string, string> = {};
              for (const l of ls) {
                const i = l.indexOf("=");
                m[i < 0 ? l : l.slice(0, i)] = i < 0 ? "" : l.slice(i + 1);
              }
              onChange(m);
            } else onChange(s.items?.type === "integer" ? ls.map((l) => numberOf(l)) : ls);
          }}
        />
      </Control>
    );
  }
  if (s.type === "integer" || s.type === "number") {
    return (
      <Control id={id} text={text} hint={hint} error={error}>
        <input
          type="number"
          inputMode="numeric"
          {...aria}
          min={s.minimum}
          max={s.maximum}
          placeholder={s.default !== undefined ? `default ${s.default}` : undefined}
          value={value ?? ""}
          onInput={(e) => onChange(numberOf((e.currentTarget as HTMLInputElement).value, s.nullable))}
        />
      </Control>
    );
  }
  if (s.format === "date-time") {
    return (
      <Control id={id} text={text} hint={hint} error={error}>
        <input
          type="datetime-local"
          {...aria}
          value={value ? toLocal(value) : ""}
          onInput={(e) => {
            const v = (e.currentTarget as HTMLInputElement).value;
            onChange(v ? new Date(v).toISOString() : s.nullable ? null : undefined);
          }}
        />
      </Control>
    );
  }
  const long = (s.maxLength ?? 0) >= 1024 && s.format !== "uri";
  const common = { ...aria, value: value ?? "", onInput: (e: Event) => onChange((e.currentTarget as HTMLInputElement).value) };
  return (
    <Control id={id} text={text} hint={hint} error={error}>
      {long ? (
        <textarea rows={3} {...common} />
      ) : s.writeOnly ? (
        <input type="password" autoComplete="new-password" {...common} />
      ) : (
        <input type="text" autoComplete="off" spellcheck={false} {...common} />
      )}
    </Control>
  );
}

function LinesInput({ lines, onChange, aria }: { lines: string[]; onChange: (ls: string[]) => void; aria: Record<string, unknown> }) {
  // The text is kept as typed (an empty line is not lost mid-edit); the value is its non-empty lines.
  const [text, setText] = useState(lines.join("\n"));
  useEffect(() => {
    if (text.split("\n").filter((l) => l.trim()).join("\n") !== lines.join("\n")) setText(lines.join("\n"));
  }, [lines.join("\n")]);
  return (
    <textarea
      rows={Math.min(8, Math.max(2, lines.length + 1))}
      spellcheck={false}
      {...aria}
      value={text}
      onInput={(e) => {
        const t = (e.currentTarget as HTMLTextAreaElement).value;
        setText(t);
        onChange(t.split("\n").map((l) => l.trim()).filter(Boolean));
      }}
    />
  );
}

/** RefSelect picks objects of the referenced collection; a search box narrows a collection too large for one page. */
export function RefSelect({ target, multiple, required, value, aria, onChange }: { target: Admin; multiple: boolean; required: boolean; value: Value; aria: Record<string, unknown>; onChange: (v: Value) => void }) {
  const [q, setQ] = useState("");
  const [typed, setTyped] = useState("");
  useEffect(() => {
    const t = setTimeout(() => setQ(typed), 250);
    return () => clearTimeout(t);
  }, [typed]);
  const sortable = target.params.find((p) => p.name === "sort")?.choices?.includes(target.nameField);
  const page = useFetch<{ items?: Value[]; next_cursor?: string }>(target.path + query({ limit: 100, q, sort: sortable ? target.nameField : undefined }));
  const items = page.data?.items ?? [];
  const chosen: number[] = multiple ? (value ?? []) : value ? [value] : [];
  const nameOf = (o: Value) => `${o[target.nameField] || "(unnamed)"} · #${o.id}`;
  const shown = new Set(items.map((o) => o.id));
  const large = !!page.data?.next_cursor || q !== "";
  const searchId = useId();
  return (
    <>
      {large && (
        <div class="refsearch">
          <label for={searchId} class="visually-hidden">
            Search {target.title}
          </label>
          <input id={searchId} type="text" placeholder={`Search ${target.title}`} value={typed} onInput={(e) => setTyped((e.currentTarget as HTMLInputElement).value)} />
        </div>
      )}
      <select
        {...aria}
        multiple={multiple}
        size={multiple ? Math.min(6, Math.max(3, items.length)) : undefined}
        onChange={(e) => {
          const el = e.currentTarget as HTMLSelectElement;
          if (multiple) onChange([...el.selectedOptions].map((o) => Number(o.value)));
          else onChange(el.value === "" ? null : Number(el.value));
        }}
      >
        {!multiple && (
          <option value="" selected={chosen.length === 0}>
            {required ? "Choose…" : "—"}
          </option>
        )}
        {chosen
          .filter((id) => !shown.has(id))
          .map((id) => (
            <option key={id} value={id} selected>
              #{id}
            </option>
          ))}
        {items.map((o) => (
          <option key={o.id} value={o.id} selected={chosen.includes(o.id)}>
            {nameOf(o)}
          </option>
        ))}
      </select>
      {page.problem && <p class="error">Could not load {target.title}: {page.problem.title}</p>}
    </>
  );
}
