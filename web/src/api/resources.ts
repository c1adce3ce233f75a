// The types of resources.gen.ts: what api/openapi.json says about each
// configuration collection, settings singleton and the schemas they use.

/** Shape is one field of a schema, normalised: a $ref becomes type "object" with ref, a string map type "map". */
export interface Shape {
  type?: "string" | "integer" | "number" | "boolean" | "array" | "object" | "map";
  ref?: string;
  format?: string;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  uniqueItems?: boolean;
  nullable?: boolean;
  readOnly?: boolean;
  writeOnly?: boolean;
  default?: unknown;
  description?: string;
  items?: Shape;
}

/** ObjectShape is an object schema: its fields in the document's order. */
export interface ObjectShape {
  description: string;
  required: string[];
  properties: Record<string, Shape>;
}

/** Param is a list's query parameter; choices are its values when the document names them. */
export interface Param {
  name: string;
  description: string;
  type: string;
  choices?: string[];
}

/** Collection is a configuration collection of the API. */
export interface Collection {
  path: string;
  slug: string;
  schema: string;
  tag: string;
  params: Param[];
  put: boolean;
  delete: boolean;
  summary: string;
}

/** Singleton is a settings object of the API. */
export interface Singleton {
  path: string;
  slug: string;
  schema: string;
  summary: string;
}
