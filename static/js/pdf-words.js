/* Words in a PDF page's text, for the PDF reader (static/js/pdf-reader.js, loaded after this):
 * the review's include and exclude terms, found by the rules of screening/decisions/highlight.py,
 * and the reader's marks in pdf.js's text layer. Nothing here knows pdf.js beyond the shape of
 * a page's text content (items with `str` and `hasEOL`) and that its text layer has one span
 * per item.
 */
(function () {
  "use strict";

  // --- The review's words ---------------------------------------------------------------------
  // Whole words, case ignored; a word character is a letter, a digit, "_" or "-"; `*` stands for
  // any run of word characters (a lone `*` for a whole word); the words of a term match across
  // any whitespace; where matches overlap the longer wins, and on a tie exclude, then the
  // earlier. highlight.py commits to each `*` (atomic groups) to bound its time on any text; a
  // JavaScript regex has no atomic groups, and a PDF's page is short.

  const WORD = "[\\p{L}\\p{N}_-]";
  const WORDISH = /[\p{L}\p{N}_*-]/u; // a term edge that needs a word boundary
  const escapeRegex = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

  function wordSource(word) {
    const parts = word.split(/\*+/);
    if (parts.length === 1) return escapeRegex(word);
    if (parts.every((part) => part === "")) return WORD + "+";
    return parts.map(escapeRegex).join(WORD + "*");
  }

  function termRegex(term) {
    let source = term.split(/\s+/).map(wordSource).join("\\s+");
    if (WORDISH.test(term[0])) source = "(?<!" + WORD + ")" + source;
    if (WORDISH.test(term[term.length - 1])) source += "(?!" + WORD + ")";
    // In a lookahead, so that a match starting inside another is found too.
    return new RegExp("(?=(" + source + "))", "giu");
  }

  function compileTerms(json) {
    let terms = {};
    try { terms = JSON.parse(json || "{}"); } catch (error) { return []; }
    const compiled = [];
    for (const [kind, exclude] of [["include", false], ["exclude", true]]) {
      for (const term of terms[kind] || []) {
        try {
          compiled.push({ regex: termRegex(term.trim()), exclude });
        } catch (error) { /* a term no regex can hold is left out; the others still show */ }
      }
    }
    return compiled;
  }

  function termRanges(text, compiled) {
    const candidates = [];
    for (const { regex, exclude } of compiled) {
      for (const match of text.matchAll(regex)) {
        if (match[1]) candidates.push([match.index, match.index + match[1].length, exclude]);
      }
    }
    candidates.sort((a, b) => (b[1] - b[0]) - (a[1] - a[0]) || b[2] - a[2] || a[0] - b[0]);
    const chosen = [];
    for (const [start, end, exclude] of candidates) {
      if (chosen.some((other) => other.start < end && start < other.end)) continue;
      chosen.push({ start, end, cls: exclude ? "hl-exclude" : "hl-include" });
    }
    return chosen;
  }

  // --- A page's text: its text items joined, as the text layer has one span per item ------------

  function pageText(textContent) {
    const items = textContent.items.filter((item) => item.str !== undefined);
    const starts = [];
    let text = "";
    for (const item of items) {
      starts.push(text.length);
      text += item.str + (item.hasEOL ? "\n" : "");
    }
    return { items: items.map((item) => item.str), starts, text };
  }

  // Each span of the text layer rebuilt from its own string, the parts that the ranges cover in
  // <mark>s (a span is absolutely placed by pdf.js's CSS; a mark flows inside it).
  function markSpans(page, ranges) {
    page.textDivs.forEach((span, index) => {
      const str = page.text.items[index];
      const from = page.text.starts[index];
      const mine = ranges.filter((range) => range.start < from + str.length && range.end > from);
      if (!mine.length) {
        if (span.firstElementChild) span.textContent = str;
        return;
      }
      const cuts = new Set([0, str.length]);
      for (const range of mine) {
        cuts.add(Math.max(0, range.start - from));
        cuts.add(Math.min(str.length, range.end - from));
      }
      const edges = [...cuts].sort((a, b) => a - b);
      span.textContent = "";
      for (let i = 0; i + 1 < edges.length; i++) {
        const [a, b] = [edges[i], edges[i + 1]];
        const covering = mine.filter((r) => r.start <= from + a && r.end >= from + b);
        const classes = covering.map((r) => r.cls);
        const part = str.slice(a, b);
        if (!classes.length) { span.append(part); continue; }
        const mark = document.createElement("mark");
        mark.className = classes.join(" ");
        mark.textContent = part;
        span.append(mark);
      }
    });
  }

  window.PdfWords = { compileTerms, termRanges, pageText, markSpans, escapeRegex };
})();
