/* The risk-of-bias assessment form (templates/risk_of_bias/_assessment_form.html): as the
 * assessor answers, the questions that do not apply given the answers so far are hidden, and
 * each domain's proposed judgement and the overall one follow the answers. The rules are those of
 * risk_of_bias/tool.py (`applicable`, `propose`, `propose_overall`), read from the page's
 * json_script element "rob-rules" (assess_views.rules_data). A hidden question keeps its answer
 * (the server ignores answers to questions that do not apply, so changing an earlier answer back
 * loses nothing), and being `hidden` it is out of the keyboard's way. Without this script the
 * form works as before: the server marks the questions that do not apply on each save.
 *
 * window.robRules is the evaluator alone: tests/browser/test_risk_of_bias.py checks it against
 * Python's on many answer sets.
 */
(function () {
  "use strict";

  // --- The rules, as tool.py evaluates them ----------------------------------------------------

  const NA = "NA";
  const LOW = "low";
  const SOME = "some concerns";
  const HIGH = "high";
  const JUDGEMENTS = [LOW, SOME, HIGH];

  // {"question": id, "in": [...]} holds when that question's answer is in the list (an
  // unanswered one, null, is in none); {"any": [...]} and {"all": [...]} combine conditions.
  function holds(condition, seen) {
    if ("question" in condition) return condition.in.includes(seen[condition.question]);
    if ("any" in condition) return condition.any.some((part) => holds(part, seen));
    return condition.all.every((part) => holds(part, seen));
  }

  // The questions asked, in order, and the answers as the rules read them: a skipped question
  // reads NA whatever was answered (a stale answer must not count), an unanswered one null.
  function walk(domain, answers) {
    const asked = [];
    const seen = Object.create(null);
    for (const question of domain.questions) {
      if (question.applies_if === null || holds(question.applies_if, seen)) {
        asked.push(question);
        seen[question.id] = answers[question.id] || null; // "" is no answer
      } else {
        seen[question.id] = NA;
      }
    }
    return { asked, seen };
  }

  // The ids of the domain's questions that apply, given the answers so far.
  function applicable(domain, answers) {
    return walk(domain, answers).asked.map((question) => question.id);
  }

  // The judgement the domain's rules propose (the first rule that holds), or null while a
  // question that applies is unanswered. Throws, as Python raises, on an answer that is not a
  // response to its question and when no rule holds (the data would be wrong).
  function propose(domain, answers) {
    const { asked, seen } = walk(domain, answers);
    for (const question of asked) {
      const given = seen[question.id];
      if (given !== null && !question.responses.includes(given)) {
        throw new RangeError(`${domain.id}, question ${question.id}: ${given} is not a response`);
      }
    }
    if (asked.some((question) => seen[question.id] === null)) return null;
    for (const rule of domain.rules) {
      if (holds(rule.when, seen)) return rule.then;
    }
    throw new Error(`${domain.id}: no rule matches`);
  }

  // From the domains' final judgements (keyed by domain id): null if any is missing, else the
  // worst of them. Never "high" for several "some concerns": that is the assessor's override.
  function proposeOverall(rules, judgements) {
    const given = rules.domains.map((domain) => judgements[domain.id] || null);
    given.forEach((judgement, index) => {
      if (judgement !== null && !JUDGEMENTS.includes(judgement)) {
        throw new RangeError(`${rules.domains[index].id}: ${judgement} is not a judgement`);
      }
    });
    if (given.includes(null)) return null;
    if (given.includes(HIGH)) return HIGH;
    if (given.includes(SOME)) return SOME;
    return LOW;
  }

  window.robRules = { applicable, propose, proposeOverall };

  // --- The form --------------------------------------------------------------------------------

  const form = document.getElementById("rob-form");
  const data = document.getElementById("rob-rules");
  if (!form || !data) return;
  const rules = JSON.parse(data.textContent);

  // A judgement drawn as templates/risk_of_bias/_judgement.html draws it, then the word.
  const DOTS = {
    [LOW]: ["rob-low", "+", "Low"],
    [SOME]: ["rob-some", "−", "Some concerns"],
    [HIGH]: ["rob-high", "×", "High"],
  };

  function element(tag, className, text) {
    const made = document.createElement(tag);
    if (className) made.className = className;
    if (text) made.textContent = text;
    return made;
  }

  // Redraw a proposal's box only when it changes: the box is in a live region, and a screen
  // reader should hear a proposal when it changes, not on every answer.
  function show(box, judgement) {
    const value = judgement || "";
    if (box.dataset.shown === value) return;
    box.dataset.shown = value;
    if (!judgement) {
      box.replaceChildren(element("span", "muted", box.dataset.pending));
      return;
    }
    const [dotClass, symbol, word] = DOTS[judgement];
    const dot = element("span", "rob-dot " + dotClass, symbol);
    dot.title = word;
    dot.append(element("span", "visually-hidden", " " + word));
    box.replaceChildren(dot, " ", element("strong", "", judgement));
  }

  function answersGiven() {
    const answers = {};
    for (const input of form.querySelectorAll('input[type="radio"][name^="q-"]:checked')) {
      answers[input.name.slice(2)] = input.value;
    }
    return answers;
  }

  function update() {
    const answers = answersGiven();
    const finals = {};
    for (const domain of rules.domains) {
      const applying = new Set(applicable(domain, answers));
      for (const question of domain.questions) {
        const box = document.getElementById("question-" + question.id);
        const applies = applying.has(question.id);
        box.hidden = !applies;
        box.classList.toggle("skipped", !applies);
      }
      const proposed = propose(domain, answers);
      show(document.getElementById("proposal-" + domain.id), proposed);
      const chosen = form.elements["judgement-" + domain.id].value;
      finals[domain.id] = chosen || proposed;
      // The override's mark says what it overrides; choosing the proposal itself is no override
      // (the server keeps none).
      const mark = document.getElementById("override-" + domain.id);
      mark.hidden = !chosen || chosen === proposed;
      mark.querySelector(".rob-override-proposal").textContent = proposed || "nothing yet";
    }
    show(document.getElementById("proposal-overall"), proposeOverall(rules, finals));
  }

  // The server's "does not apply (saved)" notes are for the form without this script: here a
  // question that does not apply is hidden, and one that applies again shows without a note.
  for (const note of form.querySelectorAll(".rob-skip-note")) note.remove();
  form.addEventListener("change", update);
  update();

  // "Use as quote" in the study's PDF reader (static/js/pdf-reader.js): the words selected there,
  // their page and their report go to the question the assessor was last in, as its evidence.
  let quoting = null;
  form.addEventListener("focusin", (event) => {
    const box = event.target.closest(".rob-question");
    if (box) quoting = box.id.slice("question-".length);
  });
  document.addEventListener("pdf-reader:quote", (event) => {
    const { detail } = event;
    event.preventDefault(); // this page takes the quote, or says where it should go
    const box = quoting && document.getElementById("question-" + quoting);
    if (!box || box.hidden) {
      detail.message = "Click in a question first (an answer or its evidence), then use the quote.";
      return;
    }
    const field = (name) => form.elements[`${name}-${quoting}`];
    field("quote").value = detail.text;
    field("page").value = detail.page;
    const report = field("report");
    if (report.querySelector(`option[value="${detail.report}"]`)) report.value = detail.report;
    box.querySelector("details.rob-evidence").open = true;
    field("quote").focus();
    detail.message = `Quote from page ${detail.page} put in question ${quoting}: save the draft to keep it.`;
  });
})();
