// Reading the generated shapes: field labels, which fields a form edits,
// the body a form sends, and the client-side check of a whole object
// against its schema's rules, with errors keyed by the API's JSON paths
// (code_name, permissions.file_write, schedule[0].end_time).
import { shapes } from "../../api/resources.gen";
import type { ObjectShape, Shape } from "../../api/resources";
import { checkField } from "../../api/validate";
import { refTarget } from "./meta";

/** Value is any JSON value a form holds. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Value = any;

const words: Record<string, string> = { id: "ID", ids: "IDs", api: "API", url: "URL", mfa: "MFA", ip: "IP", cidrs: "CIDRs", lan: "LAN", ttl: "TTL" };

/** label turns a JSON field name into words: code_name → "Code name", jump_group_id → "Jump group". */
export function label(field: string): string {
  let f = field;
  if (refTarget(field)) f = f.replace(/_ids?$/, (m) => (m === "_ids" ? "s" : ""));
  const parts = f.split("_").map((w) => words[w] ?? w);
  const s = parts.join(" ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** singular names one element of an array field: memberships → "membership". */
export function singular(field: string): string {
  const s = label(field).toLowerCase();
  return s.endsWith("ies") ? s.slice(0, -3) + "y" : s.endsWith("s") && !s.endsWith("ss") ? s.slice(0, -1) : s + " entry";
}

/** shapeOf returns an object schema by name. */
export function shapeOf(name: string): ObjectShape {
  return shapes[name] ?? { description: "", required: [], properties: {} };
}

/** editable lists the fields a form shows: neither read-only nor the object's bookkeeping. */
export function editable(obj: ObjectShape): [string, Shape][] {
  return Object.entries(obj.properties).filter(([, s]) => !s.readOnly);
}

/** initial is a new object's form value: the schema's defaults. */
export function initial(name: string): Value {
  const obj = shapeOf(name);
  const v: Value = {};
  for (const [f, s] of editable(obj)) {
    if (s.default !== undefined && !(Array.isArray(s.default) && s.default.length === 0)) v[f] = s.default;
    else if (s.type === "object" && s.ref) v[f] = initial(s.ref);
    else if (s.type === "array" && obj.required.includes(f) && s.minItems) v[f] = [s.items?.ref ? initial(s.items.ref) : ""];
  }
  return v;
}

/** body is what a form sends: the value without read-only fields, empty write-only ones or blank optional numbers. */
export function body(name: string, value: Value): Value {
  const obj = shapeOf(name);
  const out: Value = {};
  for (const [f, s] of Object.entries(obj.properties)) {
    const v = value?.[f];
    if (s.readOnly || v === undefined) continue;
    if (s.writeOnly && v === "") continue;
    if (s.type === "object" && s.ref && v !== null) out[f] = body(s.ref, v);
    else if (s.type === "array" && s.items?.ref && Array.isArray(v)) out[f] = v.map((e) => body(s.items!.ref!, e));
    else out[f] = v;
  }
  return out;
}

function checkValue(s: Shape, v: Value, required: boolean, path: string, errs: Record<string, string>) {
  const empty = v === undefined || v === null || v === "";
  if (empty) {
    if (required && !(s.type === "integer" && s.nullable)) errs[path] = "is required";
    return;
  }
  switch (s.type) {
    case "object":
      if (s.ref) checkObject(s.ref, v, path + ".", errs);
      return;
    case "array": {
      if (!Array.isArray(v)) return;
      if (s.minItems !== undefined && v.length < s.minItems) errs[path] = `needs at least ${s.minItems}`;
      if (s.maxItems !== undefined && v.length > s.maxItems) errs[path] = `allows at most ${s.maxItems}`;
      v.forEach((e, i) => s.items && checkValue(s.items, e, true, `${path}[${i}]`, errs));
      return;
    }
    case "map":
      if (s.maxProperties !== undefined && Object.keys(v).length > s.maxProperties) errs[path] = `allows at most ${s.maxProperties}`;
      return;
    case "integer":
    case "number":
      if (typeof v !== "number" || (s.type === "integer" && !Number.isInteger(v))) errs[path] = "must be a whole number";
      else if (s.minimum !== undefined && v < s.minimum) errs[path] = `must be at least ${s.minimum}`;
      else if (s.maximum !== undefined && v > s.maximum) errs[path] = `must be at most ${s.maximum}`;
      return;
    case "string": {
      const msg = checkField({ ...s, required }, String(v));
      if (msg) errs[path] = msg;
      return;
    }
  }
}

/** checkObject checks value against the named schema's rules; prefix is the JSON path of the object. */
export function checkObject(name: string, value: Value, prefix = "", errs: Record<string, string> = {}): Record<string, string> {
  const obj = shapeOf(name);
  for (const [f, s] of editable(obj)) checkValue(s, value?.[f], obj.required.includes(f), prefix + f, errs);
  return errs;
}

/** display formats a value for a detail page. */
export function display(v: Value): string {
  if (v === undefined || v === null || v === "") return "—";
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (Array.isArray(v)) return v.length === 0 ? "—" : v.map(display).join(", ");
  if (typeof v === "object") return Object.entries(v).map(([k, x]) => `${k}=${display(x)}`).join(", ") || "—";
  return String(v);
}
