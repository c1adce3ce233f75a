// The sessions page: the first page of the sessions the user may see,
// each linked to its page.
import { useState } from "preact/hooks";
import { api } from "../api/client";
import { Loaded, useLoad, when } from "../data";
import { Link } from "../router";

export function SessionsPage() {
  const [cursor, setCursor] = useState<string | undefined>();
  const sessions = useLoad(() => api.GET("/api/v1/sessions", { params: { query: { limit: 50, cursor } } }), [cursor]);
  return (
    <main id="main">
      <h1 tabIndex={-1}>Sessions</h1>
      <Loaded load={sessions}>
        {(page) =>
          (page.items ?? []).length === 0 ? (
            <p>No sessions yet.</p>
          ) : (
            <>
              <table>
                <caption class="visually-hidden">Sessions</caption>
                <thead>
                  <tr><th scope="col">Item</th><th scope="col">Representative</th><th scope="col">Mode</th><th scope="col">Status</th><th scope="col">Requested</th><th scope="col">Ended</th></tr>
                </thead>
                <tbody>
                  {(page.items ?? []).map((s) => (
                    <tr key={s.id}>
                      <td><Link href={`/sessions/${s.id}`}>{s.item_name}</Link></td><td>{s.username}</td><td>{s.mode}</td><td>{s.status}</td><td>{when(s.requested_at)}</td><td>{when(s.ended_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {page.next_cursor && <button type="button" onClick={() => setCursor(page.next_cursor)}>Next sessions</button>}
            </>
          )
        }
      </Loaded>
    </main>
  );
}
