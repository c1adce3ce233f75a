// The Jump Items page: the first page of the Jump Clients and of the
// Protocol Tunnel Jumps the signed-in user can see, with the next pages on
// request (cursor pagination, as the API lists).
import { useState } from "preact/hooks";
import { api } from "../api/client";
import { Loaded, useLoad, when } from "../data";

const pageSize = 50;

export function ItemsPage() {
  const [clientCursor, setClientCursor] = useState<string | undefined>();
  const [tunnelCursor, setTunnelCursor] = useState<string | undefined>();
  const clients = useLoad(() => api.GET("/api/v1/jump-clients", { params: { query: { limit: pageSize, cursor: clientCursor } } }), [clientCursor]);
  const tunnels = useLoad(
    () => api.GET("/api/v1/protocol-tunnel-jumps", { params: { query: { limit: pageSize, cursor: tunnelCursor } } }),
    [tunnelCursor],
  );
  return (
    <main id="main">
      <h1 tabIndex={-1}>Jump Items</h1>
      <section aria-labelledby="clients-h">
        <h2 id="clients-h">Jump Clients</h2>
        <Loaded load={clients}>
          {(page) =>
            (page.items ?? []).length === 0 ? (
              <p>No Jump Clients yet. Create an installer, run it on an endpoint, and the client shows here once it enrolls.</p>
            ) : (
              <>
                <table>
                  <caption class="visually-hidden">Jump Clients</caption>
                  <thead>
                    <tr><th scope="col">Name</th><th scope="col">Host name</th><th scope="col">Status</th><th scope="col">Connection</th><th scope="col">Tag</th><th scope="col">Last seen</th></tr>
                  </thead>
                  <tbody>
                    {(page.items ?? []).map((c) => (
                      <tr key={c.id}>
                        <td>{c.name}</td><td>{c.hostname}</td><td>{c.status}</td><td>{c.connection_type}</td><td>{c.tag || "—"}</td><td>{when(c.last_seen_at)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {page.next_cursor && <button type="button" onClick={() => setClientCursor(page.next_cursor)}>Next Jump Clients</button>}
              </>
            )
          }
        </Loaded>
      </section>
      <section aria-labelledby="tunnels-h">
        <h2 id="tunnels-h">Protocol Tunnel Jumps</h2>
        <Loaded load={tunnels}>
          {(page) =>
            (page.items ?? []).length === 0 ? (
              <p>No Protocol Tunnel Jumps yet.</p>
            ) : (
              <>
                <table>
                  <caption class="visually-hidden">Protocol Tunnel Jumps</caption>
                  <thead>
                    <tr><th scope="col">Name</th><th scope="col">Host name</th><th scope="col">Tunnels</th><th scope="col">Tag</th><th scope="col">Command</th></tr>
                  </thead>
                  <tbody>
                    {(page.items ?? []).map((t) => (
                      <tr key={t.id}>
                        <td>{t.name}</td><td>{t.hostname}</td><td>{t.tunnel_definitions.length}</td><td>{t.tag || "—"}</td><td><code>jumpgate tunnel {t.name}</code></td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {page.next_cursor && <button type="button" onClick={() => setTunnelCursor(page.next_cursor)}>Next Protocol Tunnel Jumps</button>}
              </>
            )
          }
        </Loaded>
      </section>
    </main>
  );
}
