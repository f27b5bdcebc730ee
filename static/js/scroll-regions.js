/* A table wider than a small screen scrolls in its own box (app.css, "Small screens"). A box
 * that scrolls must be reachable by keyboard, to scroll it with the arrow keys: one with
 * nothing focusable inside (a table of figures) is made focusable while it scrolls. Without
 * this script the page still works; the table then scrolls by touch or mouse only.
 */
(function () {
  "use strict";

  const BOXES = "table.list, .scroll-x";
  const FOCUSABLE = "a[href], button, input, select, textarea, [tabindex]";

  function mark() {
    document.querySelectorAll(BOXES).forEach((box) => {
      const scrolls = box.scrollWidth > box.clientWidth;
      if (scrolls && !box.hasAttribute("tabindex") && !box.querySelector(FOCUSABLE)) {
        box.tabIndex = 0;
        box.dataset.scrollFocus = "";
      } else if (!scrolls && "scrollFocus" in box.dataset) {
        box.removeAttribute("tabindex");
        delete box.dataset.scrollFocus;
      }
    });
  }

  let pending = 0;
  function later() {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(mark);
  }

  document.addEventListener("DOMContentLoaded", mark);
  window.addEventListener("resize", later);
  document.addEventListener("htmx:afterSettle", later);
})();
