// The access codes page (/codes): one-time codes a customer joins a session
// with (`jumpgate-agent join`). A new code is for the signed-in user, with a
// session policy and a comment; the API makes it valid for 5 minutes and
// once. The code and its join command are shown once, on this page, with
// copy buttons; the list (GET /api/v1/access-codes: the user's own, or
// every user's for administrators) shows each code's state and the session
// it started.
import { useState } from "preact/hooks";
import { api, fieldErrors, type Problem } from "../../api/client";
import type { components } from "../../api/schema";
import { checkForm } from "../../api/validate";
import { Loaded, useLoad, when } from "../../data";
import { Field, FormError } from "../../form";
import { Link } from "../../router";
import { Copy } from "../item";
import "../account/pages.css";

type AccessCode = components["schemas"]["AccessCode"];

export function CodesPage() {
  const [reload, setReload] = useState(0);
  const [created, setCreated] = useState<AccessCode | undefined>();
  const list = useLoad(() => api.GET("/api/v1/access-codes"), [reload]);
  return (
    <main id="main">
      <h1 tabIndex={-1}>Access codes</h1>
      <p class="hint">
        A one-time access code lets a customer start a session with you from their computer: they run the join
        command with the code. Each code works once, within 5 minutes.
      </p>
      {created ? (
        <Created code={created} onDone={() => setCreated(undefined)} />
      ) : (
        <NewCode onCreated={(c) => { setCreated(c); setReload((n) => n + 1); }} />
      )}
      <section aria-labelledby="codes-list-heading">
        <h2 id="codes-list-heading">Codes</h2>
        <Loaded load={list}>
          {(page) =>
            (page.items ?? []).length === 0 ? (
              <p>No access codes yet.</p>
            ) : (
              <table>
                <caption class="visually-hidden">Access codes</caption>
                <thead>
                  <tr><th scope="col">Code</th><th scope="col">Comment</th><th scope="col">Representative</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">Status</th><th scope="col">Session</th></tr>
                </thead>
                <tbody>
                  {(page.items ?? []).slice().reverse().map((c) => (
                    <tr key={c.id}>
                      <td>{c.id}</td>
                      <td>{c.comment}</td>
                      <td>{c.username}</td>
                      <td>{when(c.created_at)}</td>
                      <td>{when(c.expires_at)}</td>
                      <td>{c.status}</td>
                      <td>{c.session_id ? <Link href={`/recordings/${c.session_id}`}>Session {c.session_id}</Link> : "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )
          }
        </Loaded>
      </section>
    </main>
  );
}

/** NewCode makes a code with an optional session policy and a comment. */
function NewCode({ onCreated }: { onCreated: (c: AccessCode) => void }) {
  const policies = useLoad(() => api.GET("/api/v1/session-policies", { params: { query: { limit: 500, sort: "display_name" } } }), []);
  const [policy, setPolicy] = useState("");
  const [comment, setComment] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setFormError("");
    const local = checkForm("AccessCode", { comment });
    setErrors(local);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    const { data, error } = await api.POST("/api/v1/access-codes", {
      body: { comment: comment || undefined, session_policy_id: policy ? Number(policy) : undefined } as AccessCode,
    });
    setBusy(false);
    if (data) {
      setComment("");
      onCreated(data);
      return;
    }
    const p = error as Problem;
    const fe = fieldErrors(p);
    setErrors(fe);
    if (Object.keys(fe).length === 0) setFormError(p.detail ? `${p.title}: ${p.detail}` : (p.title ?? "The code was not made"));
  }

  const items = policies.data?.items ?? [];
  return (
    <section aria-labelledby="new-code-heading">
      <h2 id="new-code-heading">New access code</h2>
      <form onSubmit={submit} noValidate class="narrow-form">
        <FormError message={formError} />
        <div class="field">
          <label for="code-policy">Session policy</label>
          <p class="hint" id="code-policy-hint">The permissions of the session the code starts.</p>
          <select id="code-policy" value={policy} aria-describedby="code-policy-hint"
            aria-invalid={errors.session_policy_id ? "true" : undefined}
            onChange={(e) => setPolicy((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">The default public portal's (or the built-in default)</option>
            {items.map((sp) => <option key={sp.id} value={String(sp.id)}>{sp.display_name} ({sp.code_name})</option>)}
          </select>
          {errors.session_policy_id && <p class="error">Session policy {errors.session_policy_id}</p>}
        </div>
        <Field label="Comment" name="comment" value={comment} error={errors.comment} onInput={setComment}
          hint="For you and the audit log: who the code is for, a ticket." />
        <button type="submit" disabled={busy}>Create access code</button>
      </form>
    </section>
  );
}

/** Created shows a new code and its join command, once. */
function Created({ code, onDone }: { code: AccessCode; onDone: () => void }) {
  return (
    <section class="panel" aria-labelledby="created-heading">
      <h2 id="created-heading" tabIndex={-1}>Access code created</h2>
      <div class="warning">
        <strong>Hand it over now.</strong> The code is shown only this once, and works once until {when(code.expires_at)}.
      </div>
      <p>
        Code: <code class="access-code">{code.code}</code> <Copy text={code.code ?? ""} label="Copy code" />
      </p>
      {code.join_command && (
        <>
          <p>The customer runs:</p>
          <pre class="join-command"><code>{code.join_command}</code></pre>
          <Copy text={code.join_command} label="Copy join command" />
        </>
      )}
      <div class="actions">
        <button type="button" class="secondary" onClick={onDone}>Done</button>
      </div>
    </section>
  );
}
