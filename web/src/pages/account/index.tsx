// The account page (/account): the signed-in user's own security settings.
// Two-factor authentication (TOTP): enroll with a QR code or the secret,
// confirm with a code, then the recovery codes, shown once; or turn it off
// with the password and a code. The password. And the user's browser
// sessions, each of which can be ended. A user whose MFA is required and
// who has not enrolled is kept on this page (app.tsx) until they have.
import { signal } from "@preact/signals";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, fieldErrors, type Problem } from "../../api/client";
import type { components } from "../../api/schema";
import { checkForm } from "../../api/validate";
import { Loaded, useLoad, when } from "../../data";
import { Field, FormError } from "../../form";
import { navigate } from "../../router";
import { loadSession, session } from "../../session";
import { Copy } from "../item";
import "./pages.css";

type Enrollment = components["schemas"]["MFAEnrollment"];

/** message turns a problem into one sentence for a form's alert. */
function message(p: Problem | undefined, fallback: string): string {
  if (!p) return fallback;
  return p.detail ? `${p.title ?? fallback}: ${p.detail}` : (p.title ?? fallback);
}

export function AccountPage() {
  const s = session.value;
  const mustEnroll = !!s?.mfa_required && !s?.mfa_enrolled;
  return (
    <main id="main">
      <h1 tabIndex={-1}>Your account</h1>
      <p>
        Signed in as <strong>{s?.user?.username}</strong>
        {s?.expires_at ? <>; this browser session ends {when(s.expires_at)} at the latest.</> : "."}
      </p>
      {mustEnroll && (
        <div class="warning" role="alert">
          Your administrator requires two-factor authentication. Set it up below before you use the console.
        </div>
      )}
      <MFASection />
      {!mustEnroll && (
        <>
          <PasswordSection />
          <BrowserSessionsSection />
        </>
      )}
    </main>
  );
}

/**
 * shownCodes holds the recovery codes from their confirmation until the user
 * says they are stored: outside the component, so that a page that is drawn
 * again (a session refresh, a navigation back to /account) still shows them.
 * The appliance never answers them again.
 */
const shownCodes = signal<{ user?: number; codes: string[] } | undefined>(undefined);

/** MFASection enrolls, shows the recovery codes once, or turns MFA off. */
function MFASection() {
  const s = session.value;
  const [enrollment, setEnrollment] = useState<Enrollment | undefined>();
  // Only to the user they belong to: another user signing in to this page
  // without a reload never sees them.
  const held = shownCodes.value;
  const codes = held && held.user === s?.user?.id ? held.codes : undefined;
  const setCodes = (c: string[] | undefined) => {
    shownCodes.value = c ? { user: s?.user?.id, codes: c } : undefined;
  };
  const [formError, setFormError] = useState("");
  const [busy, setBusy] = useState(false);

  async function start() {
    setFormError("");
    setBusy(true);
    const { data, error } = await api.POST("/api/v1/auth/mfa/enroll");
    setBusy(false);
    if (data) setEnrollment(data);
    else setFormError(message(error as Problem, "The enrollment could not start"));
  }

  return (
    <section aria-labelledby="mfa-heading">
      <h2 id="mfa-heading">Two-factor authentication</h2>
      {codes ? (
        <RecoveryCodes codes={codes} onDone={() => setCodes(undefined)} />
      ) : enrollment ? (
        <Confirm
          enrollment={enrollment}
          onCancel={() => setEnrollment(undefined)}
          onConfirmed={(c) => {
            setEnrollment(undefined);
            setCodes(c);
            void loadSession();
          }}
        />
      ) : s?.mfa_enrolled ? (
        <Disable />
      ) : (
        <>
          <p>
            Two-factor authentication is <strong>off</strong>. With it on, signing in also asks for a code from an
            authenticator app (any app that supports TOTP, RFC 6238).
          </p>
          <FormError message={formError} />
          <button type="button" disabled={busy} onClick={start}>
            Set up two-factor authentication
          </button>
        </>
      )}
    </section>
  );
}

