// The editor's page of beknopt serve: one article to /v1/summarize, the record shown with its provenance.
// Every piece of article text is inserted as text (textContent, text nodes), never parsed as HTML: articles
// are untrusted input.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const FLAG_KINDS = new Set(["number", "name", "glossary"]);
  let loaded = null; // {bytes, text, type}: the file last opened, sent as its raw bytes while unedited
  let timer = null;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function apiKey() {
    return $("api-key").value.trim() || sessionStorage.getItem("beknopt-key") || "";
  }

  function headers(extra) {
    const h = Object.assign({}, extra || {});
    const key = apiKey();
    if (key) h["Authorization"] = "Bearer " + key;
    return h;
  }

  function showMessage(text) {
    const box = $("message");
    box.textContent = text;
    box.hidden = !text;
  }

  function setBusy(busy) {
    $("summarise").disabled = busy;
    $("progress").hidden = !busy;
    clearInterval(timer);
    if (busy) {
      const start = Date.now();
      const tick = () => {
        const seconds = Math.round((Date.now() - start) / 1000);
        $("progress-text").textContent = "Translating and summarising... " + seconds + " s";
      };
      tick();
      timer = setInterval(tick, 500);
    }
  }

  function looksLikeHtml(text) {
    return /^\s*(<!doctype|<html|<body|<article|<p[\s>]|<div)/i.test(text);
  }

  async function errorReason(response) {
    try {
      const data = await response.json();
      if (data && data.error && data.error.reason) return data.error.reason;
    } catch (e) {
      // not JSON (a proxy's error page): fall through to the status line
    }
    return "HTTP " + response.status + " " + response.statusText;
  }

  function requestBody() {
    const text = $("article-text").value;
    if (loaded && text === loaded.text) {
      return { body: loaded.bytes, type: loaded.type };
    }
    const field = looksLikeHtml(text) ? "html" : "text";
    return { body: JSON.stringify({ [field]: text }), type: "application/json" };
  }

  async function summarise() {
    showMessage("");
    if (!$("article-text").value.trim()) {
      showMessage("Paste a Dutch article or open a file first.");
      return;
    }
    const { body, type } = requestBody();
    setBusy(true);
    try {
      const response = await fetch("/v1/summarize", { method: "POST", headers: headers({ "Content-Type": type }),
                                                      body: body });
      if (response.status === 401) {
        $("key-row").hidden = false;
        showMessage("This service needs an API key: " + (await errorReason(response)));
        return;
      }
      if (!response.ok) {
        showMessage("The article could not be summarised: " + (await errorReason(response)));
        return;
      }
      const key = $("api-key").value.trim();
      if (key) sessionStorage.setItem("beknopt-key", key);
      render(await response.json());
    } catch (e) {
      showMessage("The service cannot be reached: " + e.message);
    } finally {
      setBusy(false);
    }
  }

  // -- rendering ------------------------------------------------------------------------------------

  // Fill `node` with `text`, wrapping each occurrence of a flagged term in <mark>; text nodes only.
  function fillMarked(node, text, terms) {
    const spans = [];
    for (const term of terms) {
      if (!term.text) continue;
      let from = 0;
      let at;
      while ((at = text.indexOf(term.text, from)) !== -1) {
        spans.push({ start: at, end: at + term.text.length, title: term.title });
        from = at + term.text.length;
      }
    }
    spans.sort((a, b) => a.start - b.start);
    let pos = 0;
    for (const span of spans) {
      if (span.start < pos) continue; // overlapping: the first one wins
      node.appendChild(document.createTextNode(text.slice(pos, span.start)));
      const mark = el("mark", "flag", text.slice(span.start, span.end));
      mark.title = span.title;
      node.appendChild(mark);
      pos = span.end;
    }
    node.appendChild(document.createTextNode(text.slice(pos)));
  }

  function renderSentences(container, sentences, paragraphs, flagged, side) {
    container.replaceChildren();
    let paragraph = null;
    let last = null;
    sentences.forEach((sentence, i) => {
      const para = paragraphs[i] !== undefined ? paragraphs[i] : 0;
      if (paragraph === null || para !== last) {
        paragraph = el("p");
        container.appendChild(paragraph);
        last = para;
      } else {
        paragraph.appendChild(document.createTextNode(" "));
      }
      const span = el("span", "sentence");
      span.dataset.index = String(i);
      const checks = flagged.get(i) || [];
      const terms = checks.map((c) => ({ text: side === "source" ? c.source : c.output, title: c.detail || c.kind }));
      fillMarked(span, String(sentence), terms);
      if (checks.length) {
        span.classList.add("flagged");
        span.title = checks.map((c) => c.detail || c.kind).join("\n");
      }
      paragraph.appendChild(span);
    });
  }

  function clearHighlights() {
    document.querySelectorAll(".source-of").forEach((n) => n.classList.remove("source-of"));
    document.querySelectorAll(".summary-sentence.selected").forEach((n) => n.classList.remove("selected"));
  }

  function highlight(span, sources) {
    clearHighlights();
    span.classList.add("selected");
    for (const index of sources) {
      for (const side of ["source", "translation"]) {
        const target = $(side).querySelector('[data-index="' + Number(index) + '"]');
        if (target) target.classList.add("source-of");
      }
    }
    for (const side of ["source", "translation"]) {
      const target = $(side).querySelector(".source-of");
      if (target) target.scrollIntoView({ block: "nearest" });
    }
  }

  function renderSummary(record, supportChecks) {
    const box = $("summary");
    box.replaceChildren();
    const parts = Array.isArray(record.summary_sentences) ? record.summary_sentences : [];
    if (!parts.length) {
      box.appendChild(el("span", "summary-text", record.summary || ""));
      $("summary-hint").textContent = "";
      return;
    }
    $("summary-hint").textContent = "(click a sentence to see what it rests on)";
    parts.forEach((part, i) => {
      if (i) box.appendChild(document.createTextNode(" "));
      const span = el("span", "summary-sentence", part && part.text);
      span.dataset.index = String(i);
      span.tabIndex = 0;
      span.setAttribute("role", "button");
      const sources = Array.isArray(part && part.sources) ? part.sources : [];
      const support = typeof part.support === "number" ? " (support " + part.support.toFixed(2) + ")" : "";
      span.title = sources.length ? "rests on sentence " + sources.map((s) => Number(s) + 1).join(", ") + support
        : "no source sentence found";
      const issues = supportChecks.get(i) || [];
      if (issues.length) {
        span.classList.add("flagged");
        span.title += "\n" + issues.map((c) => c.detail || c.kind).join("\n");
      }
      span.addEventListener("click", () => highlight(span, sources));
      span.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          highlight(span, sources);
        }
      });
      box.appendChild(span);
    });
  }

  function byIndex(checks) {
    const map = new Map();
    for (const check of checks) {
      const i = Number(check.sentence);
      if (!map.has(i)) map.set(i, []);
      map.get(i).push(check);
    }
    return map;
  }

  function render(record) {
    const metadata = record.metadata || {};
    const checks = Array.isArray(record.checks) ? record.checks : [];
    const sentenceChecks = checks.filter((c) => FLAG_KINDS.has(c.kind));
    const supportChecks = checks.filter((c) => c.kind === "summary-support");
    $("headline").textContent = record.title_en || metadata.title || "(no headline)";
    const meta = [];
    if (!record.title_en && metadata.title) meta.push("Dutch headline");
    if (metadata.date) meta.push(metadata.date);
    if (record.id) meta.push("id " + record.id);
    if (record.models && record.models.translation) meta.push("translated by " + record.models.translation);
    $("meta").textContent = meta.join(" · ");
    renderSummary(record, byIndex(supportChecks));
    const sentences = Array.isArray(record.sentences) ? record.sentences : [];
    const translations = Array.isArray(record.translations) ? record.translations : [];
    const paragraphs = Array.isArray(record.sentence_paragraphs) ? record.sentence_paragraphs : [];
    const flagged = byIndex(sentenceChecks);
    renderSentences($("source"), sentences, paragraphs, flagged, "source");
    renderSentences($("translation"), translations, paragraphs, flagged, "translation");

    const flags = $("flags");
    flags.replaceChildren();
    for (const check of checks) {
      const item = el("li");
      item.appendChild(el("span", "kind", check.kind));
      const where = check.kind === "summary-support" ? "summary sentence " : "sentence ";
      item.appendChild(document.createTextNode(where + (Number(check.sentence) + 1) + ": " + (check.detail || "")));
      flags.appendChild(item);
    }
    $("flags-block").hidden = !checks.length;
    $("flags-block").open = checks.length <= 6;  // a long list stays folded: the texts below show the marks
    $("flags-count").textContent = String(checks.length);
    const warnings = $("warnings");
    warnings.replaceChildren();
    for (const warning of record.warnings || []) warnings.appendChild(el("li", null, warning));
    $("warnings-block").hidden = !(record.warnings || []).length;
    $("warnings-count").textContent = String((record.warnings || []).length);
    $("result").hidden = false;
  }

  // -- start-up -------------------------------------------------------------------------------------

  async function loadFile(event) {
    const file = event.target.files && event.target.files[0];
    if (!file) return;
    const bytes = await file.arrayBuffer();
    const html = /\.html?$/i.test(file.name) || file.type === "text/html";
    const text = new TextDecoder("utf-8").decode(bytes);
    $("article-text").value = text;
    loaded = { bytes: bytes, text: text, type: html ? "text/html" : "text/plain" };
  }

  async function serviceInfo() {
    try {
      const response = await fetch("/v1/info", { headers: headers() });
      if (response.status === 401) {
        $("key-row").hidden = false;
        $("service-info").textContent = "API key required";
        return;
      }
      if (!response.ok) {
        $("service-info").textContent = await errorReason(response);
        return;
      }
      const info = await response.json();
      const models = Object.values(info.models || {}).join(" + ");
      $("service-info").textContent = "beknopt " + info.beknopt_version + " · " + models + " · " + info.device;
    } catch (e) {
      $("service-info").textContent = "service unreachable";
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("summarise").addEventListener("click", summarise);
    $("article-file").addEventListener("change", loadFile);
    $("article-text").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) summarise();
    });
    serviceInfo();
  });
})();
