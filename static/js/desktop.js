// The desktop pages' shared module: the browser's session (an HttpOnly cookie set by the
// gateway), its CSRF token, and calls to the API that carry both. It passes on what every
// page shares (page.js) and the same-origin check, so a desktop page imports from here.

import { answer, languageSaver, t } from "./page.js";

export * from "./page.js";
export * as sameOrigin from "./same-origin.js";

let csrf = ""; // the session's token, once session() has read it

// Off to sign in, and back to this page afterwards.
export function signInFirst() {
  location.assign(`/sign-in?next=${encodeURIComponent(location.pathname)}`);
}

// fetch() with the session cookie. A *body* goes as JSON; a call that changes something
// carries the CSRF token: the session's, or *token* where a flow has its own (a QR login's
// redeem). With *signIn*, a 401 sends the browser to sign in first, and the call throws.
export async function send(path, { method = "GET", body, headers = {}, token = csrf, signIn = false } = {}) {
  const all = { ...headers };
  if (body !== undefined) all["Content-Type"] = "application/json";
  if (method !== "GET" && token) all["X-CSRF-Token"] = token;
  const response = await fetch(path, {
    method, headers: all, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (signIn && response.status === 401) {
    signInFirst();
    throw new Error(t("Sign in first."));
  }
  return response;
}

// send(), then the JSON answer; a failure throws with the problem's detail as its message.
export async function json(path, options) {
  return answer(await send(path, options));
}

// This browser's session ({user, csrf_token}), or null when it is signed out; its CSRF
// token goes with every later send(). Other failures throw, as json() does.
export async function session({ signIn = false } = {}) {
  const response = await send("/api/v1/web/session", { signIn });
  if (response.status === 401) return null;
  const body = await answer(response);
  csrf = body.csrf_token;
  return body;
}

// A language chosen on a desktop page is the account's too while a session is open, which
// takes the session's CSRF token.
languageSaver(async (tag) => {
  if (!csrf) await session().catch(() => null);
  return send("/api/v1/language", { method: "PUT", body: { language: tag } });
});

// The bar's sign-out button, on every desktop page of a signed-in browser.
for (const button of document.querySelectorAll("button[data-sign-out]")) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      if (!csrf) await session();
      await send("/api/v1/web/sign-out", { method: "POST" });
    } finally {
      location.assign("/sign-in");
    }
  });
}
