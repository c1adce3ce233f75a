import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

// The bundle is committed in appliance/internal/console/dist and embedded in
// the appliance, so the build must be byte-for-byte reproducible: no source
// maps, no timestamps, content hashes only. Vite emits no inline script,
// which the appliance's Content-Security-Policy (script-src 'self') needs.
export default defineConfig({
  plugins: [preact({ devToolsEnabled: false, prefreshEnabled: false })],
  base: "/",
  build: {
    outDir: "../appliance/internal/console/dist",
    emptyOutDir: true,
    sourcemap: false,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: true,
    target: "es2022",
  },
  server: {
    // `npm run dev` proxies the API to an appliance on :8443.
    proxy: { "/api": { target: "https://127.0.0.1:8443", secure: false } },
  },
});
