// The terminal: xterm.js (DOM renderer) on the session's shell WebSocket,
// GET /api/v1/sessions/{id}/shell with subprotocol jumpgate-terminal.v1:
// binary messages are the terminal's bytes both ways; text messages are
// JSON (resize from here; notice, error, exit and ended from the
// appliance). This module is loaded with import() on first use.
import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import "@xterm/xterm/css/xterm.css";

/** Shell is an attached terminal. */
export type Shell = { dispose(): void; copy(): Promise<void>; paste(): Promise<void> };

type Message = { type: string; code?: number; signal?: string; message?: string; end_reason?: string };

/**
 * withStyleSheets runs fn while <style> elements are made to apply their
 * text as constructed style sheets: xterm.js writes its theme and sizes
 * into <style> elements, which the console's Content-Security-Policy
 * (style-src 'self', no inline styles) would block.
 */
function withStyleSheets<T>(fn: () => T): T {
  const create = document.createElement;
  document.createElement = function (this: Document, tag: string, opts?: ElementCreationOptions) {
    if (String(tag).toLowerCase() !== "style") return create.call(this, tag, opts);
    const el = create.call(this, "span", opts) as HTMLElement;
    el.hidden = true;
    const sheet = new CSSStyleSheet();
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    Object.defineProperty(el, "textContent", {
      get: () => "",
      set: (text: string) => sheet.replaceSync(text ?? ""),
    });
    const remove = el.remove.bind(el);
    el.remove = () => {
      document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== sheet);
      remove();
    };
    return el;
  } as typeof document.createElement;
  try {
    return fn();
  } finally {
    document.createElement = create;
  }
}

/** attach opens a shell in session sessionId and shows it in box; status hears what it is doing. */
export function attach(box: HTMLElement, sessionId: number, status: (text: string, open: boolean) => void): Shell {
  const term = withStyleSheets(() => {
    const t = new Terminal({ cursorBlink: true, scrollback: 5000, fontFamily: "ui-monospace, monospace", fontSize: 14 });
    return t;
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  withStyleSheets(() => term.open(box));
  try {
    fit.fit();
  } catch {
    /* not laid out yet */
  }
  const enc = new TextEncoder();
  const url = new URL(`/api/v1/sessions/${sessionId}/shell`, location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("cols", String(term.cols));
  url.searchParams.set("rows", String(term.rows));
  const ws = new WebSocket(url, ["jumpgate-terminal.v1"]);
  ws.binaryType = "arraybuffer";
  let ended = false;
  status("Connecting to the shell…", false);

  const send = (m: object) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(m));
  ws.onopen = () => {
    status("Connected.", true);
    term.focus();
    send({ type: "resize", cols: term.cols, rows: term.rows });
  };
  ws.onmessage = (ev) => {
    if (ev.data instanceof ArrayBuffer) {
      term.write(new Uint8Array(ev.data));
      return;
    }
    let m: Message;
    try {
      m = JSON.parse(ev.data as string);
    } catch {
      return;
    }
    switch (m.type) {
      case "exit":
        ended = true;
        status(`The shell exited${m.signal ? ` (signal ${m.signal})` : ` with status ${m.code ?? 0}`}.`, false);
        break;
      case "ended":
        ended = true;
        status(`The session is over for this terminal${m.end_reason ? ` (${m.end_reason.replaceAll("_", " ")})` : ""}${m.message ? `: ${m.message}` : ""}.`, false);
        break;
      case "notice":
      case "error":
        term.write(`\r\n\x1b[33mjumpgate: ${m.message ?? ""}\x1b[0m\r\n`);
        break;
    }
  };
  ws.onclose = (ev) => {
    if (!ended) status(ev.code === 1000 ? "The shell closed." : "The connection to the shell was lost.", false);
  };
  ws.onerror = () => {
    if (!ended) status("The shell could not be opened: the session may be over, or the policy does not allow a shell.", false);
  };

  const input = term.onData((d) => ws.readyState === WebSocket.OPEN && ws.send(enc.encode(d)));
  const binary = term.onBinary((d) => {
    const b = new Uint8Array(d.length);
    for (let i = 0; i < d.length; i++) b[i] = d.charCodeAt(i) & 255;
    if (ws.readyState === WebSocket.OPEN) ws.send(b);
  });
  const resized = term.onResize(({ cols, rows }) => send({ type: "resize", cols, rows }));
  const ro = new ResizeObserver(() => {
    try {
      fit.fit();
    } catch {
      /* hidden */
    }
  });
  ro.observe(box);

  const copy = async () => {
    const sel = term.getSelection();
    if (sel) await navigator.clipboard.writeText(sel);
  };
  const paste = async () => {
    const text = await navigator.clipboard.readText();
    if (text) term.paste(text);
    term.focus();
  };
  // Ctrl+Shift+C and Ctrl+Shift+V copy and paste, as in desktop terminals
  // (Ctrl+C is the shell's interrupt).
  term.attachCustomKeyEventHandler((e) => {
    if (e.type === "keydown" && e.ctrlKey && e.shiftKey && (e.key === "C" || e.key === "c")) {
      void copy();
      return false;
    }
    if (e.type === "keydown" && e.ctrlKey && e.shiftKey && (e.key === "V" || e.key === "v")) {
      void paste();
      return false;
    }
    return true;
  });

  return {
    dispose() {
      ended = true;
      ro.disconnect();
      input.dispose();
      binary.dispose();
      resized.dispose();
      ws.close();
      term.dispose();
    },
    copy,
    paste,
  };
}
