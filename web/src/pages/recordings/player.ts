// The asciicast player, in a chunk of its own: asciinema-player and its
// style sheet load on the first recording a page plays, so the initial
// bundle does not carry them.
import * as AsciinemaPlayer from "asciinema-player";
import "asciinema-player/dist/bundle/asciinema-player.css";

/** Player is a mounted player; dispose removes it. */
export type Player = { dispose: () => void };

/** mount plays the asciicast v2 text cast in el. */
export function mount(el: HTMLElement, cast: string): Player {
  return AsciinemaPlayer.create({ data: cast }, el, {
    autoPlay: true,
    preload: true,
    fit: "width",
    idleTimeLimit: 2,
    controls: true,
    terminalFontFamily: "ui-monospace, monospace",
  });
}
