// Astral Core's first-party script. Every page works without it; it only adds
// a faster quick exit (Escape twice, and leaving no way back via the Back
// button).

const quickExit = document.getElementById("quick-exit");

function leave(event) {
  if (event) event.preventDefault();
  const target = quickExit.href;
  // Replace the current history entry so Back does not return here.
  window.location.replace(target);
}

if (quickExit) {
  quickExit.addEventListener("click", leave);
  let lastEscape = 0;
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const now = Date.now();
    if (now - lastEscape < 800) leave();
    lastEscape = now;
  });
}

// Idle warning: two minutes before the session would end for inactivity,
// offer to stay signed in. The button posts the form by fetch (or, without
// JavaScript, the page never warns; the server still ends the session).
const WARN_BEFORE_MS = 2 * 60 * 1000;
const warning = document.getElementById("session-warning");
let warnTimer;

function scheduleWarning(expiresAt, justExtended) {
  clearTimeout(warnTimer);
  const remaining = expiresAt - Date.now();
  let delay = remaining - WARN_BEFORE_MS;
  // With an idle timeout shorter than the warning window, do not ask again
  // right after the person said "stay": wait half of what is left.
  if (justExtended) delay = Math.max(delay, remaining / 2);
  warnTimer = setTimeout(() => {
    warning.hidden = false;
    document.getElementById("session-extend").focus();
  }, Math.max(delay, 0));
}

if (warning && document.body.dataset.sessionExpires) {
  scheduleWarning(Number(document.body.dataset.sessionExpires));
  warning.querySelector("form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const res = await fetch("/session/extend", { method: "POST", headers: { Accept: "application/json" } });
    if (res.ok) {
      const body = await res.json();
      warning.hidden = true;
      document.body.dataset.sessionExpires = String(body.expires_at_ms);
      scheduleWarning(body.expires_at_ms, true);
    } else {
      window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname));
    }
  });
}
