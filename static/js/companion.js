// The phone pages' shared module (the companion under /app/): the device's sign-in, its
// tokens, authenticated calls, and the proofs signed with the device's key. It passes on
// what every page shares (page.js) and the same-origin check, so a phone page imports
// from here.

import { answer, languageSaver, t } from "./page.js";
import * as sameOrigin from "./same-origin.js";

export * from "./page.js";
export { sameOrigin };

const store = window.localStorage;
const KEYS = { access: "gw.access", refresh: "gw.refresh", device: "gw.device", key: "gw.deviceKey" };

// Bytes as unpadded base64url, as JWTs and Web Push keys write them.
export const base64url = (bytes) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const base64urlText = (text) => base64url(new TextEncoder().encode(text));

// The device's key and its proofs need WebCrypto, which browsers give only to a secure
// context: https, or localhost. Opened over plain http on another address (a LAN address),
// a page that needs it says so in place of its form, and returns false; true otherwise.
export function requireSecureContext() {
  if (globalThis.crypto && globalThis.crypto.subtle) return true;
  const main = document.querySelector("main");
  const notice = Object.assign(document.createElement("p"), {
    id: "insecure", className: "notice", role: "alert",
    textContent: t("This page needs a secure connection (https). Opened as {origin}, this phone cannot create or use its sign-in key. Open the gateway's https address instead, or ask your administrator for it.",
                   { origin: location.origin }),
  });
  main.querySelector("h1").after(notice);
  const status = document.getElementById("status");
  if (status) status.textContent = "";
  for (const control of main.querySelectorAll("form, button")) {
    if (control.tagName === "BUTTON") control.disabled = true;
    else control.classList.add("hidden");
  }
  return false;
}

export function deviceId() {
  let id = store.getItem(KEYS.device);
  if (!id) {
    id = "web-" + base64url(crypto.getRandomValues(new Uint8Array(16)));
    store.setItem(KEYS.device, id);
  }
  return id;
}

// The device's ES256 key pair, made once; the public half is registered at sign-in so the
// gateway can check that approvals really come from this device.
async function deviceKey() {
  const saved = store.getItem(KEYS.key);
  if (saved) {
    const jwk = JSON.parse(saved);
    const privateKey = await crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
    return { privateKey, publicJwk: { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y } };
  }
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
  store.setItem(KEYS.key, JSON.stringify(jwk));
  return { privateKey: pair.privateKey, publicJwk: { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y } };
}

// The phone as its owner knows it ("Pixel 8", Android 14). Chromium browsers tell the model
// and system version through User-Agent Client Hints; others name little more than the
// system in their User-Agent (Chrome's reduced one says "K" for every Android model).
async function describeDevice(publicJwk) {
  const ua = navigator.userAgent;
  let hints = {};
  try {
    hints = await navigator.userAgentData?.getHighEntropyValues(["model", "platformVersion"]) || {};
  } catch { /* the browser may refuse; the User-Agent is what is left */ }
  const os = hints.platform || (/Android/.test(ua) ? "Android" : /iPhone|iPad|iOS/.test(ua) ? "iOS"
    : /Windows/.test(ua) ? "Windows" : /Mac OS X/.test(ua) ? "macOS" : "Linux");
  const version = hints.platformVersion
    || (ua.match(/(?:Android|OS|Windows NT|Mac OS X) ([\d._]+)/) || [, ""])[1].replace(/_/g, ".");
  const fromAgent = (ua.match(/Android [\d.]+; (?:[a-z]{2}-[A-Za-z]{2}; )?([^;)]+?)(?: Build\/[^;)]*)?[;)]/) || [])[1];
  const unnamed = t("{system} phone", { system: os });
  const model = hints.model
    || (/iPad/.test(ua) ? "iPad" : /iPhone/.test(ua) ? "iPhone" : fromAgent && fromAgent !== "K" ? fromAgent : unnamed);
  return { device_id: deviceId(), model: model.slice(0, 120), os, os_version: (version.split(".")[0] || "unknown").slice(0, 60),
           app_version: "web-1", public_key: publicJwk };
}

function saveTokens(body) {
  store.setItem(KEYS.access, body.access_token);
  store.setItem(KEYS.refresh, body.refresh_token);
}

