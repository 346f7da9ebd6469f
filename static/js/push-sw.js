// The companion's service worker (scope /app/): shows every push as a notification (iOS
// and Chrome revoke subscriptions whose pushes show nothing) and reports each display
// back with the delivery's receipt token, so the admin sees "displayed on the device"
// apart from "delivered to the push service". It holds no token of its own.
"use strict";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

function readPush(event) {
  if (!event.data) return {};
  try {
    return event.data.json();
  } catch (error) {
    return { body: event.data.text() };
  }
}

function report(receipt) {
  if (!receipt) return Promise.resolve();
  return fetch("/api/v1/push/receipts", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    credentials: "omit",
    body: JSON.stringify({ receipt }),
  }).catch(() => undefined); // offline: the delivery still shows as delivered
}

// The words this worker may show, in the language of the phone's pages, which leave them in
// Cache Storage under this key (companion.js): none before a page has.
const WORDS = "/app/push-sw-words";
async function words() {
  try {
    const found = await caches.match(WORDS, { cacheName: "gateway-words" });
    return found ? await found.json() : {};
  } catch (error) {
    return {};
  }
}

async function show(message) {
  // A push service refused the message for its size, so it came without its text.
  const body = message.body || (message.trimmed ? (await words()).trimmed || "" : "");
  const options = { body, data: { url: message.url || "/app/", notification: message.notification } };
  if (message.tag) {
    options.tag = message.tag; // the collapse key: a newer one replaces the shown one
    options.renotify = true;
  }
  await self.registration.showNotification(message.title || "Companion", options);
  await report(message.receipt);
}

self.addEventListener("push", (event) => {
  event.waitUntil(show(readPush(event)));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL((event.notification.data && event.notification.data.url) || "/app/",
                         self.location.origin);
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const open = windows.find((client) => client.url === target.href);
    if (open) return open.focus();
    return self.clients.openWindow(target.href);
  })());
});

// The browser replaced the subscription: tell open pages, which hold the device's token
// and register the new one (the page does so on every load as well).
self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of windows) client.postMessage({ type: "push-subscription-changed" });
  })());
});
