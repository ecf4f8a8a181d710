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
