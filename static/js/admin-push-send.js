// Compose and send a notification, then follow its progress live (counts by state,
// polled until every delivery reached a final state), and "send a test to my devices".
import { api, formError, loadAlerts, ready, stateName, when } from "./admin-push.js";
import { $, clearFieldErrors, el, list, number, onSubmit, say, t } from "./desktop.js";

const STATES = ["queued", "sending", "retrying", "delivered", "suppressed", "pruned", "failed", "expired"];
let following = null;

function draft() {
  const kind = $("audience-kind").value;
  const names = $("audience-names").value.split(",").map((n) => n.trim()).filter(Boolean);
  const body = {
    audience: { kind, users: kind === "users" ? names : [], groups: kind === "groups" ? names : [] },
    title: $("title").value.trim(),
    body: $("body").value,
    idempotency_key: `console-${crypto.randomUUID()}`,
  };
  const optional = { url: $("url").value.trim(), topic: $("topic").value, urgency: $("urgency").value,
                     collapse_key: $("collapse-key").value.trim() };
  for (const [name, value] of Object.entries(optional)) if (value) body[name] = value;
  if ($("ttl").value) body.ttl = Number($("ttl").value);
  if ($("send-at").value) body.send_at = new Date($("send-at").value).toISOString();
  return body;
}

function render(notification) {
  const { progress } = notification;
  $("progress").classList.remove("hidden");
  $("progress-title").textContent = t("“{title}”: {count} device(s)", { title: notification.title, count: number(progress.total) });
  const finished = STATES.slice(3).reduce((sum, state) => sum + progress.states[state], 0);
  $("progress-meter").max = Math.max(progress.total, 1);
  $("progress-meter").value = progress.done ? Math.max(progress.total, 1) : finished;
  // One term and its count: <dt>state</dt><dd id="count-state">n</dd>.
  const count = (term, id, value) =>
    [el("dt", { textContent: term }), el("dd", { id: `count-${id}`, textContent: number(value) })];
  $("progress-counts").replaceChildren(
    ...STATES.flatMap((state) => count(stateName(state), state, progress.states[state])),
    ...count(t("shown on device"), "displayed", progress.displayed));
  if (progress.done && !progress.total) {
    // Nobody to send to is no failure of the gateway's, but the admin should know why.
    say(t("Sent to nobody: none of the devices it was for has subscribed to notifications. A phone subscribes on the companion's Notifications page ({page}): signed in there, its user turns notifications on.",
      { page: `${location.origin}/app/notifications` }), "bad", $("progress-state"));
  } else if (progress.done) {
    say(t("Complete: {delivered} delivered of {total}.", {
      delivered: number(progress.states.delivered), total: number(progress.total) }), "ok", $("progress-state"));
  } else {
    say(notification.expanded_at ? t("Sending…") : t("Waiting to send ({time})…", { time: when(notification.send_at) }),
        "", $("progress-state"));
  }
}

async function follow(id) {
  following = id;
  for (;;) {
    if (following !== id) return;
    const notification = await api(`/api/v1/admin/push/notifications/${id}`);
    render(notification);
    if (notification.progress.done) {
      document.dispatchEvent(new CustomEvent("push-sent"));
      loadAlerts();
      // Displays keep arriving after delivery: look again a few times.
      for (let i = 0; i < 5 && following === id; i++) {
        await new Promise((resolve) => setTimeout(resolve, 2000));
        render(await api(`/api/v1/admin/push/notifications/${id}`));
      }
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

// Words for a field the gateway refused (else the problem's own detail, or a line
// naming the field's label).
const FIELD_PROBLEMS = {
  title: t("Write a title."),
  ttl: t("A TTL is 0 to 2419200 seconds (28 days)."),
  collapse_key: t("Up to 32 letters, digits, - and _."),
};

// The problem of a refused send, with the field it concerns: unknown users or groups are
// the audience's, an unknown topic the topic's.
function aboutField(problem) {
  if (problem && problem.unknown) {
    const names = Object.values(problem.unknown).flat();
    return { ...problem, field: "audience", detail: t("Not known here: {names}.", { names: list(names) }) };
  }
  if (problem && problem.topic && problem.status === 404) return { ...problem, field: "topic" };
  return problem;
}

async function send(path, body) {
  const form = $("compose");
  try {
    const notification = await api(path, { method: "POST", body });
    clearFieldErrors(form);
    say(t("Accepted: notification {id}.", { id: notification.id }), "ok", $("send-status"));
    render(notification);
    follow(notification.id);
  } catch (error) {
    formError(form, { ...error, message: error.message, problem: aboutField(error.problem) }, $("send-status"), {
      fields: { audience: $("audience-names") }, texts: FIELD_PROBLEMS });
  }
}

onSubmit($("compose"), async (event) => {
  event.preventDefault();
  await ready;
  await send("/api/v1/admin/push/notifications", draft());
});

$("send-test").addEventListener("click", async () => {
  await ready;
  await send("/api/v1/admin/push/test", {});
});
