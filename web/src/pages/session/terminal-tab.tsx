// The Terminal tab: loads xterm.js (a chunk of its own, so the console's
// first load stays small) and attaches a terminal to the session's shell.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Shell } from "./terminal";

export function TerminalTab({ sessionId }: { sessionId: number }) {
  const box = useRef<HTMLDivElement>(null);
  const shell = useRef<Shell | undefined>(undefined);
  const [state, setState] = useState("Loading the terminal…");
  const [open, setOpen] = useState(false);
  const [gen, setGen] = useState(0);

  useEffect(() => {
    let gone = false;
    void import("./terminal").then((m) => {
      if (gone || !box.current) return;
      shell.current = m.attach(box.current, sessionId, (text, isOpen) => {
        setState(text);
        setOpen(isOpen);
      });
    });
    return () => {
      gone = true;
      shell.current?.dispose();
      shell.current = undefined;
    };
  }, [sessionId, gen]);

  return (
    <div class="terminal-tab">
      <div class="terminal-bar">
        <p role="status" class="hint">
          {state}
        </p>
        <button type="button" disabled={!open} onClick={() => void shell.current?.copy()}>
          Copy selection
        </button>
        <button type="button" disabled={!open} onClick={() => void shell.current?.paste()}>
          Paste
        </button>
        {!open && state !== "Loading the terminal…" && (
          <button type="button" onClick={() => setGen(gen + 1)}>
            Open a new shell
          </button>
        )}
      </div>
      <div class="terminal" ref={box} />
    </div>
  );
}