/** Confirm shows the QR code and the secret, and takes the first code. */
function Confirm({ enrollment, onCancel, onConfirmed }: { enrollment: Enrollment; onCancel: () => void; onConfirmed: (codes: string[]) => void }) {
  const [code, setCode] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setFormError("");
    const local = checkForm("MFAConfirm", { code });
    if (!code) local.code = "is required";
    setErrors(local);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    const { data, error } = await api.POST("/api/v1/auth/mfa/confirm", { body: { code } });
    setBusy(false);
    if (data) {
      onConfirmed(data.recovery_codes ?? []);
      return;
    }
    const p = error as Problem;
    const fe = fieldErrors(p);
    setErrors(fe);
    if (Object.keys(fe).length === 0) setFormError(message(p, "The code was not accepted"));
  }

  return (
    <>
      <ol class="steps">
        <li>
          <p>Scan this QR code with your authenticator app:</p>
          {enrollment.qr_code_png && (
            <img class="qr" src={enrollment.qr_code_png} width={200} height={200}
              alt="QR code of your two-factor secret, for your authenticator app" />
          )}
          <p>
            Or type the secret into the app (time-based, 6 digits, 30 seconds):{" "}
            <code class="secret">{enrollment.secret}</code>{" "}
            <Copy text={enrollment.secret ?? ""} label="Copy secret" />
          </p>
        </li>
        <li>
          <form onSubmit={submit} noValidate>
            <FormError message={formError} />
            <Field label="Code from the app" name="code" value={code} error={errors.code} onInput={setCode}
              hint="The 6-digit code the app shows now." inputMode="numeric" autoComplete="one-time-code" required />
            <div class="actions">
              <button type="submit" disabled={busy}>Turn on two-factor authentication</button>
              <button type="button" class="secondary" onClick={onCancel}>Cancel</button>
            </div>
          </form>
        </li>
      </ol>
    </>
  );
}

/** RecoveryCodes shows the codes of a confirmed enrollment, once. */
function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  const text = codes.join("\n") + "\n";
  const [href] = useState(() => URL.createObjectURL(new Blob([text], { type: "text/plain" })));
  useEffect(() => () => URL.revokeObjectURL(href), [href]);
  return (
    <>
      <p role="status">Two-factor authentication is on.</p>
      <h3 tabIndex={-1} ref={ref}>Your recovery codes</h3>
      <div class="warning">
        <strong>Store these now.</strong> They are shown only this once. Each signs you in once instead of a code,
        should you lose your authenticator app.
      </div>
      <ul class="codes" aria-label="Recovery codes">
        {codes.map((c) => (
          <li key={c}><code>{c}</code></li>
        ))}
      </ul>
      <div class="actions">
        <Copy text={text} label="Copy recovery codes" />
        <a class="button" href={href} download="jumpgate-recovery-codes.txt">Download recovery codes</a>
        <button type="button" class="secondary" onClick={onDone}>I have stored them</button>
      </div>
    </>
  );
}

/** Disable turns MFA off with the password and a code (or a recovery code). */
function Disable() {
  const s = session.value;
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [recovery, setRecovery] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState("");
  const [busy, setBusy] = useState(false);
  const field = recovery ? "recovery_code" : "code";

  async function submit(e: Event) {
    e.preventDefault();
    setFormError("");
    const body: { password: string; code?: string; recovery_code?: string } = recovery ? { password, recovery_code: code } : { password, code };
    const local = checkForm("MFADisable", recovery ? { password, recovery_code: code } : { password, code });
    if (!password) local.password = "is required";
    if (!code) local[field] = "is required";
    setErrors(local);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    const { error, response } = await api.POST("/api/v1/auth/mfa/disable", { body });
    setBusy(false);
    if (response?.ok) {
      setPassword("");
      setCode("");
      await loadSession();
      return;
    }
    const p = error as Problem;
    const fe = fieldErrors(p);
    setErrors(fe);
    if (Object.keys(fe).length === 0) setFormError(message(p, "Two-factor authentication stays on"));
  }

  return (
    <>
      <p>
        Two-factor authentication is <strong>on</strong>: signing in asks for a code from your authenticator app.
      </p>
      {s?.mfa_required ? (
        <p class="hint">Your administrator requires it, so it cannot be turned off here.</p>
      ) : (
        <form onSubmit={submit} noValidate aria-labelledby="mfa-off-heading">
          <h3 id="mfa-off-heading">Turn off two-factor authentication</h3>
          <FormError message={formError} />
          <Field label="Password" name="password" type="password" value={password} error={errors.password}
            onInput={setPassword} autoComplete="current-password" required />
          {recovery ? (
            <Field label="Recovery code" name="recovery_code" value={code} error={errors.recovery_code} onInput={setCode} autoComplete="off" required />
          ) : (
            <Field label="Authentication code" name="code" value={code} error={errors.code} onInput={setCode}
              inputMode="numeric" autoComplete="one-time-code" required />
          )}
          <button type="button" class="link" onClick={() => { setCode(""); setErrors({}); setRecovery(!recovery); }}>
            {recovery ? "Use an authentication code instead" : "Use a recovery code instead"}
          </button>
          <div>
            <button type="submit" disabled={busy}>Turn off two-factor authentication</button>
          </div>
        </form>
      )}
    </>
  );
}

