import { schemaRules } from "./rules.gen";

/** FieldRule is what api/openapi.json says about one field. */
export interface FieldRule {
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  required?: boolean;
}

const compiled = new Map<string, RegExp>();

/** pattern compiles an API pattern once, as ECMA-262 with the u flag. */
function pattern(p: string): RegExp {
  let re = compiled.get(p);
  if (!re) {
    re = new RegExp(p, "u");
    compiled.set(p, re);
  }
  return re;
}

/** rulesOf returns the field rules of an OpenAPI schema ({} when the document has none). */
export function rulesOf(schema: string): Record<string, FieldRule> {
  return schemaRules[schema] ?? {};
}

/**
 * checkField returns the message for a value that breaks the rule, or "".
 * The API stays the judge: this only saves a round trip.
 */
export function checkField(rule: FieldRule | undefined, value: string): string {
  if (!rule) return "";
  if (value === "") return rule.required ? "is required" : "";
  const n = [...value].length;
  if (rule.minLength !== undefined && n < rule.minLength) return `must be at least ${rule.minLength} characters`;
  if (rule.maxLength !== undefined && n > rule.maxLength) return `must be at most ${rule.maxLength} characters`;
  if (rule.pattern !== undefined && !pattern(rule.pattern).test(value)) return "is not in the expected format";
  if (rule.enum !== undefined && !rule.enum.includes(value)) return `must be one of ${rule.enum.join(", ")}`;
  return "";
}

/** checkForm checks the named fields of values against a schema's rules. */
export function checkForm(schema: string, values: Record<string, string>): Record<string, string> {
  const rules = rulesOf(schema);
  const errors: Record<string, string> = {};
  for (const [field, value] of Object.entries(values)) {
    const msg = checkField(rules[field], value);
    if (msg) errors[field] = msg;
  }
  return errors;
}
