// The companion's one event stream to the gateway while a page is open: new inbox messages
// at once (an in-page banner), read state from the user's other devices, the unread count.
// EventSource cannot send the device's access token, so the stream is read with fetch():
// Server-Sent Events parsed here, reconnecting after a drop with the last message id seen
// (Last-Event-ID), the token refreshed by api() when it has run out. It needs no push
// consent: it is not a system notification (those still come by Web Push).
import { $, api, el, t } from "./companion.js";

const RETRY_MS = 1000;
const LONGEST_WAIT_MS = 30000;

// Read the stream; call *on(kind, data)* for each event (message, read, unread). *since*
// is the newest message id the page already shows (0: none), so that the first
// connection resends what came between the page's read and the stream: without it, a
// message arriving then was shown only after a reload. Returns a function that stops it.
export function openInboxStream(on, since = null) {
  let lastId = since === null ? null : String(since);
  let stopped = false;
  let controller = null;
  let wait = RETRY_MS;

  const dispatch = (block) => {
    let kind = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue; // a heartbeat
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "id") lastId = value;
      else if (field === "event") kind = value;
      else if (field === "data") data.push(value);
      else if (field === "retry" && /^\d+$/.test(value)) wait = Number(value);
    }
    if (!data.length) return;
    try {
      on(kind, JSON.parse(data.join("\n")));
    } catch (error) {
      console.error("inbox event", error);
    }
  };

  async function connect() {
    while (!stopped) {
      controller = new AbortController();
      try {
        const response = await api("/api/v1/inbox/events", {
          headers: lastId === null ? {} : { "Last-Event-ID": lastId },
          signal: controller.signal,
        });
        if (response.status === 401) return; // signed out: nothing to listen for
        if (!response.ok || !response.body) throw new Error(`stream ${response.status}`);
        wait = RETRY_MS;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, "\n");
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            dispatch(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch (error) {
        if (stopped) return;
        wait = Math.min(wait * 2, LONGEST_WAIT_MS); // the gateway is away or busy: back off
      }
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  connect();
  return () => { stopped = true; if (controller) controller.abort(); };
}

// Show the unread count in #inbox-count (hidden at zero).
export function showUnread(count) {
  const badge = $("inbox-count");
  if (!badge) return;
  badge.textContent = String(count);
  badge.classList.toggle("hidden", !count);
  badge.setAttribute("aria-label", t("{count} unread", { count }));
}

// A banner on top of the page for a new *message*; a tap opens the inbox. It goes by
// itself after a while, or when dismissed.
export function showBanner(message) {
  document.getElementById("inbox-banner")?.remove();
  const close = el("button", { type: "button", className: "secondary", textContent: t("Dismiss") });
  const open = el("a", { href: "/app/inbox", className: "banner-text" },
    el("strong", { textContent: message.title }),
    message.body ? el("span", { textContent: message.body }) : "");
  const banner = el("div", { id: "inbox-banner", className: "banner" }, open, close);
  banner.setAttribute("role", "status");
  banner.setAttribute("aria-live", "polite");
  close.addEventListener("click", () => banner.remove());
  document.body.prepend(banner);
  setTimeout(() => banner.remove(), 8000);
  return banner;
}
