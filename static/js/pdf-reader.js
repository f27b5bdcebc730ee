/* The PDF reader (templates/screening/decisions/_pdf_reader.html): a full text's pages drawn by
 * pdf.js (static/vendor/pdfjs/, see VENDORED.md there), each with its text layer, so that words
 * can be found, highlighted and selected. The full-text screening page and a study's page use it;
 * without JavaScript its toolbar stays hidden and the include's link opens the PDF.
 *
 *   Page Up / Page Down  previous / next page (anywhere on the screening page while no text box
 *                        has the focus; elsewhere while the focus is in the reader)
 *   Enter in the find box  next match · Shift+Enter  previous match
 *
 * It takes none of the screening page's keys (i, m, e, 1-9, u, b, n, /, ?, the arrows).
 *
 * "Use as quote" (a reader with data-report) sends the event "pdf-reader:quote" (it bubbles and
 * can be cancelled) with detail {text, page, report}: a listener that takes the quote cancels it
 * and may put a sentence for the reader to show in detail.message (static/js/extraction.js).
 *
 * Needs static/js/pdf-words.js first (finding and marking words in a page's text).
 */
(function () {
  "use strict";

  const CSS_UNITS = 96 / 72; // pdf.js's PDF_TO_CSS_UNITS: at 100% a page has its paper size
  const ZOOMS = [0.5, 0.67, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 1.75, 2, 2.5, 3];
  const MAX_CANVAS_PIXELS = 16e6; // beyond this a canvas costs too much memory: fewer pixels
  const TEXT_BOX = "input, textarea, select, [contenteditable], dialog";

  let library = null; // pdf.js, imported once, on the first reader of the page
  let worker = null; // one worker for every document: htmx swaps a new reader in per reference

  function pdfjs(element) {
    if (!library) {
      library = import(element.dataset.pdfjs).then((lib) => {
        lib.GlobalWorkerOptions.workerSrc = element.dataset.pdfjsWorker;
        worker = new lib.PDFWorker();
        return lib;
      });
    }
    return library;
  }

  const { compileTerms, termRanges, pageText, markSpans, escapeRegex } = window.PdfWords;

  // --- The reader ---------------------------------------------------------------------------------

  class Reader {
    constructor(element) {
      this.element = element;
      this.toolbar = element.querySelector(".pdf-toolbar");
      this.box = element.querySelector(".pdf-pages");
      this.message = element.querySelector(".pdf-message");
      this.pageNumber = element.querySelector(".pdf-page-number");
      this.pageCount = element.querySelector(".pdf-page-count");
      this.zoomShown = element.querySelector(".pdf-zoom");
      this.query = element.querySelector(".pdf-find-query");
      this.findStatus = element.querySelector(".pdf-find-status");
      this.quoteButton = element.querySelector("[data-action=quote]");
      this.terms = compileTerms(element.dataset.highlightTerms);
      // generation: a new document or zoom counts one, and drawings for an earlier one stop.
      Object.assign(this, { pages: [], zoom: "fit", scale: 1, current: 1, generation: 0 });
      this.wire();
      this.toolbar.hidden = false;
      this.box.hidden = false;
      this.open(element.dataset.pdfUrl, element.dataset.report);
    }

    wire() {
      this.element.addEventListener("click", (event) => {
        const button = event.target.closest && event.target.closest("[data-action]");
        if (button && this.element.contains(button)) this.act(button.dataset.action);
      });
      // Pressing the button must not take away the selection it is about to quote.
      if (this.quoteButton) this.quoteButton.addEventListener("mousedown", (e) => e.preventDefault());
      const typed = () => this.goTo(parseInt(this.pageNumber.value, 10));
      this.pageNumber.addEventListener("change", typed);
      this.pageNumber.addEventListener("keydown", (event) => { if (event.key === "Enter") typed(); });
      // A person scrolling: the page shown is the one they scroll to, not the one last gone to.
      for (const kind of ["wheel", "touchmove", "keydown"]) {
        this.box.addEventListener(kind, () => { this.pinned = null; }, { passive: true });
      }
      this.query.addEventListener("keydown", (event) => {
        if (event.key !== "Enter" || event.isComposing) return;
        event.preventDefault();
        this.find(event.shiftKey ? -1 : 1);
      });
      this.box.addEventListener("scroll", () => {
        if (this.scrolling) return;
        this.scrolling = true;
        requestAnimationFrame(() => { this.scrolling = false; this.track(); });
      });
      // Pages within a box's height of the view are drawn; those further away give their
      // canvas back (a 300-page report would otherwise hold 300 canvases), and are drawn again
      // when they come near.
      this.observer = new IntersectionObserver((entries) => {
        for (const entry of entries) {
          const page = this.pages[entry.target.dataset.pageNumber - 1];
          if (entry.isIntersecting) this.draw(page);
          else this.free(page);
        }
      }, { root: this.box, rootMargin: "100% 0px" });
      this.resizer = new ResizeObserver(() => {
        const width = this.box.clientWidth;
        if (this.zoom === "fit" && this.pages.length && Math.abs(width - (this.width || 0)) > 8) {
          this.setZoom("fit");
        }
      });
      this.resizer.observe(this.box);
    }

    act(action) {
      if (action === "previous-page") this.goTo(this.current - 1);
      else if (action === "next-page") this.goTo(this.current + 1);
      else if (action === "zoom-in") {
        this.setZoom(ZOOMS.find((z) => z > this.scale + 0.01) || ZOOMS.at(-1));
      } else if (action === "zoom-out") {
        this.setZoom(ZOOMS.findLast((z) => z < this.scale - 0.01) || ZOOMS[0]);
      }
      else if (action === "fit-width") this.setZoom("fit");
      else if (action === "find-next") this.find(1);
      else if (action === "find-previous") this.find(-1);
      else if (action === "quote") this.quote();
    }

    say(text) { this.message.textContent = text; }

    async open(url, report) {
      this.generation += 1;
      const generation = this.generation;
      this.report = report || "";
      this.closeDocument();
      this.say("Opening the PDF…");
      try {
        const lib = await pdfjs(this.element);
        // isEvalSupported: false, as the Content-Security-Policy allows no eval.
        this.loading = lib.getDocument({ url, worker, isEvalSupported: false });
        const doc = await this.loading.promise;
        if (generation !== this.generation) { doc.destroy(); return; }
        this.lib = lib;
        const proxies = await Promise.all(
          Array.from({ length: doc.numPages }, (_, i) => doc.getPage(i + 1)));
        if (generation !== this.generation) return;
        this.pages = proxies.map((proxy, i) => ({ number: i + 1, proxy, textDivs: [], text: null }));
        this.pageCount.textContent = "of " + doc.numPages;
        this.pageNumber.max = doc.numPages;
        Object.assign(this, { current: 1, pinned: null }); // a new document opens at its start
        this.say("");
        this.layout();
        this.element.dataset.state = "ready";
      } catch (error) {
        if (generation !== this.generation) return;
        this.element.dataset.state = "failed";
        this.say(`The PDF could not be shown here (${error.message}). Open it with the link below.`);
      }
    }

    closeDocument() {
      if (this.loading) this.loading.destroy();
      Object.assign(this, { loading: null, pages: [], matches: [], match: -1, searched: null });
      this.observer.disconnect();
      this.box.replaceChildren();
      delete this.element.dataset.state;
    }

    destroy() {
      this.generation += 1;
      this.closeDocument();
      this.resizer.disconnect();
    }

    fitScale() {
      const first = this.pages[0].proxy.getViewport({ scale: CSS_UNITS });
      const style = getComputedStyle(this.box);
      const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
      const room = this.box.clientWidth - padding;
      return Math.max(0.25, Math.min(4, (room - 2) / first.width));
    }

    // Every page as an empty box of its size; the observer draws those near the view.
    layout() {
      this.generation += 1;
      this.observer.disconnect();
      this.width = this.box.clientWidth;
      this.scale = this.zoom === "fit" ? this.fitScale() : this.zoom;
      this.zoomShown.textContent = Math.round(this.scale * 100) + "%";
      const boxes = this.pages.map((page) => {
        this.free(page);
        const viewport = page.proxy.getViewport({ scale: this.scale * CSS_UNITS });
        const div = document.createElement("div");
        div.className = "pdf-page";
        div.dataset.pageNumber = page.number;
        div.setAttribute("role", "group");
        div.setAttribute("aria-label", "Page " + page.number);
        div.style.width = viewport.width + "px";
        div.style.height = viewport.height + "px";
        div.style.setProperty("--scale-factor", viewport.scale);
        Object.assign(page, { div, viewport, drawn: null, task: null, textDivs: [] });
        return div;
      });
      this.box.replaceChildren(...boxes);
      for (const div of boxes) this.observer.observe(div);
      this.goTo(this.current, { quiet: true });
    }

    setZoom(zoom) {
      if (!this.pages.length) return;
      const page = this.pages[this.current - 1];
      const within = (this.box.scrollTop - page.div.offsetTop) / page.div.offsetHeight;
      this.zoom = zoom;
      this.layout();
      // The same place of the same page stays in view.
      const now = this.pages[this.current - 1].div;
      this.box.scrollTop = now.offsetTop + Math.max(0, within) * now.offsetHeight;
    }

    // A page's canvas and its text layer, once per layout; the promise says when it is there.
    draw(page) {
      if (!page || page.drawn) return page && page.drawn;
      const generation = this.generation;
      const drawing = (page.drawing = {}); // freed or drawn again meanwhile: this one stops
      page.drawn = (async () => {
        const { viewport, div } = page;
        const ratio = Math.min(window.devicePixelRatio || 1,
          Math.sqrt(MAX_CANVAS_PIXELS / (viewport.width * viewport.height)));
        const canvas = document.createElement("canvas");
        canvas.width = Math.floor(viewport.width * ratio);
        canvas.height = Math.floor(viewport.height * ratio);
        canvas.setAttribute("aria-hidden", "true");
        const layer = document.createElement("div");
        layer.className = "textLayer";
        div.replaceChildren(canvas, layer);
        page.task = page.proxy.render({
          canvasContext: canvas.getContext("2d"),
          viewport,
          transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : null,
        });
        if (!page.textContent) page.textContent = page.proxy.getTextContent();
        const textContent = await page.textContent;
        page.text = pageText(textContent);
        const textLayer = new this.lib.TextLayer(
          { textContentSource: textContent, container: layer, viewport });
        await textLayer.render();
        if (generation !== this.generation || page.drawing !== drawing) return;
        page.textDivs = textLayer.textDivs;
        this.mark(page);
        div.dataset.rendered = "true";
        await page.task.promise;
      })().catch(() => {}); // cancelled by a new zoom (the next layout draws it), or a broken page
      return page.drawn;
    }

    // A page far from the view: its drawing stops, and its canvas's memory goes back at once
    // (a canvas shrunk to nothing before the garbage collector gets to it). Its text stays
    // known, for the search.
    free(page) {
      if (!page || !page.div) return;
      if (page.task) page.task.cancel();
      for (const canvas of page.div.querySelectorAll("canvas")) {
        canvas.width = 0;
        canvas.height = 0;
      }
      if (page.drawn) page.div.replaceChildren();
      delete page.div.dataset.rendered;
      Object.assign(page, { drawn: null, drawing: null, task: null, textDivs: [] });
    }

    mark(page) {
      if (!page.text) return;
      const ranges = this.terms.length ? termRanges(page.text.text, this.terms) : [];
      this.matches.forEach((match, index) => {
        if (match.page !== page.number) return;
        const cls = index === this.match ? "pdf-hit selected" : "pdf-hit";
        ranges.push({ start: match.start, end: match.end, cls });
      });
      markSpans(page, ranges);
    }

    // The page shown: the one a page key or the page box went to while it is in view (the last
    // pages cannot scroll to the top), else the last one whose top is above a third of the box.
    track() {
      if (!this.pages.length) return;
      const top = this.box.scrollTop;
      const bottom = top + this.box.clientHeight;
      const pinned = this.pinned && this.pages[this.pinned - 1].div;
      if (pinned && pinned.offsetTop < bottom && pinned.offsetTop + pinned.offsetHeight > top) {
        this.show(this.pinned);
        return;
      }
      this.pinned = null;
      const line = top + this.box.clientHeight / 3;
      let current = 1;
      for (const page of this.pages) {
        if (page.div.offsetTop <= line) current = page.number; else break;
      }
      this.show(current);
    }

    show(number) {
      this.current = number;
      if (document.activeElement !== this.pageNumber) this.pageNumber.value = number;
      this.element.dataset.page = number;
    }

    goTo(number, { quiet = false } = {}) {
      if (!this.pages.length || !Number.isFinite(number)) return;
      const page = this.pages[Math.min(Math.max(number, 1), this.pages.length) - 1];
      this.box.scrollTop = page.div.offsetTop - parseFloat(getComputedStyle(this.box).paddingTop);
      this.pinned = page.number;
      this.show(page.number);
      this.pageNumber.value = page.number;
      if (!quiet) this.draw(page);
    }

    pageKey(event) {
      if (!this.pages.length) return false;
      if (event.key === "PageDown") this.goTo(this.current + 1);
      else if (event.key === "PageUp") this.goTo(this.current - 1);
      else return false;
      return true;
    }

    // --- Find ---------------------------------------------------------------------------------

    async texts() {
      await Promise.all(this.pages.map(async (page) => {
        if (!page.textContent) page.textContent = page.proxy.getTextContent();
        page.text = page.text || pageText(await page.textContent);
      }));
    }

    async find(step) {
      const query = this.query.value.trim();
      if (!query || !this.pages.length) { this.findStatus.textContent = ""; return; }
      if (query !== this.searched) {
        this.findStatus.textContent = "Finding…";
        const pages = this.pages;
        await this.texts();
        if (pages !== this.pages) return; // another PDF opened meanwhile
        // Its words across any whitespace (a line break in the PDF), case ignored.
        const regex = new RegExp(query.split(/\s+/).map(escapeRegex).join("\\s+"), "giu");
        this.matches = [];
        for (const page of this.pages) {
          for (const found of page.text.text.matchAll(regex)) {
            const end = found.index + found[0].length;
            this.matches.push({ page: page.number, start: found.index, end });
          }
        }
        this.searched = query;
        // The first match from the page shown on.
        const ahead = this.matches.findIndex((m) => m.page >= this.current);
        this.match = (ahead === -1 ? 0 : ahead) - (step > 0 ? 1 : 0);
      }
      if (!this.matches.length) {
        this.findStatus.textContent = "Not found";
        this.remark();
        return;
      }
      this.match = (this.match + step + this.matches.length) % this.matches.length;
      this.findStatus.textContent = (this.match + 1) + " of " + this.matches.length;
      this.remark();
      await this.reveal(this.matches[this.match]);
    }

    remark() {
      for (const page of this.pages) if (page.textDivs.length) this.mark(page);
    }

    async reveal(match) {
      const page = this.pages[match.page - 1];
      this.goTo(page.number);
      await this.draw(page);
      const hit = page.div.querySelector("mark.selected");
      if (!hit) return;
      const box = this.box.getBoundingClientRect();
      const at = hit.getBoundingClientRect();
      this.box.scrollTop += at.top - box.top - this.box.clientHeight / 3;
      this.box.scrollLeft +=
        Math.min(0, at.left - box.left - 16) + Math.max(0, at.right - box.right + 16);
      this.track();
    }

    // --- Quotes -------------------------------------------------------------------------------

    selected() {
      const selection = document.getSelection();
      if (!selection || selection.isCollapsed || !selection.rangeCount) return null;
      const range = selection.getRangeAt(0);
      const pageOf = (node) => {
        const element = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
        return element && element.closest(".pdf-page");
      };
      const first = pageOf(range.startContainer);
      if (!first || !this.box.contains(first)) return null;
      const last = pageOf(range.endContainer) || first;
      const text = selection.toString().replace(/\s+/g, " ").trim();
      if (!text) return null;
      const [a, b] = [first.dataset.pageNumber, last.dataset.pageNumber];
      return { text, page: a === b ? a : a + "-" + b };
    }

    noticeSelection() {
      if (!this.quoteButton) return;
      const found = this.selected();
      // Focus on the reader's buttons (Tab to "Use as quote") keeps the selection to quote.
      if (found || !this.toolbar.contains(document.activeElement)) this.selection = found;
      this.quoteButton.disabled = !this.selection;
    }

    quote() {
      const chosen = this.selected() || this.selection;
      if (!chosen) { this.say("Select words in the PDF first."); return; }
      const detail = { ...chosen, report: this.report, message: "" };
      const event = new CustomEvent("pdf-reader:quote", { bubbles: true, cancelable: true, detail });
      const unclaimed = this.element.dispatchEvent(event);
      this.say(unclaimed ? "Nowhere to put the quote." : detail.message);
    }
  }

  // --- Readers on the page --------------------------------------------------------------------

  const readers = new Map();

  function start() {
    for (const [element, reader] of readers) {
      if (!element.isConnected) { reader.destroy(); readers.delete(element); }
    }
    for (const element of document.querySelectorAll("[data-pdf-reader]")) {
      if (!readers.has(element)) readers.set(element, new Reader(element));
    }
  }

  document.addEventListener("keydown", (event) => {
    if (event.key !== "PageDown" && event.key !== "PageUp") return;
    if (event.ctrlKey || event.metaKey || event.altKey || event.shiftKey) return;
    const target = event.target;
    if (target.closest && target.closest(TEXT_BOX)) return;
    for (const [element, reader] of readers) {
      const mine = element.contains(target) || element.dataset.pageKeys === "document";
      if (mine && reader.pageKey(event)) { event.preventDefault(); return; }
    }
  });

  document.addEventListener("selectionchange", () => {
    for (const reader of readers.values()) reader.noticeSelection();
  });

  // Another report's PDF in a reader: a link with data-pdf-open naming the reader's id.
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[data-pdf-open]");
    if (!link) return;
    const reader = readers.get(document.getElementById(link.dataset.pdfOpen));
    if (!reader) return;
    event.preventDefault();
    for (const other of document.querySelectorAll(`a[data-pdf-open="${link.dataset.pdfOpen}"]`)) {
      other.removeAttribute("aria-current");
    }
    link.setAttribute("aria-current", "true");
    reader.element.dataset.pdfUrl = link.href;
    reader.open(link.href, link.dataset.report);
  });

  start();
  // htmx swaps the next reference in: a reader for its PDF, and the old one's document closed.
  document.addEventListener("htmx:afterSettle", start);
})();
