// The administrator's pages, loaded on demand (app.tsx imports this module
// with import()) so that the initial bundle stays small:
//
//   /admin                       the index of the collections and settings
//   /admin/<collection>          a list (search, filters, sort, pages)
//   /admin/<collection>/new      a new object
//   /admin/<collection>/<id>     an object
//   /admin/<collection>/<id>/edit
//   /admin/settings/<name>       a settings singleton
//   /admin/audit                 the audit log
//
// <collection> is the API's path segment (jump-groups, session-policies …).
import { useEffect } from "preact/hooks";
import { Link, path } from "../../router";
import { session } from "../../session";
import { AuditPage } from "./audit";
import { admins, bySlug, settings } from "./meta";
import { DetailPage, EditPage, flash, NewPage, SettingsPage } from "./object";
import { ListPage } from "./list";
import "./admin.css";

function Home() {
  return (
    <main id="main">
      <h1 tabIndex={-1}>Administration</h1>
      <ul class="cards">
        {admins.map((a) => (
          <li key={a.slug}>
            <Link href={`/admin/${a.slug}`}>{a.title}</Link>
            <p class="hint">{a.intro}</p>
          </li>
        ))}
        {settings.map((s) => (
          <li key={s.slug}>
            <Link href={`/admin/settings/${s.slug}`}>{s.title}</Link>
            <p class="hint">{s.summary}</p>
          </li>
        ))}
        <li>
          <Link href="/admin/audit">Audit log</Link>
          <p class="hint">Who changed what, and when.</p>
        </li>
      </ul>
    </main>
  );
}

function Missing() {
  return (
    <main id="main">
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        There is no administration page at <code>{path.value}</code>. <Link href="/admin">Go to Administration</Link>.
      </p>
    </main>
  );
}

/** Flash shows the message the previous page left (a deletion), once. */
function Flash() {
  const msg = flash.message;
  useEffect(() => {
    flash.message = "";
  });
  return msg ? (
    <p class="ok" role="status">
      {msg}
    </p>
  ) : null;
}

/** AdminNav is the administrator's section navigation. */
function AdminNav() {
  return (
    <nav class="side" aria-label="Administration">
      <ul>
        {admins.map((a) => (
          <li key={a.slug}>
            <Link href={`/admin/${a.slug}`}>{a.title}</Link>
          </li>
        ))}
        {settings.map((s) => (
          <li key={s.slug}>
            <Link href={`/admin/settings/${s.slug}`}>{s.title}</Link>
          </li>
        ))}
        <li>
          <Link href="/admin/audit">Audit log</Link>
        </li>
      </ul>
    </nav>
  );
}

function page(p: string) {
  const seg = p.split("/").filter(Boolean).slice(1);
  if (seg.length === 0) return <Home />;
  if (seg[0] === "audit" && seg.length === 1) return <AuditPage />;
  if (seg[0] === "settings" && seg.length === 2) {
    const s = settings.find((x) => x.slug === seg[1]);
    return s ? <SettingsPage key={s.slug} title={s.title} url={s.path} schema={s.schema} /> : <Missing />;
  }
  const a = bySlug(seg[0]);
  if (!a) return <Missing />;
  if (seg.length === 1) return <ListPage key={a.slug} admin={a} />;
  if (seg[1] === "new" && seg.length === 2) return <NewPage key={a.slug} admin={a} />;
  if (!/^[0-9]+$/.test(seg[1])) return <Missing />;
  if (seg.length === 2) return <DetailPage key={p} admin={a} id={seg[1]} />;
  if (seg.length === 3 && seg[2] === "edit") return <EditPage key={p} admin={a} id={seg[1]} />;
  return <Missing />;
}

/** AdminPages renders the administration page of the current path. */
export default function AdminPages() {
  return (
    <div class="admin">
      {session.value?.user?.admin && <AdminNav />}
      <div class="admin-page">
        <Flash />
        {page(path.value)}
      </div>
    </div>
  );
}
