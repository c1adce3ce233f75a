// The settings pages: /settings/jump-clients shows the Jump Client settings.
import { api } from "../api/client";
import { Loaded, useLoad } from "../data";

export function JumpClientSettingsPage() {
  const settings = useLoad(() => api.GET("/api/v1/settings/jump-clients"), []);
  return (
    <main id="main">
      <h1 tabIndex={-1}>Jump Client settings</h1>
      <Loaded load={settings}>
        {(s) => (
          <dl class="facts">
            {Object.entries(s)
              .filter(([k]) => k !== "version" && k !== "updated_at")
              .map(([k, v]) => (
                <div key={k}>
                  <dt>{k.replaceAll("_", " ")}</dt>
                  <dd>{Array.isArray(v) ? v.join(", ") || "—" : v === null || v === undefined || v === "" ? "—" : String(v)}</dd>
                </div>
              ))}
          </dl>
        )}
      </Loaded>
    </main>
  );
}
