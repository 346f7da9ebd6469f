// The companion's inbox: the user's messages, newest first; a tap marks one read (for the
// user on every device) and follows its link when it stays on this gateway. New messages
// and read marks from the user's other devices arrive on the event stream.
import { $, dateTime, el, errorText, json, requireSignIn, sameOrigin, say, t } from "./companion.js";
import { openInboxStream, showBanner, showUnread } from "./inbox-live.js";

const list = $("messages");
const shown = new Map(); // message id -> its list item
let oldest = null;

function markShown(id) {
  const item = shown.get(id);
  if (item) { item.classList.remove("unread"); item.dataset.read = "true"; }
}

function item(message) {
  const node = el("li", { className: message.read ? "" : "unread" },
    el("div", { className: "title", textContent: message.title }),
    message.body ? el("p", { className: "body", textContent: message.body }) : "",
    el("div", { className: "when", textContent: dateTime(message.created_at) }));
  node.dataset.id = String(message.id);
  node.dataset.read = String(message.read);
  node.addEventListener("click", () => open(message));
  shown.set(message.id, node);
  return node;
}

async function open(message) {
  try {
    if (shown.get(message.id)?.dataset.read !== "true") {
      const { unread } = await json("/api/v1/inbox/read", { method: "POST", body: { ids: [message.id] } });
      markShown(message.id);
      showUnread(unread);
    }
    // Only a link on this gateway is followed; another site's address is never opened.
    const next = message.url ? sameOrigin.target(message.url, null) : null;
    if (next) location.assign(next);
  } catch (error) {
    say(errorText(error), "bad");
  }
}

function showEmpty() {
  say(shown.size ? "" : t("No messages yet."));
}

async function load() {
  const query = oldest === null ? "" : `?before=${oldest}`;
  const { messages, unread } = await json(`/api/v1/inbox${query}`);
  for (const message of messages) {
    if (!shown.has(message.id)) list.append(item(message));
    oldest = message.id;
  }
  $("more").classList.toggle("hidden", messages.length < 50);
  showUnread(unread);
  $("read-all").disabled = !unread;
  showEmpty();
}

if (requireSignIn()) {
  $("read-all").addEventListener("click", async () => {
    try {
      const { unread } = await json("/api/v1/inbox/read-all", { method: "POST" });
      for (const id of shown.keys()) markShown(id);
      showUnread(unread);
      $("read-all").disabled = true;
    } catch (error) {
      say(errorText(error), "bad");
    }
  });
  $("more").addEventListener("click", () => load().catch((error) => say(errorText(error), "bad")));
  let since = null; // the newest message shown: the stream resends anything newer
  try {
    await load();
    since = Math.max(0, ...shown.keys());
  } catch (error) {
    say(errorText(error), "bad");
  }
  openInboxStream((kind, data) => {
    if (kind === "message" && !shown.has(data.message.id)) {
      list.prepend(item(data.message));
      showBanner(data.message);
      showEmpty();
    } else if (kind === "read") {
      for (const id of data.all ? shown.keys() : data.ids) markShown(id);
    }
    if (typeof data.unread === "number") {
      showUnread(data.unread);
      $("read-all").disabled = !data.unread;
    }
  }, since);
}
