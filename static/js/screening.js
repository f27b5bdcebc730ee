/* Keys for the screening page. The page works without this script: every key presses a button
 * of the decision form, which htmx posts, swapping in the next reference (#screen).
 *
 *   i include · m maybe · e then 1-9: exclude with that reason (e again or Enter: without one,
 *   where none is required) · 1-9 alone: exclude with that reason · n note · u undo ·
 *   b or ← my previous decision · → my next decision, then the queue · / find · ? keys
 */
(function () {
  "use strict";

  let armed = false; // "e" was pressed: a reason's number (or e / Enter) comes next
  let byKey = false; // a key, not a pointer, is pressing a decision button

  const screen = () => document.getElementById("screen");
  const form = () => document.getElementById("decision-form");

  function hint(text) {
    const place = document.querySelector("#decision-form .armed-hint");
    if (place) place.textContent = text;
  }

  // A phone: the reasons sit far below the buttons fixed at the bottom of the screen, so
  // Exclude opens them above the buttons first (app.css, "Small screens").
  const small = window.matchMedia("(max-width: 47.99rem)");

  function arm(on) {
    armed = on;
    const area = screen();
    // A data attribute, not a class: htmx restores the swapped element's class attribute
    // when it settles, just after a swap, and would undo a class set in that moment.
    if (area) area.toggleAttribute("data-armed", on);
    let text = "";
    if (on && small.matches) {
      text = "Exclude: tap the reason" + (reasonRequired() ? "." : " (or Exclude again: none).");
    } else if (on) {
      text = "Exclude: press the reason's number" +
        (reasonRequired() ? "." : ", or e / Enter to exclude without a reason.");
    }
    hint(text);
  }

  function reasonRequired() {
    const area = screen();
    return area !== null && area.dataset.reasonRequired === "true";
  }

  function press(verdict, digit) {
    const decision = form();
    if (!decision) return;
    const reasons = decision.querySelectorAll("input[name=reason]");
    if (verdict !== "exclude") {
      reasons.forEach((radio) => { radio.checked = false; });
    } else if (digit) {
      const radio = decision.querySelector(`input[name=reason][data-hotkey="${digit}"]`);
      if (!radio) {
        hint(`No reason has the key ${digit}.`);
        return;
      }
      radio.checked = true;
    } else if (reasonRequired() && !decision.querySelector("input[name=reason]:checked")) {
      arm(true);
      return;
    }
    arm(false);
    const button = decision.querySelector(`button[name=verdict][value=${verdict}]`);
    // Disabled while a decision is on its way (hx-disabled-elt): a second press is dropped.
    if (button && !button.disabled) {
      byKey = true; // the keys have settled the reason: the click below submits as it is
      try { button.click(); } finally { byKey = false; }
    }
  }

  function toggleKeys() {
    const dialog = document.getElementById("keys");
    if (!dialog) return;
    if (dialog.open) dialog.close(); else dialog.showModal();
  }

  // While a decision is on its way, and until htmx has set up the next reference's form,
  // keys wait in this queue rather than being lost: a reviewer can type ahead.
  let busy = false;
  const queue = [];
  // Not n or /: the note and find boxes are always there to focus.
  const COMMANDS = /^([imeub1-9]|Enter|ArrowLeft|ArrowRight)$/;

  function follow(...ids) {
    for (const id of ids) {
      const link = document.getElementById(id);
      if (link) { link.click(); return; }
    }
  }

  function handle(key) {
    if (key === "i") press("include");
    else if (key === "m") press("maybe");
    else if (key === "e") { if (armed && !reasonRequired()) press("exclude"); else arm(true); }
    else if (key === "Enter") { if (armed) press("exclude"); }
    else if (/^[1-9]$/.test(key)) press("exclude", key);
    else if (key === "u") follow("undo");
    else if (key === "b" || key === "ArrowLeft") follow("previous-record");
    else if (key === "ArrowRight") follow("next-record", "back-to-queue");
  }

  function drain() {
    while (!busy && queue.length) handle(queue.shift());
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    const target = event.target;
    if (target.closest && target.closest("textarea, input, select, dialog")) {
      if (event.key === "Escape" && target.blur) target.blur();
      if (!(target.closest("dialog") && event.key === "?")) return;
    }
    const key = event.key;
    if (key === "?") toggleKeys();
    else if (key === "Escape") { queue.length = 0; arm(false); }
    else if (key === "n" || key === "/") {
      const box = document.getElementById(key === "n" ? "note" : "find-query");
      if (box) box.focus();
    }
    else if (!COMMANDS.test(key) || (key === "Enter" && !armed && !busy)) return;
    else if (busy) queue.push(key);
    else handle(key);
    event.preventDefault();
  });

  document.addEventListener("click", (event) => {
    if (!event.target.closest) return;
    if (event.target.closest("#show-keys")) toggleKeys();
    if (event.target.closest("#disarm")) arm(false);
    const exclude = event.target.closest("#decision-form button[value=exclude]");
    if (!exclude || byKey) return;
    const chosen = form().querySelector("input[name=reason]:checked");
    // Exclude without a reason chosen: show the reasons first (on a phone, always; elsewhere
    // when one is required). Pressed again, it excludes without one where that is allowed.
    if (!chosen && (reasonRequired() || (small.matches && !armed))) {
      event.preventDefault();
      arm(true);
    } else {
      arm(false);
    }
  });

  // A reason tapped while the reasons are open excludes with it at once.
  document.addEventListener("change", (event) => {
    if (armed && event.target.matches && event.target.matches("#decision-form input[name=reason]")) {
      arm(false);
      const button = form().querySelector("button[name=verdict][value=exclude]");
      if (button && !button.disabled) button.click();
    }
  });

  const body = document.body;
  body.addEventListener("htmx:beforeRequest", () => { busy = true; });
  // The note went with this decision: empty the box for the next one (a note typed from now
  // on, while the decision is on its way, stays for the next reference).
  body.addEventListener("htmx:configRequest", (event) => {
    if (event.detail.elt && event.detail.elt.id === "decision-form") {
      const note = document.getElementById("note");
      if (note) note.value = "";
    }
  });
  // The next reference is in and its form wired up: nothing armed, then the waiting keys.
  body.addEventListener("htmx:afterSettle", () => { busy = false; armed = false; drain(); });
  for (const failure of ["htmx:responseError", "htmx:sendError", "htmx:timeout"]) {
    body.addEventListener(failure, () => {
      busy = false;
      queue.length = 0;
      hint("The decision did not reach the server; try again.");
    });
  }
})();
