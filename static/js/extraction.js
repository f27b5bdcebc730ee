/* Keys for a study's data grid (templates/extraction/study_detail.html). The grid works without
 * this script: every row is a form that saves with its button, or with Enter in a text box.
 *
 *   Enter  saves the row, from any field of it (a select or a checkbox too)
 *   Alt+Down / Alt+Up  the same field in the next / previous row of the grid
 *
 * After "Add", htmx puts the cursor in the new row's first field (its [autofocus]).
 *
 * "Use as quote" in the study's PDF reader (static/js/pdf-reader.js) puts the words selected
 * there, their page and their report into the row last focused that has a quote; Enter saves it.
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

  // The row a quote goes to: the last one the cursor was in that has a quote field. By id, as
  // htmx may have swapped the row for its saved self since.
  let quoting = null;
  document.addEventListener("focusin", (event) => {
    const row = event.target.closest && event.target.closest(ROW);
    if (row && row.querySelector("[name$='-quote']")) quoting = row.id;
  });

  document.addEventListener("pdf-reader:quote", (event) => {
    const { detail } = event;
    const row = quoting && document.getElementById(quoting);
    event.preventDefault(); // this page takes the quote, or says where it should go
    if (!row) {
      detail.message = "Click in the row of a result or a comparison first, then use the quote.";
      return;
    }
    const field = (name) => row.querySelector(`[name$="-${name}"]`);
    const [page, quote, report] = [field("page"), field("quote"), field("report")];
    page.value = detail.page;
    quote.value = detail.text;
    if (report && report.querySelector(`option[value="${detail.report}"]`)) {
      report.value = detail.report;
    }
    quote.focus();
    const label = row.querySelector(".cell.label");
    detail.message = `Quote from page ${detail.page} put in the row of ` +
      (label ? label.textContent.trim() : "the comparison") + ": Enter there saves it.";
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
