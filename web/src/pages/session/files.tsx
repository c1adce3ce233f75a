// The Files tab: a directory of the endpoint (GET …/files?path=), uploads
// (PUT …/files/content: the browser computes the file's SHA-256 first,
// and the endpoint checks it before the file replaces anything) and
// downloads (GET …/files/content: the appliance checks the endpoint's
// SHA-256 against what it relayed and aborts on a mismatch; the page
// computes the SHA-256 of what it received and shows it), each with its
// progress.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, problemOf, type Problem } from "../../api/client";
import type { components } from "../../api/schema";
import { when } from "../../data";

type FileList = components["schemas"]["FileList"];
type Transfer = { id: number; name: string; dir: "upload" | "download"; done: number; total: number; sha256?: string; error?: string; ok?: boolean };

async function sha256Hex(data: ArrayBuffer | Uint8Array<ArrayBuffer>): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", data);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

function join(dir: string, name: string): string {
  // An empty folder is the session user's home, where relative paths start.
  if (!dir) return name;
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

function parent(dir: string): string {
  const i = dir.replace(/\/+$/, "").lastIndexOf("/");
  return i <= 0 ? "/" : dir.slice(0, i);
}

function pct(t: Transfer): string {
  return t.total > 0 ? `${Math.floor((100 * t.done) / t.total)}%` : `${t.done} bytes`;
}

export function FilesTab({ sessionId, canWrite }: { sessionId: number; canWrite: boolean }) {
  const [dir, setDir] = useState("");
  const [typed, setTyped] = useState("");
  const [list, setList] = useState<FileList | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  const [transfers, setTransfers] = useState<Transfer[]>([]);
  const [overwrite, setOverwrite] = useState(false);

  const load = async (path: string) => {
    const { data, error, response } = await api.GET("/api/v1/sessions/{id}/files", {
      params: { path: { id: sessionId }, query: path ? { path } : {} },
    });
    if (data) {
      setList(data);
      setDir(data.path ?? path);
      setTyped(data.path ?? path);
      setProblem(undefined);
    } else setProblem(problemOf(error, response));
  };
  useEffect(() => {
    void load("");
  }, [sessionId]);

  const ids = useRef(0);
  const update = (id: number, t: Partial<Transfer>) => setTransfers((cur) => cur.map((x) => (x.id === id ? { ...x, ...t } : x)));
  const add = (t: Omit<Transfer, "id">): number => {
    const id = ++ids.current;
    setTransfers((cur) => [...cur, { ...t, id }]);
    return id;
  };

  const upload = async (file: File) => {
    const i = add({ name: file.name, dir: "upload", done: 0, total: file.size });
    const buf = await file.arrayBuffer();
    const sum = await sha256Hex(buf);
    update(i, { sha256: sum });
    const target = join(dir, file.name);
    const q = new URLSearchParams({ path: target, sha256: sum });
    if (overwrite) q.set("overwrite", "true");
    // XMLHttpRequest, because fetch reports no upload progress.
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", `/api/v1/sessions/${sessionId}/files/content?${q}`);
    xhr.withCredentials = true;
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.onprogress = (e) => update(i, { done: e.loaded });
    xhr.onload = () => {
      let body: { sha256?: string; detail?: string; title?: string } = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON */
      }
      if (xhr.status === 200 && body.sha256 === sum) {
        update(i, { done: file.size, ok: true });
        void load(dir);
      } else update(i, { error: body.detail ?? body.title ?? `the appliance answered ${xhr.status}` });
    };
    xhr.onerror = () => update(i, { error: "the upload was cut off" });
    xhr.send(buf);
  };

  const download = async (path: string, name: string, size: number) => {
    const i = add({ name, dir: "download", done: 0, total: size });
    let resp: Response;
    try {
      resp = await fetch(`/api/v1/sessions/${sessionId}/files/content?${new URLSearchParams({ path })}`, { credentials: "same-origin" });
    } catch {
      update(i, { error: "the appliance did not answer" });
      return;
    }
    if (!resp.ok || !resp.body) {
      let p: Problem | undefined;
      try {
        p = await resp.json();
      } catch {
        p = undefined;
      }
      update(i, { error: p?.detail ?? p?.title ?? `the appliance answered ${resp.status}` });
      return;
    }
    const total = Number(resp.headers.get("X-Jumpgate-Size") ?? size);
    update(i, { total });
    const parts: Uint8Array<ArrayBuffer>[] = [];
    let n = 0;
    const reader = resp.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value as Uint8Array<ArrayBuffer>);
        n += value.length;
        update(i, { done: n });
      }
    } catch {
      // The appliance aborts a transfer that failed or whose SHA-256 does
      // not match: nothing is saved.
      update(i, { error: "the download broke off or did not match the endpoint's SHA-256; nothing was saved" });
      return;
    }
    const all = new Uint8Array(n);
    let off = 0;
    for (const p of parts) {
      all.set(p, off);
      off += p.length;
    }
    const sum = await sha256Hex(all);
    update(i, { sha256: sum, ok: true, done: n });
    const url = URL.createObjectURL(new Blob([all]));
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  };

  return (
    <section aria-labelledby="files-h">
      <h2 id="files-h">Files</h2>
      <form
        class="path-form"
        onSubmit={(e) => {
          e.preventDefault();
          void load(typed);
        }}
      >
        <div class="field">
          <label for="files-path">Folder on the endpoint</label>
          <input id="files-path" type="text" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
        </div>
        <button type="submit">Open folder</button>
        <button type="button" onClick={() => void load(parent(dir))} disabled={!dir || dir === "/"}>
          Up one folder
        </button>
      </form>
      {canWrite && (
        <div class="upload">
          <div class="field">
            <label for="files-upload">Upload a file to this folder</label>
            <input
              id="files-upload"
              type="file"
              onChange={(e) => {
                const f = e.currentTarget.files?.[0];
                if (f) void upload(f);
                e.currentTarget.value = "";
              }}
            />
          </div>
          <label class="check">
            <input type="checkbox" checked={overwrite} onChange={(e) => setOverwrite(e.currentTarget.checked)} /> Replace a file of the same name
          </label>
        </div>
      )}
      {transfers.length > 0 && (
        <ul class="transfers" aria-label="Transfers">
          {transfers.map((t) => (
            <li key={t.id}>
              <span>
                {t.dir === "upload" ? "Upload" : "Download"} of {t.name}:{" "}
                {t.error ? (
                  <span class="error">failed: {t.error}</span>
                ) : t.ok ? (
                  t.dir === "upload" ? "done, SHA-256 checked by the endpoint" : "done"
                ) : (
                  pct(t)
                )}
              </span>
              {!t.ok && !t.error && <progress max={t.total || undefined} value={t.done} aria-label={`${t.name} progress`} />}
              {t.sha256 && (
                <span class="sha">
                  SHA-256 <code>{t.sha256}</code>
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      {problem && (
        <div class="alert" role="alert">
          {problem.title}
          {problem.detail ? `: ${problem.detail}` : ""}
        </div>
      )}
      {list && (
        <table>
          <caption>
            {list.path}
            {list.truncated ? " (the first entries only)" : ""}
          </caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Size</th>
              <th scope="col">Mode</th>
              <th scope="col">Modified</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {[...(list.entries ?? [])]
              .sort((a, b) => Number(b.is_dir) - Number(a.is_dir) || (a.name ?? "").localeCompare(b.name ?? ""))
              .map((e) => (
                <tr key={e.name}>
                  <td>
                    {e.is_dir ? (
                      <button type="button" class="link" onClick={() => void load(join(list.path ?? dir, e.name ?? ""))}>
                        {e.name}/
                      </button>
                    ) : (
                      e.name
                    )}
                  </td>
                  <td>{e.is_dir ? "—" : e.size}</td>
                  <td>
                    <code>{e.mode}</code>
                  </td>
                  <td>{when(e.mod_time)}</td>
                  <td>
                    {!e.is_dir && (
                      <button type="button" aria-label={`Download ${e.name}`} onClick={() => void download(join(list.path ?? dir, e.name ?? ""), e.name ?? "file", e.size ?? 0)}>
                        Download
                      </button>
                    )}
                  </td>
                </tr>
              ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
