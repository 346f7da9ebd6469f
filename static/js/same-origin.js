// The one check before a page follows an address it was handed (`?next=`, a return path):
// parse it the way the browser will navigate to it, against this page's origin, and follow
// it only when it stays on this origin. Prefix tests on the raw text are not enough:
// browsers drop tabs and newlines and read "\" as "/" in URLs, so "/%09/evil.example" and
// "/\evil.example" both mean "//evil.example", another origin.

// The absolute same-origin URL *next* leads to, or *fallback* when it leads elsewhere
// (another origin, another scheme such as javascript:, or no address at all).
export function target(next, fallback) {
  if (typeof next !== "string" || next === "") return fallback;
  let url;
  try {
    url = new URL(next, location.origin);
  } catch {
    return fallback;
  }
  // The full URL, not its path: "/a/..//evil.example" has the path "//evil.example".
  return url.origin === location.origin ? url.href : fallback;
}

// Where this page's `?next=` leads, by the same rule.
export function next(fallback) {
  return target(new URLSearchParams(location.search).get("next"), fallback);
}
