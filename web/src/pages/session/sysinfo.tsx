// The System info tab: GET /api/v1/sessions/{id}/sysinfo.
import { api } from "../../api/client";
import { Loaded, useLoad } from "../../data";

function bytes(n?: number): string {
  if (!n) return "—";
  const u = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${u[i]}`;
}

export function SysInfoTab({ sessionId }: { sessionId: number }) {
  const info = useLoad(() => api.GET("/api/v1/sessions/{id}/sysinfo", { params: { path: { id: sessionId } } }), [sessionId]);
  return (
    <section aria-labelledby="sysinfo-h">
      <h2 id="sysinfo-h">System info</h2>
      <Loaded load={info}>
        {(si) => (
          <>
            <dl class="facts">
              <div><dt>Host name</dt><dd>{si.hostname}{si.fqdn && si.fqdn !== si.hostname ? ` (${si.fqdn})` : ""}</dd></div>
              <div><dt>Operating system</dt><dd>{si.os}{si.kernel ? `, kernel ${si.kernel}` : ""}</dd></div>
              <div><dt>Platform</dt><dd>{si.platform} ({si.arch})</dd></div>
              <div><dt>CPUs</dt><dd>{si.cpus}{si.cpu_model ? ` × ${si.cpu_model}` : ""}</dd></div>
              <div><dt>Memory</dt><dd>{bytes(si.mem_free_bytes)} free of {bytes(si.mem_total_bytes)}</dd></div>
              <div><dt>Up for</dt><dd>{si.uptime_seconds ? `${Math.floor(si.uptime_seconds / 3600)} h ${Math.floor((si.uptime_seconds % 3600) / 60)} min` : "—"}</dd></div>
              <div><dt>Users</dt><dd>{si.users?.join(", ") || "—"}</dd></div>
              <div><dt>Session user</dt><dd>{si.session_user || "—"}</dd></div>
              <div><dt>Agent</dt><dd>{si.agent_version}</dd></div>
            </dl>
            {(si.disks ?? []).length > 0 && (
              <table>
                <caption>Disks</caption>
                <thead><tr><th scope="col">Mount</th><th scope="col">File system</th><th scope="col">Free</th><th scope="col">Size</th></tr></thead>
                <tbody>
                  {(si.disks ?? []).map((d) => (
                    <tr key={d.mount}><td>{d.mount}</td><td>{d.fs_type || "—"}</td><td>{bytes(d.free_bytes)}</td><td>{bytes(d.total_bytes)}</td></tr>
                  ))}
                </tbody>
              </table>
            )}
            {(si.interfaces ?? []).length > 0 && (
              <table>
                <caption>Network interfaces</caption>
                <thead><tr><th scope="col">Name</th><th scope="col">State</th><th scope="col">Addresses</th><th scope="col">MAC</th></tr></thead>
                <tbody>
                  {(si.interfaces ?? []).map((n) => (
                    <tr key={n.name}><td>{n.name}</td><td>{n.up ? "up" : "down"}</td><td>{n.addrs?.join(", ") || "—"}</td><td>{n.mac || "—"}</td></tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </Loaded>
    </section>
  );
}
