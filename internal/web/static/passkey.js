// Passkeys and security keys (WebAuthn) for Astral Core's pages.
//
// Every page works without this module: passwords, TOTP and backup codes stay
// available. On a browser without WebAuthn it does nothing at all, so the
// passkey controls, which the page renders with the `hidden` attribute,
// stay hidden. Where WebAuthn exists it reveals them and runs the ceremony
// when they are used. It has no dependencies and only talks to its own
// origin.
//
// Data attributes:
//
//   data-passkey="register" | "login"
//       On a <form> (runs on submit) or a <button> (runs on click). "register"
//       calls navigator.credentials.create, "login" navigator.credentials.get
//       (for a second factor or a passwordless login alike: the server's
//       options decide). Render the element `hidden`; it is shown only when
//       the browser supports WebAuthn.
//   data-passkey-options="/path"
//       Required. A same-origin URL that answers a POST (body "{}") with the
//       ceremony's options as JSON: {"publicKey": {...}}, binary members
//       base64url-encoded, as go-webauthn writes them.
//   data-passkey-finish="/path"
//       Required. A same-origin URL the result is POSTed to as JSON:
//       {"credential": <PublicKeyCredential as JSON, binary members
//       base64url>, ...}; when data-passkey sits on a form, each of the
//       form's named text fields is added as a string member (such as
//       "nickname"). A 2xx answer is success; an error answer may be an
//       RFC 9457 problem whose "detail" (or "title") is shown.
//   data-passkey-done="/path"
//       Optional. Where to go after success. Otherwise a JSON answer
//       {"redirect": "/path"} is followed, or else the page reloads.
//   data-passkey-status="element-id"
//       Optional. The id of a live region (role="status" or aria-live) that
//       receives progress and error messages. Without it, a polite live
//       region is created right after the element.
//   data-passkey-msg-working, data-passkey-msg-cancelled,
//   data-passkey-msg-exists, data-passkey-msg-failed
//       Translated messages: while waiting for the authenticator; when the
//       person cancelled or the request timed out; when this authenticator
//       is already registered (registration only); for any other failure.
//   data-passkey-show
//       On any other element (an "or use a passkey" divider, a help text):
//       rendered `hidden`, shown when WebAuthn is supported.
//
// Options and results are JSON; WebAuthn wants ArrayBuffers. The browser's
// own PublicKeyCredential.parse*OptionsFromJSON and toJSON are used where
// they exist, and a base64url conversion otherwise.

