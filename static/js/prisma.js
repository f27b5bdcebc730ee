/* The PRISMA page: the "Full size" button shows the diagram at its own size in its scrolling
 * box (it fits the page's width otherwise, unreadable on a phone). Without this script the
 * button stays hidden, and the diagram zooms as the page does.
 */
(function () {
  "use strict";

  const button = document.getElementById("prisma-full-size");
  const diagram = document.getElementById("prisma-diagram");
  if (!button || !diagram) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    const full = button.getAttribute("aria-pressed") !== "true";
    button.setAttribute("aria-pressed", String(full));
    diagram.classList.toggle("full-size", full);
  });
})();
