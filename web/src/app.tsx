// The console's shell: the header with the navigation and the signed-in
// user, and the page of the current URL. Signed-out visitors of any page go
// to /login?next=<that page>.
import { useEffect, useState } from "preact/hooks";
import { Link, navigate, path, search } from "./router";
import { logout, session } from "./session";
import { LoginPage } from "./pages/login";
import { ItemsPage } from "./pages/items";
import { ItemPage } from "./pages/item";
import { SessionPage } from "./pages/session";
import { SessionsPage } from "./pages/sessions";
import { JumpClientSettingsPage } from "./pages/settings";
import { AccountPage } from "./pages/account";
import { RecordingPage, RecordingsPage } from "./pages/recordings";
import { ApprovalsPage } from "./pages/approvals";
import { CodesPage } from "./pages/codes";

/** routes maps each console path to its page. */
const routes: Record<string, () => preact.JSX.Element> = {
  "/items": ItemsPage,
  "/sessions": SessionsPage,
  "/settings/jump-clients": JumpClientSettingsPage,
  "/account": AccountPage,
  "/recordings": RecordingsPage,
  "/approvals": ApprovalsPage,
  "/codes": CodesPage,
};

/** redirects are console paths that are another page's. */
const redirects: Record<string, string> = { "/": "/items", "/settings": "/settings/jump-clients" };

/** adminPages loads the administrator's pages on the first visit to /admin (a chunk of their own). */
let adminPages: Promise<{ default: () => preact.JSX.Element }> | undefined;

function Admin() {
  const [Pages, setPages] = useState<(() => preact.JSX.Element) | undefined>();
  useEffect(() => {
    adminPages ??= import("./pages/admin");
    void adminPages.then((m) => setPages(() => m.default));
  }, []);
  return Pages ? <Pages /> : <p class="loading" aria-live="polite">Loading…</p>;
}

function NotFound() {
  return (
    <main id="main">
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        There is no console page at <code>{path.value}</code>. <Link href="/items">Go to the Jump Items</Link>.
      </p>
    </main>
  );
}

export function App() {
  const p = path.value;
  const s = session.value;
  const target = redirects[p];
  // A user whose MFA is required and who has not enrolled can reach only
  // the enrollment: the API refuses everything else until then.
  const enroll = !!s && !!s.mfa_required && !s.mfa_enrolled && p !== "/account";
  useEffect(() => {
    if (target) navigate(target + search.value, true);
    else if (enroll) navigate("/account", true);
    else if (s === null && p !== "/login") navigate("/login?next=" + encodeURIComponent(p + search.value), true);
    else if (s && p === "/login") navigate("/items", true);
  }, [p, s, target, enroll]);

  useEffect(() => {
    const page = p === "/login" ? "Sign in" : document.querySelector("main h1")?.textContent;
    document.title = page ? `${page} · Jumpgate` : "Jumpgate";
  });

  if (s === undefined || target || enroll) return <p class="loading" aria-live="polite">Loading…</p>;
  if (s === null) return p === "/login" ? <LoginPage /> : null;
  const item = /^\/items\/(client|tunnel)\/(\d+)$/.exec(p);
  const sess = /^\/sessions\/(\d+)$/.exec(p);
  const rec = /^\/recordings\/(\d+)$/.exec(p);
  const Page = routes[p] ?? (p === "/admin" || p.startsWith("/admin/") ? Admin : NotFound);
  const page = item ? <ItemPage kind={item[1]} id={Number(item[2])} /> : sess ? <SessionPage id={Number(sess[1])} /> : rec ? <RecordingPage id={Number(rec[1])} /> : <Page />;
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header>
        <span class="brand">Jumpgate</span>
        <nav aria-label="Main">
          <ul>
            <li><Link href="/items">Jump Items</Link></li>
            <li><Link href="/sessions">Sessions</Link></li>
            <li><Link href="/recordings">History</Link></li>
            <li><Link href="/approvals">Approvals</Link></li>
            <li><Link href="/codes">Access codes</Link></li>
            <li><Link href="/settings/jump-clients">Settings</Link></li>
            <li><Link href="/account">Account</Link></li>
            {s.user?.admin && <li><Link href="/admin">Administration</Link></li>}
          </ul>
        </nav>
        <span class="user">
          Signed in as <strong>{s.user?.username}</strong>
        </span>
        <button
          type="button"
          onClick={async () => {
            await logout();
            navigate("/login", true);
          }}
        >
          Sign out
        </button>
      </header>
      {page}
    </>
  );
}