/** Encodes an ArrayBuffer or view as unpadded base64url. */
export function toBase64url(buffer) {
  const bytes = buffer instanceof ArrayBuffer ? new Uint8Array(buffer)
    : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Decodes base64url (padded or not) into an ArrayBuffer. */
export function fromBase64url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(b64 + "===".slice((b64.length + 3) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

/** Reports whether this browser can run WebAuthn ceremonies. */
export function supported() {
  return typeof window !== "undefined" && typeof window.PublicKeyCredential === "function" &&
    !!navigator.credentials && typeof navigator.credentials.create === "function" &&
    typeof navigator.credentials.get === "function";
}

/** Returns url resolved against the page if it is on the page's origin. */
function sameOrigin(url) {
  if (!url) return null;
  try {
    const u = new URL(url, window.location.href);
    return u.origin === window.location.origin ? u : null;
  } catch {
    return null;
  }
}

/** Turns go-webauthn's creation options into what create() takes. */
function creationOptions(json) {
  const pk = json.publicKey;
  if (typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function") {
    try {
      return { publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(pk) };
    } catch {
      // Fall through to the manual conversion.
    }
  }
  return {
    publicKey: {
      ...pk,
      challenge: fromBase64url(pk.challenge),
      user: { ...pk.user, id: fromBase64url(pk.user.id) },
      excludeCredentials: (pk.excludeCredentials || []).map((c) => ({ ...c, id: fromBase64url(c.id) })),
    },
  };
}

/** Turns go-webauthn's request options into what get() takes. */
function requestOptions(json) {
  const pk = json.publicKey;
  const out = {};
  if (json.mediation) out.mediation = json.mediation;
  if (typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function") {
    try {
      out.publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(pk);
      return out;
    } catch {
      // Fall through to the manual conversion.
    }
  }
  out.publicKey = {
    ...pk,
    challenge: fromBase64url(pk.challenge),
    allowCredentials: (pk.allowCredentials || []).map((c) => ({ ...c, id: fromBase64url(c.id) })),
  };
  return out;
}

/** Serialises a PublicKeyCredential as the server's library parses it. */
export function credentialJSON(cred) {
  if (typeof cred.toJSON === "function") {
    try {
      return cred.toJSON();
    } catch {
      // Fall through to the manual encoding.
    }
  }
  const r = cred.response;
  const response = { clientDataJSON: toBase64url(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = toBase64url(r.attestationObject);
    response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
  } else {
    response.authenticatorData = toBase64url(r.authenticatorData);
    response.signature = toBase64url(r.signature);
    if (r.userHandle) response.userHandle = toBase64url(r.userHandle);
  }
  return {
    id: cred.id,
    rawId: toBase64url(cred.rawId),
    type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment || undefined,
    clientExtensionResults: typeof cred.getClientExtensionResults === "function" ? cred.getClientExtensionResults() : {},
    response,
  };
}

/** POSTs body as JSON to url on this origin and returns the response. */
function post(url, body) {
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json, application/problem+json" },
    body: JSON.stringify(body),
  });
}

/** An error whose message is already fit to show (from the server). */
class ShownError extends Error {}

/** Throws a ShownError (server detail) or a plain Error for a failed response. */
async function check(res) {
  if (res.ok) return res;
  let detail = "";
  try {
    const problem = await res.json();
    detail = problem.detail || problem.title || "";
  } catch {
    // Not JSON: fall back to the page's own message.
  }
  throw detail ? new ShownError(detail) : new Error("HTTP " + res.status);
}

/** Finds or creates the live region for el's messages. */
function statusRegion(el) {
  const id = el.dataset.passkeyStatus;
  const found = id && document.getElementById(id);
  if (found) return found;
  const region = document.createElement("p");
  region.setAttribute("role", "status");
  region.setAttribute("aria-live", "polite");
  el.after(region);
  el.dataset.passkeyStatus = region.id = "passkey-status-" + Math.random().toString(36).slice(2);
  return region;
}

function say(el, text) {
  statusRegion(el).textContent = text || "";
}

/** The form's named text fields, for the finish request. */
function formFields(el) {
  const out = {};
  if (!(el instanceof HTMLFormElement)) return out;
  for (const [name, value] of new FormData(el)) {
    if (typeof value === "string" && name !== "credential") out[name] = value;
  }
  return out;
}

/** Runs one ceremony for el, whose attributes init checked. */
async function run(el) {
  const mode = el.dataset.passkey;
  const optionsURL = sameOrigin(el.dataset.passkeyOptions);
  const finishURL = sameOrigin(el.dataset.passkeyFinish);
  const msg = (name) => el.dataset["passkeyMsg" + name] || "";
  const controls = el instanceof HTMLFormElement ? [...el.querySelectorAll("button, input[type=submit]")] : [el];
  if (el.getAttribute("aria-busy") === "true") return;
  el.setAttribute("aria-busy", "true");
  controls.forEach((c) => { c.disabled = true; });
  say(el, msg("Working"));
  try {
    const options = await (await check(await post(optionsURL, {}))).json();
    const cred = mode === "register"
      ? await navigator.credentials.create(creationOptions(options))
      : await navigator.credentials.get(requestOptions(options));
    if (!cred) throw new Error("no credential");
    const res = await check(await post(finishURL, { ...formFields(el), credential: credentialJSON(cred) }));
    let next = sameOrigin(el.dataset.passkeyDone);
    if (!next) {
      try {
        next = sameOrigin((await res.json()).redirect);
      } catch {
        // No JSON body: reload below.
      }
    }
    say(el, "");
    if (next) window.location.assign(next.href);
    else window.location.reload();
  } catch (err) {
    let text = msg("Failed");
    if (err instanceof ShownError) text = err.message;
    else if (err && err.name === "NotAllowedError") text = msg("Cancelled") || text;
    else if (err && err.name === "InvalidStateError" && mode === "register") text = msg("Exists") || text;
    say(el, text);
  } finally {
    el.removeAttribute("aria-busy");
    controls.forEach((c) => { c.disabled = false; });
  }
}

function init() {
  if (!supported()) return;
  for (const el of document.querySelectorAll("[data-passkey-show]")) el.hidden = false;
  for (const el of document.querySelectorAll("[data-passkey]")) {
    const mode = el.dataset.passkey;
    // A control that could not work stays hidden, as without WebAuthn.
    if ((mode !== "register" && mode !== "login") || !sameOrigin(el.dataset.passkeyOptions) ||
      !sameOrigin(el.dataset.passkeyFinish)) continue;
    el.hidden = false;
    const event = el instanceof HTMLFormElement ? "submit" : "click";
    el.addEventListener(event, (e) => {
      e.preventDefault();
      run(el);
    });
  }
}

if (typeof document !== "undefined") {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
}