/** PasswordSection changes the user's own password. */
function PasswordSection() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState("");
  const [done, setDone] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setFormError("");
    setDone("");
    const body = { current_password: current, new_password: next };
    const local = checkForm("PasswordChange", body);
    if (!current) local.current_password = "is required";
    if (!next) local.new_password = "is required";
    if (next !== again) local.again = "does not match the new password";
    setErrors(local);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    const { error, response } = await api.POST("/api/v1/auth/password", { body });
    setBusy(false);
    if (response?.ok) {
      setCurrent("");
      setNext("");
      setAgain("");
      setDone("Your password is changed. Your other browser sessions were ended.");
      return;
    }
    const p = error as Problem;
    const fe = fieldErrors(p);
    setErrors(fe);
    if (Object.keys(fe).length === 0) setFormError(message(p, "The password was not changed"));
  }

  return (
    <section aria-labelledby="password-heading">
      <h2 id="password-heading">Password</h2>
      <form onSubmit={submit} noValidate class="narrow-form">
        <FormError message={formError} />
        <p role="status">{done}</p>
        <Field label="Current password" name="current_password" type="password" value={current} error={errors.current_password}
          onInput={setCurrent} autoComplete="current-password" required />
        <Field label="New password" name="new_password" type="password" value={next} error={errors.new_password}
          onInput={setNext} autoComplete="new-password" hint="At least 12 characters." required />
        <Field label="New password again" name="again" type="password" value={again} error={errors.again}
          onInput={setAgain} autoComplete="new-password" required />
        <button type="submit" disabled={busy}>Change password</button>
      </form>
    </section>
  );
}

/** BrowserSessionsSection lists the user's browser sessions; each can be ended. */
function BrowserSessionsSection() {
  const [reload, setReload] = useState(0);
  const [formError, setFormError] = useState("");
  const list = useLoad(() => api.GET("/api/v1/auth/sessions"), [reload]);

  async function end(id: number, current: boolean) {
    setFormError("");
    const { error, response } = await api.DELETE("/api/v1/auth/sessions/{id}", { params: { path: { id } } });
    if (!response?.ok) {
      setFormError(message(error as Problem, "The session was not ended"));
      return;
    }
    if (current) {
      session.value = null;
      navigate("/login", true);
      return;
    }
    setReload((n) => n + 1);
  }

  return (
    <section aria-labelledby="browser-sessions-heading">
      <h2 id="browser-sessions-heading">Browser sessions</h2>
      <p class="hint">Where you are signed in to the console. Ending a session signs that browser out at once.</p>
      <FormError message={formError} />
      <Loaded load={list}>
        {(page) => (
          <table>
            <caption class="visually-hidden">Your browser sessions</caption>
            <thead>
              <tr><th scope="col">Signed in</th><th scope="col">Last seen</th><th scope="col">Address</th><th scope="col">Browser</th><th scope="col">Ends</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr>
            </thead>
            <tbody>
              {(page.items ?? []).map((b) => (
                <tr key={b.id}>
                  <td>{when(b.created_at)}{b.current && <strong> (this browser)</strong>}</td>
                  <td>{when(b.last_seen_at)}</td>
                  <td>{b.remote_addr}</td>
                  <td class="agent">{b.user_agent}</td>
                  <td>{when(b.idle_expires_at)}</td>
                  <td>
                    <button type="button" class="secondary" aria-label={b.current ? "End this browser session (sign out)" : `End browser session ${b.id}`}
                      onClick={() => end(b.id!, !!b.current)}>
                      End
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loaded>
    </section>
  );
}
