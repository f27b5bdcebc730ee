/* Keys for a study's data grid (templates/extraction/study_detail.html). The grid works without
 * this script: every row is a form that saves with its button, or with Enter in a text box.
 *
 *   Enter  saves the row, from any field of it (a select or a checkbox too)
 *   Alt+Down / Alt+Up  the same field in the next / previous row of the grid
 *
 * After "Add", htmx puts the cursor in the new row's first field (its [autofocus]).
 */
(function () {
  "use strict";

  const ROW = "form.grid-row";
  const FIELDS = "input:not([type=hidden]), select, textarea";

  function fieldsOf(row) {
    return Array.from(row.querySelectorAll(FIELDS)).filter((field) => !field.disabled);
  }

  function move(field, step) {
    const row = field.closest(ROW);
    const rows = Array.from(row.closest(".grid").querySelectorAll(ROW));
    const next = rows[rows.indexOf(row) + step];
    if (!next) return;
    const index = fieldsOf(row).indexOf(field);
    const targets = fieldsOf(next);
    const target = targets[Math.min(index, targets.length - 1)];
    if (target) target.focus();
  }

  document.addEventListener("keydown", (event) => {
    const field = event.target;
    if (!field.closest || !field.closest(ROW) || !field.matches(FIELDS)) return;
    if (event.isComposing || event.ctrlKey || event.metaKey) return;
    if (event.altKey && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      move(field, event.key === "ArrowDown" ? 1 : -1);
      event.preventDefault();
    } else if (event.key === "Enter" && !event.altKey && !event.shiftKey
               && field.tagName !== "TEXTAREA") {
      // requestSubmit fires the form's submit event, which htmx turns into its request.
      event.preventDefault();
      field.closest(ROW).requestSubmit();
    }
  });

  // A row that did not reach the server says so, rather than looking saved.
  for (const failure of ["htmx:responseError", "htmx:sendError", "htmx:timeout"]) {
    document.body.addEventListener(failure, (event) => {
      const row = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest(ROW);
      if (!row) return;
      let note = row.querySelector(".row-errors");
      if (!note) {
        note = document.createElement("p");
        note.className = "errors row-errors";
        note.setAttribute("role", "alert");
        row.appendChild(note);
      }
      const status = event.detail.xhr ? event.detail.xhr.status : 0;
      note.textContent = "Not saved: " + (status === 403
        ? "your role in this review does not allow changes."
        : "the server did not answer; try again.");
    });
  }
})();