function signOutLocally() {
  store.removeItem(KEYS.access);
  store.removeItem(KEYS.refresh);
}

export async function signIn(username, password) {
  const { publicJwk } = await deviceKey();
  const response = await fetch("/api/v1/auth/sign-in", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password, device: await describeDevice(publicJwk) }),
  });
  const body = await response.json();
  if (!response.ok) throw Object.assign(new Error(body.detail || t("Sign-in failed.")), { problem: body });
  saveTokens(body);
  return body;
}

// What a sign-in without a password sends about this phone (scan to connect a phone).
export async function deviceDescription() {
  const { publicJwk } = await deviceKey();
  return await describeDevice(publicJwk);
}

// Keep tokens the gateway handed over another way than a password sign-in.
export function adoptTokens(body) { saveTokens(body); }

let refreshing = null;
async function refresh() {
  const token = store.getItem(KEYS.refresh);
  if (!token) return false;
  refreshing = refreshing || fetch("/api/v1/auth/refresh", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh_token: token }),
  }).then(async (response) => {
    if (!response.ok) { signOutLocally(); return false; }
    saveTokens(await response.json());
    return true;
  }).finally(() => { refreshing = null; });
  return refreshing;
}

// fetch() with the device's access token, refreshing it once when it has expired.
export async function api(path, options = {}) {
  const call = () => fetch(path, {
    ...options,
    headers: {
      ...(options.body !== undefined ? { "Content-Type": "application/json" } : {}),
      ...(options.headers || {}),
      Authorization: `Bearer ${store.getItem(KEYS.access) || ""}`,
    },
  });
  let response = await call();
  if (response.status === 401 && await refresh()) response = await call();
  return response;
}

// api() with a JSON *body*, then the JSON answer; a failure throws with the problem's
// detail as its message.
export async function json(path, options = {}) {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  return answer(await api(path, { ...options, body }));
}

export function signedIn() { return Boolean(store.getItem(KEYS.refresh)); }

// Send the user to sign in first, then back here.
export function requireSignIn() {
  if (signedIn()) return true;
  location.assign(`/app/sign-in?next=${encodeURIComponent(location.pathname + location.search + location.hash)}`);
  return false;
}

// A fresh, unguessable proof id: the gateway accepts each `jti` once.
const proofId = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");

// An ES256 JWT signed by the device key: the proof that an approval comes from this phone.
// It is issued now (`iat`) under a fresh `jti`; *claims* say what it approves.
export async function signProof(claims, audience) {
  const { privateKey } = await deviceKey();
  const header = base64urlText(JSON.stringify({ alg: "ES256", typ: "JWT" }));
  const issued = { iat: Math.floor(Date.now() / 1000), jti: proofId() };
  const payload = base64urlText(JSON.stringify({ aud: audience, ...issued, ...claims }));
  const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, new TextEncoder().encode(`${header}.${payload}`));
  return `${header}.${payload}.${base64url(signature)}`;
}

export async function signOut() {
  try { await api("/api/v1/auth/sign-out", { method: "POST" }); } finally { signOutLocally(); }
}

// Where `?next=` leads, if it stays on this origin (the check is same-origin.js's).
export function safeNext(fallback = "/app/") {
  return sameOrigin.next(fallback);
}

// A language chosen on the phone is its device's and its account's while it is signed in.
languageSaver((tag) => {
  const body = JSON.stringify({ language: tag });
  return signedIn() ? api("/api/v1/language", { method: "PUT", body })
    : fetch("/api/v1/language", { method: "PUT", headers: { "Content-Type": "application/json" }, body });
});

// The service worker reads no catalogue: each phone page leaves it the words it may show, in
// the language the page is read in (Cache Storage, which both can reach; renewed on every
// page, so the switch reaches it at once). push-sw.js reads them under the same key.
export const WORKER_WORDS = "/app/push-sw-words";
if (globalThis.caches) {
  const words = { trimmed: t("Open the app to read it.") };
  caches.open("gateway-words")
    .then((cache) => cache.put(WORKER_WORDS, new Response(JSON.stringify(words), { headers: { "Content-Type": "application/json" } })))
    .catch(() => { /* storage refused (private mode): the worker shows the title alone */ });
}
