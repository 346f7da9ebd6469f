// Waiting for a QR flow to move: Server-Sent Events, with a long poll when they fail.
// Shared by the pages that show a QR code and wait (log in, connect a phone).
const FINAL = new Set(["confirmed", "redeemed", "denied", "expired", "approved", "collected"]);

// Calls onStatus(status) for every state the flow passes through, until a final one.
// Returns a function that stops waiting.
export function watch(eventsUrl, pollUrl, onStatus, initialState) {
  let stopped = false;
  let known = initialState || null;
  let source = null;

  const deliver = (status) => {
    if (stopped || !status || status.state === known) return;
    known = status.state;
    onStatus(status);
    if (FINAL.has(status.state)) stop();
  };

  async function poll() {
    while (!stopped) {
      try {
        const url = `${pollUrl}?known=${encodeURIComponent(known || "pending")}`;
        const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
        const body = await response.json();
        if (!response.ok) { onStatus({ state: "error", problem: body }); stop(); return; }
        deliver(body);
      } catch (error) {
        await new Promise((resolve) => setTimeout(resolve, 2000)); // offline: try again soon
      }
    }
  }

  function stop() {
    stopped = true;
    if (source) source.close();
  }

  if (window.EventSource) {
    source = new EventSource(eventsUrl);
    for (const state of ["pending", "scanned", "claimed", ...FINAL]) {
      source.addEventListener(state, (event) => deliver(JSON.parse(event.data)));
    }
    source.onerror = () => {
      // A stream the server refused or that cannot stay open: fall back to polling.
      if (source.readyState === EventSource.CLOSED && !stopped) { source = null; poll(); }
    };
  } else {
    poll();
  }
  return stop;
}
