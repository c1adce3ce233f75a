// The sign-in page: username and password, then a TOTP code (or a recovery
// code) when the appliance answers mfa-required.
import { useEffect, useRef, useState } from "preact/hooks";
import { call, fieldErrors, ProblemTypeBase, type Problem } from "../api/client";
import { checkForm } from "../api/validate";
import { Field, FormError } from "../form";
import { navigate, search } from "../router";
import { session, type AuthSession } from "../session";

/** The schema whose rules the form is checked with (api.LoginRequest). */
const schema = "LoginRequest";

/** after returns where to go once signed in: ?next= when it is a console path. */
function after(): string {
  const next = new URLSearchParams(search.value).get("next") ?? "";
  return next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/login") ? next : "/items";
}

export function LoginPage() {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [mfa, setMFA] = useState<"" | "totp" | "recovery">("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState("");
  const [busy, setBusy] = useState(false);
  const codeRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (mfa) codeRef.current?.querySelector("input")?.focus();
  }, [mfa]);

  const codeField = mfa === "recovery" ? "recovery_code" : "totp_code";

  async function submit(e: Event) {
    e.preventDefault();
    setFormError("");
    const values: Record<string, string> = { username, password };
    if (mfa) values[codeField] = code;
    const local = checkForm(schema, values);
    if (!username) local.username ??= "is required";
    if (!password) local.password ??= "is required";
    if (mfa && !code) local[codeField] ??= "is required";
    setErrors(local);
    if (Object.keys(local).length > 0) return;

    setBusy(true);
    const { data, error } = await call<AuthSession>("POST", "/api/v1/auth/login", values);
    setBusy(false);
    if (data) {
      session.value = data;
      navigate(after(), true);
      return;
    }
    const p = error as Problem;
    if (p.type === ProblemTypeBase + "mfa-required") {
      setMFA(mfa || "totp");
      setErrors({});
      if (mfa) setFormError(p.detail || "The code is not valid.");
      return;
    }
    const fe = fieldErrors(p);
    setErrors(fe);
    if (Object.keys(fe).length > 0) return;
    if (p.status === 401) setFormError("Sign-in failed: the username or password is wrong.");
    else setFormError(p.detail ? `${p.title ?? "Sign-in failed"}: ${p.detail}` : (p.title ?? "Sign-in failed"));
  }

  return (
    <main id="main" class="narrow">
      <h1 tabIndex={-1}>Sign in to Jumpgate</h1>
      <form onSubmit={submit} noValidate>
        <FormError message={formError} />
        <Field label="Username" name="username" value={username} error={errors.username} onInput={setUsername}
          autoComplete="username" autoCapitalize="none" spellcheck={false} required disabled={!!mfa} />
        <Field label="Password" name="password" type="password" value={password} error={errors.password} onInput={setPassword}
          autoComplete="current-password" required disabled={!!mfa} />
        {mfa && (
          <div ref={codeRef}>
            {mfa === "totp" ? (
              <Field label="Authentication code" name="totp_code" value={code} error={errors.totp_code} onInput={setCode}
                hint="The 6-digit code from your authenticator app." inputMode="numeric" autoComplete="one-time-code" required />
            ) : (
              <Field label="Recovery code" name="recovery_code" value={code} error={errors.recovery_code} onInput={setCode}
                hint="One of the recovery codes you saved when you enrolled; each works once." autoComplete="off" required />
            )}
            <button type="button" class="link" onClick={() => { setCode(""); setErrors({}); setMFA(mfa === "totp" ? "recovery" : "totp"); }}>
              {mfa === "totp" ? "Use a recovery code instead" : "Use an authentication code instead"}
            </button>
          </div>
        )}
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
