/* Keys for the screening page. The page works without this script: every key presses a button
 * of the decision form, which htmx posts, swapping in the next reference (#screen).
 *
 *   i include · m maybe · e then 1-9: exclude with that reason (e again or Enter: without one,
 *   where none is required) · 1-9 alone: exclude with that reason · n note · u undo ·
 *   b or ← my previous decision · → my next decision, then the queue · / find · ? keys ·
 *   t labels: a picker over the label buttons beside the record (type to filter, 1-9 or
 *   Enter to put one on or take it off, Esc to close)
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

  // --- Labels (t): a picker over the label buttons of the panel beside the record ---------------
  // The panel (#reference-notes, data-aside) loads by itself after each reference; its requests
  // are not decisions, so they neither hold the keys back nor count as a failed decision.
  let pickerWanted = false; // t was pressed before the panel came in
  // The panel is on its way or settling: htmx puts back the attributes of a swapped element
  // when it settles, which would close a picker opened in that moment; t waits for it.
  let panelBusy = false;
  let picked = 0; // the choice Enter takes

  const aside = (event) => event.target.closest && event.target.closest("[data-aside]");
  // By name, whether on the reference or not: a label keeps its number while it goes on and off.
  const labelButtons = () => Array.from(document.querySelectorAll("#label-form button[data-label-name]"))
    .sort((x, y) => x.dataset.labelName.localeCompare(y.dataset.labelName));

  function shownChoices() {
    const words = (document.getElementById("label-filter") || { value: "" }).value.trim().toLowerCase();
    return labelButtons().filter((b) => b.dataset.labelName.toLowerCase().includes(words)).slice(0, 9);
  }

  function drawChoices() {
    const list = document.getElementById("label-choices");
    if (!list) return;
    const choices = shownChoices();
    picked = Math.min(picked, Math.max(choices.length - 1, 0));
    list.replaceChildren(...choices.map((button, n) => {
      const item = document.createElement("li");
      const on = button.getAttribute("aria-pressed") === "true";
      const choice = document.createElement("button");
      choice.type = "button";
      choice.className = "label-choice";
      choice.dataset.choice = String(n);
      choice.setAttribute("aria-current", n === picked ? "true" : "false");
      choice.textContent = `${n + 1} ${button.dataset.labelName} (${on ? "take off" : "put on"})`;
      item.append(choice);
      return item;
    }));
    if (!choices.length) {
      const none = document.createElement("li");
      none.className = "muted";
      none.textContent = labelButtons().length ? "No label has these letters." : "No label yet.";
      list.append(none);
    }
  }

  function openPicker() {
    const dialog = document.getElementById("label-picker");
    if (!dialog) { pickerWanted = true; return; } // for the panel on its way
    pickerWanted = false;
    picked = 0;
    document.getElementById("label-filter").value = "";
    drawChoices();
    dialog.showModal();
    document.getElementById("label-filter").focus();
  }

  function choose(n) {
    const button = shownChoices()[n];
    const dialog = document.getElementById("label-picker");
    if (dialog) dialog.close();
    if (button) button.click();
  }

  function pickerKey(event) {
    if (event.isComposing) return;
    const key = event.key;
    if (/^[1-9]$/.test(key)) choose(Number(key) - 1);
    else if (key === "Enter") choose(picked);
    else if (key === "ArrowDown" || key === "ArrowUp") {
      const n = shownChoices().length;
      if (n) picked = (picked + (key === "ArrowDown" ? 1 : n - 1)) % n;
      drawChoices();
    } else return; // letters filter (the input event redraws); Esc closes the dialog
    event.preventDefault();
  }

  document.addEventListener("input", (event) => {
    if (event.target.id === "label-filter") { picked = 0; drawChoices(); }
  });

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    const target = event.target;
    if (target.id === "label-filter") { pickerKey(event); return; }
    if (target.closest && target.closest("textarea, input, select, dialog")) {
      if (event.key === "Escape" && target.blur) target.blur();
      if (!(target.closest("dialog") && event.key === "?")) return;
    }
    const key = event.key;
    if (key === "?") toggleKeys();
    else if (key === "t") { if (busy || panelBusy) pickerWanted = true; else openPicker(); }
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
    const choice = event.target.closest("#label-choices button[data-choice]");
    if (choice) choose(Number(choice.dataset.choice));
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
  body.addEventListener("htmx:beforeRequest", (event) => {
    if (aside(event)) panelBusy = true; else busy = true;
  });
  // The note went with this decision: empty the box for the next one (a note typed from now
  // on, while the decision is on its way, stays for the next reference).
  body.addEventListener("htmx:configRequest", (event) => {
    if (event.detail.elt && event.detail.elt.id === "decision-form") {
      const note = document.getElementById("note");
      if (note) note.value = "";
    }
  });
  // The next reference is in and its form wired up: nothing armed, then the waiting keys.
  body.addEventListener("htmx:afterSettle", (event) => {
    if (aside(event)) { panelBusy = false; if (pickerWanted) openPicker(); return; }
    busy = false; armed = false; drain();
  });
  for (const failure of ["htmx:responseError", "htmx:sendError", "htmx:timeout"]) {
    body.addEventListener(failure, (event) => {
      if (aside(event)) { panelBusy = false; return; }
      busy = false;
      queue.length = 0;
      hint("The decision did not reach the server; try again.");
    });
  }
})();
