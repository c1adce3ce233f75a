// What the administrator's pages add to the API document: which
// collections are configuration, their titles, the columns of their lists,
// and the few references a field name does not give away. Everything else
// (fields, rules, filters, sort keys, defaults) comes from resources.gen.ts.
import { collections, singletons } from "../../api/resources.gen";
import type { Collection, Singleton } from "../../api/resources";

/** Admin is a configuration collection with what its pages show. */
export interface Admin extends Collection {
  title: string;
  one: string;
  /** nameField names an object in lists, headings and reference selects. */
  nameField: string;
  columns: string[];
  /** intro is the sentence under the list's heading. */
  intro: string;
}

type Overlay = Omit<Admin, keyof Collection>;

const overlays: Record<string, Overlay> = {
  "jump-groups": { title: "Jump Groups", one: "Jump Group", nameField: "name", columns: ["name", "code_name", "memberships", "labels"], intro: "Jump Groups hold Jump Items; their memberships give group policies a role on those items." },
  "jump-policies": { title: "Jump Policies", one: "Jump Policy", nameField: "display_name", columns: ["display_name", "code_name", "schedule_enabled", "approval_required", "labels"], intro: "Jump Policies restrict when and how a jump may start: schedules, tickets, approvals and notifications." },
  "session-policies": { title: "Session Policies", one: "Session Policy", nameField: "display_name", columns: ["display_name", "code_name", "prompt_customer", "max_session_minutes", "labels"], intro: "Session Policies grant a session its permissions and set its prompts and limits." },
  jumpoints: { title: "Jumpoints", one: "Jumpoint", nameField: "name", columns: ["name", "code_name", "platform", "enabled", "connected", "labels"], intro: "Jumpoints reach endpoints on a remote network for Protocol Tunnel Jumps; their nodes enroll themselves." },
  "jump-client-installers": { title: "Jump Client Installers", one: "Jump Client Installer", nameField: "name", columns: ["name", "installer_id", "jump_group_id", "tag", "expires_at", "labels"], intro: "An installer enrolls Jump Clients into a Jump Group until it expires." },
  "protocol-tunnel-jumps": { title: "Protocol Tunnel Jumps", one: "Protocol Tunnel Jump", nameField: "name", columns: ["name", "hostname", "jumpoint_id", "jump_group_id", "tag", "labels"], intro: "A Protocol Tunnel Jump forwards local ports through a Jumpoint to a host." },
  "public-portals": { title: "Public Portals", one: "Public Portal", nameField: "display_name", columns: ["display_name", "hostname", "default", "automatic_behavior", "labels"], intro: "Public Portals are the sites customers reach for support sessions." },
  users: { title: "Users", one: "User", nameField: "username", columns: ["username", "display_name", "email", "admin", "enabled", "labels"], intro: "Users sign in to the console and the API." },
  "group-policies": { title: "Group Policies", one: "Group Policy", nameField: "name", columns: ["name", "members", "jump_groups", "labels"], intro: "Group Policies give their members roles on Jump Groups." },
  "api-tokens": { title: "API Tokens", one: "API Token", nameField: "name", columns: ["name", "user_id", "prefix", "expires_at", "last_used_at"], intro: "API Tokens authenticate the CLI, the Terraform provider and the operator. A token's secret is shown once, when it is created." },
};

/** admins are the configuration collections, in the order of the navigation. */
export const admins: Admin[] = Object.keys(overlays)
  .map((slug) => {
    const c = collections.find((x) => x.slug === slug);
    return c && { ...c, ...overlays[slug] };
  })
  .filter((x): x is Admin => !!x);

/** bySlug finds a configuration collection by its URL segment. */
export function bySlug(slug: string): Admin | undefined {
  return admins.find((a) => a.slug === slug);
}

const settingTitles: Record<string, string> = { "jump-clients": "Jump Client settings", console: "Console settings" };

/** settings are the settings singletons the document has. */
export const settings: (Singleton & { title: string })[] = singletons.map((s) => ({ ...s, title: settingTitles[s.slug] ?? s.slug }));

// A reference field is <thing>_id or <thing>_ids, where a collection's
// schema in snake case ends <thing> (attended_session_policy_id → Session
// Policies); these are the ones whose name says otherwise.
const refOverrides: Record<string, string> = { jumpoint_proxy_id: "jumpoints", members: "users" };

const snake = (s: string) => s.replace(/API/g, "Api").replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();

/** refTarget returns the collection a field refers to, or undefined. */
export function refTarget(field: string): Admin | undefined {
  const o = refOverrides[field];
  if (o) return bySlug(o);
  const m = /^(.*)_ids?$/.exec(field);
  if (!m) return undefined;
  return admins.find((a) => m[1] === snake(a.schema) || m[1].endsWith("_" + snake(a.schema)));
}

/** auditTypes maps the audit log's object types to their collections' pages. */
export function auditHref(objectType: string, id: number | undefined): string | undefined {
  const a = admins.find((x) => snake(x.schema) === objectType);
  return a && id ? `/admin/${a.slug}/${id}` : undefined;
}
