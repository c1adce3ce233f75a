// A small History API router: every page has its own URL, links are real
// <a href> elements (open in a new tab works), and the back button works.
import { signal } from "@preact/signals";
import type { ComponentChildren, ComponentProps } from "preact";

/** path is the current location's path name. */
export const path = signal(location.pathname);
/** search is the current location's query string, with its "?". */
export const search = signal(location.search);

addEventListener("popstate", () => {
  path.value = location.pathname;
  search.value = location.search;
});

/** navigate goes to a console URL; replace keeps the history entry count. */
export function navigate(to: string, replace = false): void {
  if (to === location.pathname + location.search) return;
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  const u = new URL(to, location.origin);
  path.value = u.pathname;
  search.value = u.search;
  // Move focus to the new page's heading, as a full page load would.
  queueMicrotask(() => document.querySelector<HTMLElement>("main h1")?.focus());
}

type LinkProps = ComponentProps<"a"> & { href: string; children?: ComponentChildren };

/** Link is an <a> that navigates in the page on a plain left click. */
export function Link({ href, children, ...rest }: LinkProps) {
  const current = path.value === href || path.value.startsWith(href + "/");
  return (
    <a
      {...rest}
      href={href}
      aria-current={current ? "page" : undefined}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}
