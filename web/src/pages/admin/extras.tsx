// What some objects' detail pages show beyond their fields: an API token's
// secret (once, right after it is created), an installer's downloads with
// their copyable commands, its key info and key rotation, and a Jumpoint's
// nodes.
import { useState } from "preact/hooks";
import { call, type Problem } from "../../api/client";
import type { components } from "../../api/schema";
import { when } from "../../data";
import { ProblemAlert } from "./common";
import { signedOut, useFetch } from "./fetch";
import type { Admin } from "./meta";
import type { Value } from "./shape";

type Download = components["schemas"]["InstallerDownload"];
type KeyInfo = components["schemas"]["InstallerKeyInfo"];
type Node = components["schemas"]["JumpointNodeInfo"];

/** revealed holds a created token's secret for its first detail page, keyed by slug/id, and forgets it once shown. */
export const revealed = new Map<string, string>();

/** Copy is a read-only text with a button that copies it. */
export function Copy({ text, name }: { text: string; name: string }) {
  const [done, setDone] = useState(false);
  return (
    <div class="copy">
      <code>{text}</code>
      <button
        type="button"
        class="secondary"
        aria-label={`Copy ${name}`}
        onClick={async () => {
          await navigator.clipboard.writeText(text).catch(() => {});
          setDone(true);
        }}
      >
        Copy
      </button>
      <span role="status" class="hint">
        {done ? "Copied" : ""}
      </span>
    </div>
  );
}

function TokenSecret({ slug, id }: { slug: string; id: number }) {
  const [token] = useState(() => {
    const t = revealed.get(`${slug}/${id}`);
    revealed.delete(`${slug}/${id}`);
    return t;
  });
  if (!token) return null;
  return (
    <section class="secret" aria-labelledby="secret-h">
      <h2 id="secret-h">The token's secret</h2>
      <p>Copy it now: it is not shown again. Anyone with it acts as the token's user.</p>
      <Copy text={token} name="the token" />
    </section>
  );
}

function Installer({ obj, onChanged }: { obj: Value; onChanged: () => void }) {
  const [key, setKey] = useState<KeyInfo | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  const [confirm, setConfirm] = useState(false);
  const base = `/api/v1/jump-client-installers/${obj.id}`;
  const downloads: Download[] = obj.downloads ?? [];
  return (
    <>
      <section aria-labelledby="dl-h">
        <h2 id="dl-h">Downloads</h2>
        <p class="hint">Run a platform's command on the endpoint: it downloads the installer with a signed link (no token needed) and installs it.</p>
        {downloads.length === 0 ? (
          <p>No downloads: the installer has expired.</p>
        ) : (
          downloads.map((d) => (
            <div class="download" key={d.platform}>
              <h3>{d.platform}</h3>
              <p>
                <a href={d.signed_url || d.url} download={d.file_name}>
                  Download {d.file_name}
                </a>
                {d.expires_at && <span class="hint"> · link valid until {when(d.expires_at)}</span>}
              </p>
              {(d.signed_command || d.command) && <Copy text={d.signed_command || d.command || ""} name={`the ${d.platform} download command`} />}
              {d.install_command && <Copy text={d.install_command} name={`the ${d.platform} install command`} />}
            </div>
          ))
        )}
      </section>
      <section aria-labelledby="key-h">
        <h2 id="key-h">Key</h2>
        <ProblemAlert problem={problem} />
        <button
          type="button"
          class="secondary"
          onClick={async () => {
            const { data, error, response } = await call<KeyInfo>("GET", `${base}/key-info`);
            if (signedOut(response)) return;
            setProblem(error);
            setKey(data);
          }}
        >
          Show key info
        </button>{" "}
        <button type="button" class="secondary" onClick={() => setConfirm(true)}>
          Rotate key
        </button>
        {confirm && (
          <div class="confirm" role="alertdialog" aria-labelledby="rotate-q">
            <p id="rotate-q">Rotate the installer's key? Installers downloaded before stop enrolling.</p>
            <button
              type="button"
              class="danger"
              onClick={async () => {
                const { data, error, response } = await call<KeyInfo>("POST", `${base}/rotate-key`);
                if (signedOut(response)) return;
                setConfirm(false);
                setProblem(error);
                if (data) setKey(data);
                onChanged();
              }}
            >
              Rotate the key
            </button>{" "}
            <button type="button" class="secondary" onClick={() => setConfirm(false)}>
              Cancel
            </button>
          </div>
        )}
        {key?.key_info && (
          <>
            <p>Key info, valid until {when(key.expires_at)}:</p>
            <Copy text={key.key_info} name="the key info" />
          </>
        )}
      </section>
    </>
  );
}

function Nodes({ id }: { id: number }) {
  const nodes = useFetch<{ items?: Node[] }>(`/api/v1/jumpoints/${id}/nodes`);
  return (
    <section aria-labelledby="nodes-h">
      <h2 id="nodes-h">Nodes</h2>
      <ProblemAlert problem={nodes.problem} />
      {nodes.data &&
        ((nodes.data.items ?? []).length === 0 ? (
          <p>No node has enrolled yet.</p>
        ) : (
          <table>
            <caption class="visually-hidden">Nodes</caption>
            <thead>
              <tr>
                <th scope="col">Host name</th><th scope="col">Platform</th><th scope="col">Version</th><th scope="col">Address</th><th scope="col">Connected</th><th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {(nodes.data.items ?? []).map((n) => (
                <tr key={n.id}>
                  <td>{n.hostname}</td><td>{n.platform}</td><td>{n.version}</td><td>{n.remote_addr}</td><td>{n.connected ? "yes" : "no"}</td><td>{when(n.last_seen_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
    </section>
  );
}

/** Extras shows the parts of a detail page that are not the object's fields. */
export function Extras({ admin, obj, onChanged }: { admin: Admin; obj: Value; onChanged: () => void }) {
  switch (admin.slug) {
    case "api-tokens":
      return <TokenSecret slug={admin.slug} id={obj.id} />;
    case "jump-client-installers":
      return <Installer obj={obj} onChanged={onChanged} />;
    case "jumpoints":
      return <Nodes id={obj.id} />;
  }
  return null;
}
