"""The LibreTranslate-compatible API of ``beknopt serve``: ``POST /translate``, ``POST /detect``,
``GET /languages``, ``GET /frontend/settings`` (and LibreTranslate's ``GET /health`` and ``POST /suggest``).

Newsroom tools, CMS plugins and browser extensions already speak LibreTranslate's API; pointed at beknopt they get
beknopt's Dutch->English translation with no code change. The paths, fields, status codes and the error shape
(``{"error": "..."}``, not beknopt's ``{"error": {"status", "reason"}}``) are LibreTranslate's documented ones.

How a text is translated: each text of ``q`` becomes one ``Document`` submitted to the ``Scheduler`` with the
stages it needs (``submit(doc, stages=...)``), so it shares model batches with ``/v1/summarize`` articles and job
articles, and the one worker thread still owns the models:

- ``format=text``: clean (as plain text), language (only for ``source=auto``: the client who says ``nl`` is
  trusted, as LibreTranslate trusts it), split, translate (with the glossary), check. Never the summary. The
  answer keeps the text's layout: paragraphs joined as the text joined them (a blank line, or one line break
  where the text has no blank lines: the cleaner's own rule) and line breaks between sentences kept.
- ``format=html``: the markup is kept and every text node (outside ``script``, ``style``, ``code``, ``pre`` and
  elements marked ``translate="no"``) is one paragraph of the document; the cleaning stage is skipped (its
  article extraction would drop the markup), the node's characters are repaired as the cleaner repairs them,
  then split, translate, check as above.

``source=auto`` runs beknopt's language detector (``beknopt.cleaning.language``) through the pipeline's language
stage, so the server's ``--on-non-dutch`` decides about a text that is not Dutch: ``skip``/``fail`` answer 400
naming what is supported, ``translate`` translates it anyway with a warning. ``detectedLanguage`` is the language
translated from, as in LibreTranslate: ``nl`` with the detector's confidence in percent (0.0 when the text was too
short to tell and was taken as Dutch).

Limits, auth and metrics are the service's: ``--max-body`` and ``--max-body-memory`` (``request_body``), the
article limit ``--max-bytes`` as ``charLimit``, the keys of ``--api-key-file`` (as ``api_key`` or a Bearer
header; 403 as in LibreTranslate), and ``beknopt_libretranslate_characters`` by endpoint and format on top of the
per-route request metrics.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import urllib.parse
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from beknopt.cleaning import normalise_punctuation
from beknopt.cleaning.language import DEFAULT_DUTCH_THRESHOLD, assess, detect_language
from beknopt.cleaning.repair import repair
from beknopt.document import Document, InputError, title_is_first_paragraph
from beknopt.serve.app import ApiError, BusyError, drain_body, text_codec, valid_key
from beknopt.serve.metrics import Metrics
from beknopt.serve.records import MalformedBodyError, parse_json
from beknopt.serve.scheduler import NotReadyError, QueueFullError, Scheduler
from beknopt.serve.settings import ServeSettings
from beknopt.stage import CHECK, CLEAN, LANGUAGE, SPLIT, TRANSLATE

__all__ = ["PATHS", "LibreTranslateService", "add_libretranslate_routes", "error_json"]

log = logging.getLogger("beknopt.serve")
PATHS = frozenset({"/translate", "/detect", "/languages", "/frontend/settings", "/health", "/suggest"})
TEXT_STAGES = frozenset({CLEAN, SPLIT, TRANSLATE, CHECK})
HTML_STAGES = frozenset({SPLIT, TRANSLATE, CHECK})  # the text nodes are the paragraphs: nothing to extract
FORMATS = ("text", "html")
FRONTEND_TIMEOUT_MS = 500  # LibreTranslate's default: how long its web page waits after typing before it asks
MAX_FORM_FIELDS = 10_000
# Language codes as the translation models' target tokens spell them (>>eng<<, eng_Latn, __en__, <2en>), and
# their names: /languages names what the loaded model is set to translate to.
ISO3 = {"eng": "en", "nld": "nl", "deu": "de", "fra": "fr", "spa": "es", "ita": "it", "por": "pt", "pol": "pl",
        "dan": "da", "swe": "sv", "nor": "no", "nob": "nb", "fin": "fi", "ces": "cs", "ukr": "uk", "rus": "ru",
        "tur": "tr", "ara": "ar", "zho": "zh", "jpn": "ja", "afr": "af", "fry": "fy"}
NAMES = {"en": "English", "nl": "Dutch", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
         "pt": "Portuguese", "pl": "Polish", "da": "Danish", "sv": "Swedish", "no": "Norwegian",
         "nb": "Norwegian Bokmål", "fi": "Finnish", "cs": "Czech", "uk": "Ukrainian", "ru": "Russian",
         "tr": "Turkish", "ar": "Arabic", "zh": "Chinese", "ja": "Japanese", "af": "Afrikaans", "fy": "Frisian"}
# Elements whose text is not prose to translate (code, scripts, form values) or that ask not to be translated.
UNTRANSLATED = frozenset({"script", "style", "code", "pre", "kbd", "samp", "var", "textarea", "template",
                          "noscript", "svg", "math"})
_LANGUAGE_TOKEN = re.compile(r">>(\w+)<<|^<2(\w+)>$|^__(\w+)__$|^([a-z]{3})_[A-Z][a-z]{3}$")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_WORD = re.compile(r"\w+")
_DOCUMENT = re.compile(r"\s*(<!doctype|<html[\s>])", re.IGNORECASE)
_LIBXML_DEPTH = 256  # libxml2's nesting limit without huge_tree: past it, the rest of the markup is dropped


def error_json(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """LibreTranslate's error body: ``{"error": "..."}``."""
    return JSONResponse({"error": message}, status_code=status, headers=dict(headers or {}))


def _code(token: str | None) -> str | None:
    """``>>eng<<`` / ``eng_Latn`` / ``__en__`` / ``<2en>`` / ``nld_Latn`` / ``nl`` -> a two-letter code."""
    if not token:
        return None
    match = _LANGUAGE_TOKEN.search(token)
    raw = next((g for g in match.groups() if g), token) if match else token
    raw = raw.lower()
    return ISO3.get(raw, raw)


def _find(info: Any, key: str) -> str | None:
    """The first value of ``key`` anywhere in a stage's ``describe()``."""
    if isinstance(info, Mapping):
        if isinstance(info.get(key), str):
            return str(info[key])
        for value in info.values():
            found = _find(value, key)
            if found:
                return found
    return None


def _language(code: str) -> dict[str, str]:
    return {"code": code, "name": NAMES.get(code, code)}


@dataclass
class _Item:
    """One text of ``q`` on its way: the document sent to the scheduler and how to put the answer together."""

    label: str  # "q" or "q[2]", in error messages
    text: str
    doc: Document | None = None  # None: nothing to translate (blank, or HTML without text)
    nodes: list[tuple[Any, str, str, str]] = field(default_factory=list)  # HTML: (element, "text"/"tail", lead, trail)
    root: Any = None  # HTML: the parsed tree
    document: bool = False  # HTML: a whole page (<html>), serialised with its doctype
    stages: frozenset[str] = frozenset()  # the pipeline stages its document goes through
    future: Future | None = None


@dataclass
class LibreTranslateService:
    """What the routes need from the app: its settings, scheduler and metrics, and its body reader, readiness
    check and keys, so limits, auth and readiness are the service's own, not a second copy."""

    settings: ServeSettings
    scheduler: Scheduler
    metrics: Metrics
    read_body: Callable[[Request, int], AbstractAsyncContextManager[bytes]]
    check_ready: Callable[[], None]
    keys: tuple[bytes, ...]
    _pair: tuple[str, str] | None = field(default=None, init=False, repr=False)

    @property
    def unavailable(self) -> dict[str, str]:
        return {"Retry-After": str(self.settings.retry_after)}

    # -- the language pair -----------------------------------------------------------------------------

    def pair(self) -> tuple[str, str]:
        """(source, target) of the loaded translation model: Dutch to English unless its settings say otherwise
        (``--source-lang``, ``--target-lang-token`` of a multilingual model); read once the models are loaded."""
        if self._pair is None:
            pipe = self.scheduler.pipeline
            if pipe is None:
                return "nl", "en"
            info = pipe.describe().get(TRANSLATE, {})
            self._pair = _code(_find(info, "source_lang")) or "nl", _code(_find(info, "target_lang_token")) or "en"
        return self._pair

    def supported(self) -> str:
        source, target = self.pair()
        return (f"this server translates {NAMES.get(source, source)} ({source}) to {NAMES.get(target, target)} "
                f"({target}); source may be {source} or auto, target {target}")

    def threshold(self) -> float:
        pipe = self.scheduler.pipeline
        stage = next((s for s in (pipe.stages if pipe is not None else ()) if getattr(s, "name", "") == LANGUAGE),
                     None)
        return float(getattr(stage, "threshold", DEFAULT_DUTCH_THRESHOLD))

    # -- requests ------------------------------------------------------------------------------------------

    async def fields(self, request: Request, body: bytes) -> dict[str, Any]:
        """The request's parameters as LibreTranslate reads them: a JSON object, or form fields (urlencoded or
        multipart) together with the query string; a form field given more than once is a list (``q``)."""
        ctype = request.headers.get("content-type", "")
        main = ctype.split(";", 1)[0].strip().lower()
        if main == "application/json" or main.endswith("+json"):
            try:
                data = parse_json(body)
            except (MalformedBodyError, InputError) as exc:
                raise ApiError(400, f"Invalid JSON format: {exc}") from None
            if not isinstance(data, dict):
                raise ApiError(400, "Invalid JSON format: expected a JSON object")
            return data
        values: dict[str, list[str]] = {}
        for name, value in urllib.parse.parse_qsl(request.url.query, keep_blank_values=True):
            values.setdefault(name, []).append(value)
        if main == "multipart/form-data":
            form = await run_in_threadpool(_multipart, body, ctype)
        elif body:
            form = _urlencoded(body)
        else:
            form = {}
        for name, got in form.items():
            values[name] = got + values.get(name, [])  # the body's value first, as Flask's request.values
        return {k: (v[0] if len(v) == 1 else v) for k, v in values.items()}

    def authorise(self, request: Request, fields: Mapping[str, Any]) -> None:
        """The ``api_key`` field or a Bearer header, against the keys of ``--api-key-file``: 403 as LibreTranslate
        answers a missing or wrong key."""
        if not self.keys:
            return
        given = fields.get("api_key")
        if not given:
            scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
            given = credentials.strip() if scheme.lower() == "bearer" else None
        if not given:
            raise ApiError(403, "an API key is required: send api_key (or 'Authorization: Bearer KEY'); the server "
                           "operator has the keys")
        if not isinstance(given, str) or not valid_key(given, self.keys):
            raise ApiError(403, "Invalid API key")

    # -- /translate ----------------------------------------------------------------------------------------

    def parse_translate(self, fields: Mapping[str, Any]) -> tuple[list[str], bool, str, str, int]:
        """(texts, whether ``q`` was a list, source, format, alternatives); 400 with LibreTranslate's messages."""
        q = fields.get("q")
        if not q:
            raise ApiError(400, "Invalid request: missing q parameter")
        batch = isinstance(q, list)
        texts = q if batch else [q]
        if not all(isinstance(t, str) for t in texts):
            raise ApiError(400, "Invalid request: q must be a string or a list of strings")
        for name in ("source", "target"):
            if not fields.get(name):
                raise ApiError(400, f"Invalid request: missing {name} parameter")
            if not isinstance(fields[name], str):
                raise ApiError(400, f"Invalid request: {name} must be a language code")
        source, target = str(fields["source"]).strip().lower(), str(fields["target"]).strip().lower()
        ours, theirs = self.pair()
        if source not in (ours, "auto"):
            raise ApiError(400, f"{source} is not supported: {self.supported()}")
        if target != theirs:
            raise ApiError(400, f"{target} is not supported: {self.supported()}")
        fmt = fields.get("format") or "text"
        if fmt not in FORMATS:
            raise ApiError(400, f"{fmt} format is not supported: format may be text or html")
        alternatives = _whole(fields.get("alternatives"))
        if batch and len(texts) > self.settings.queue_size:
            raise ApiError(400, f"Invalid request: request ({len(texts)}) exceeds text limit "
                           f"({self.settings.queue_size})")
        chars = sum(len(t) for t in texts)
        if chars > self.settings.max_bytes:
            raise ApiError(400, f"Invalid request: request ({chars}) exceeds text limit ({self.settings.max_bytes})")
        for index, text in enumerate(texts):
            size = len(text.encode("utf-8", "surrogatepass"))
            if size > self.settings.max_bytes:
                label = f"q[{index}]" if batch else "q"
                raise ApiError(400, f"Invalid request: {label} is {size:,} bytes, over the article limit of "
                               f"{self.settings.max_bytes:,} (--max-bytes)")
        return texts, batch, source, str(fmt), alternatives

    async def translate(self, request: Request) -> JSONResponse:
        async with self.read_body(request, self.settings.max_body) as body:
            fields = await self.fields(request, body)
            self.authorise(request, fields)
            self.check_ready()
            texts, batch, source, fmt, alternatives = self.parse_translate(fields)
            auto = source == "auto"
            items = [_Item(f"q[{i}]" if batch else "q", text) for i, text in enumerate(texts)]
            prepare = _prepare_html if fmt == "html" else _prepare_text
            await run_in_threadpool(lambda: [prepare(item, auto) for item in items])
            await self.run(items)
            answers = await run_in_threadpool(lambda: [self.answer(item, fmt, auto) for item in items])
        self.metrics.libretranslate_characters.labels("/translate", fmt).inc(sum(len(t) for t in texts))
        translated = [a[0] for a in answers]
        out: dict[str, Any] = {"translatedText": translated if batch else translated[0]}
        if auto:
            detected = [a[1] for a in answers]
            out["detectedLanguage"] = detected if batch else detected[0]
        if alternatives:  # beknopt's translator gives one translation per sentence: no alternatives to offer
            out["alternatives"] = [[] for _ in answers] if batch else []
        extras = [a[2] for a in answers]
        out["beknopt"] = extras if batch else extras[0]
        return JSONResponse(out)

    async def run(self, items: list[_Item]) -> None:
        """Submit every document, then wait for all of them; a text that cannot be translated is a 400 (its
        input) or a 500 (the model), as in LibreTranslate."""
        todo = [item for item in items if item.doc is not None]
        try:
            for item in todo:
                assert item.doc is not None
                item.future = self.scheduler.submit(item.doc, stages=item.stages, source="translate")
        except QueueFullError as exc:
            self.withdraw(todo)
            raise ApiError(429, f"Slowdown: {exc}", headers=self.unavailable) from None
        except NotReadyError as exc:
            self.withdraw(todo)
            raise ApiError(503, str(exc), headers=self.unavailable) from None
        futures = [asyncio.wrap_future(item.future) for item in todo if item.future is not None]
        try:
            async with asyncio.timeout(self.settings.request_timeout):
                await asyncio.gather(*futures)
        except TimeoutError:
            self.withdraw(todo)
            raise ApiError(503, f"no translation within {self.settings.request_timeout:g} s (--request-timeout); "
                           "the server is busy, retry later", headers=self.unavailable) from None
        except NotReadyError as exc:
            self.withdraw(todo)
            raise ApiError(503, str(exc), headers=self.unavailable) from None
        for item in todo:
            doc = item.doc
            assert doc is not None
            if doc.error is None:
                continue
            stage, reason = doc.error["stage"], doc.error["reason"]
            reason = reason if reason.startswith(f"{item.label}:") else f"{item.label}: {reason}"
            if stage == LANGUAGE:
                raise ApiError(400, f"{reason}; {self.supported()}")
            if stage in ("read", CLEAN, SPLIT):
                raise ApiError(400, f"Invalid request: {reason}")
            raise ApiError(500, f"Cannot translate text: {reason} (stage: {stage})")

    def withdraw(self, items: list[_Item]) -> None:
        for item in items:
            if item.future is not None:
                self.scheduler.withdraw(item.future)

    def answer(self, item: _Item, fmt: str, auto: bool) -> tuple[str, dict[str, Any] | None, dict[str, Any]]:
        """(translatedText, detectedLanguage, the ``beknopt`` extra) of one text."""
        doc = item.doc
        if doc is None:  # blank, or markup without text: nothing was sent to the models
            nothing = {"confidence": 0.0, "language": self.pair()[0]} if auto else None
            return (item.text if fmt == "html" else ""), nothing, {"checks": [], "glossary": [], "warnings": []}
        text = _html_answer(item, doc) if fmt == "html" else _text_answer(item.text, doc)
        detected = self.detected(doc) if auto else None
        extra: dict[str, Any] = {"checks": doc.checks, "glossary": doc.glossary, "warnings": doc.warnings}
        if fmt == "text" and doc.metadata:
            extra["metadata"] = doc.metadata  # what the cleaner read as a header: not in translatedText
        if doc.title_en is not None and not title_is_first_paragraph(doc):
            extra["title"] = doc.title_en  # a header's title, translated on its own
        return text, detected, extra

    def detected(self, doc: Document) -> dict[str, Any]:
        """LibreTranslate's ``detectedLanguage``: the language translated from, the detector's confidence in it
        (percent). A text beknopt took as Dutch although the detector's best guess was another language (too
        short to tell, or under the threshold) is ``nl`` with confidence 0.0."""
        source = self.pair()[0]
        text = doc.clean_text or ""
        try:
            verdict = assess(text, self.threshold())
        except ValueError:  # no letters: nothing to detect
            return {"confidence": 0.0, "language": source}
        if verdict.verdict != "not-dutch":
            confidence = verdict.probability if verdict.code == "nl" else 0.0
            return {"confidence": round(confidence * 100, 1), "language": source}
        return {"confidence": round(verdict.probability * 100, 1), "language": verdict.code}

    # -- /detect ---------------------------------------------------------------------------------------------

    async def detect(self, request: Request) -> JSONResponse:
        async with self.read_body(request, self.settings.max_body) as body:
            fields = await self.fields(request, body)
            self.authorise(request, fields)
            q = fields.get("q")
            if not q:
                raise ApiError(400, "Invalid request: missing q parameter")
            texts = q if isinstance(q, list) else [q]
            if not all(isinstance(t, str) for t in texts):
                raise ApiError(400, "Invalid request: q must be a string or a list of strings")
            text = "\n".join(texts)
            if len(text) > self.settings.max_bytes:
                raise ApiError(400, f"Invalid request: request ({len(text)}) exceeds text limit "
                               f"({self.settings.max_bytes})")
            try:
                code, probability = await run_in_threadpool(detect_language, text)
            except ValueError:  # no letters: LibreTranslate's answer when nothing could be detected
                code, probability = "en", 0.0
        self.metrics.libretranslate_characters.labels("/detect", "text").inc(len(text))
        return JSONResponse([{"confidence": round(probability * 100, 1), "language": code}])

    # -- the GETs --------------------------------------------------------------------------------------------

    def languages(self) -> list[dict[str, Any]]:
        self.check_ready()
        source, target = self.pair()
        return [{**_language(source), "targets": [target]}, {**_language(target), "targets": []}]

    def frontend_settings(self) -> dict[str, Any]:
        self.check_ready()
        source, target = self.pair()
        return {"charLimit": self.settings.max_bytes, "frontendTimeout": FRONTEND_TIMEOUT_MS,
                "apiKeys": bool(self.keys), "keyRequired": bool(self.keys), "suggestions": False,
                "filesTranslation": False, "supportedFilesFormat": [],
                "language": {"source": _language(source), "target": _language(target)}}


def _whole(value: Any) -> int:
    if value in (None, ""):
        return 0
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if isinstance(value, bool | float) or number < 0:
        raise ApiError(400, "Invalid request: alternatives must be a whole number, 0 or more")
    return number


def _urlencoded(body: bytes) -> dict[str, list[str]]:
    try:
        pairs = urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True, encoding="utf-8",
                                       errors="strict", max_num_fields=MAX_FORM_FIELDS)
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"Invalid request: the form is not valid UTF-8 ({exc.reason})") from None
    except ValueError as exc:  # more than MAX_FORM_FIELDS fields
        raise ApiError(400, f"Invalid request: {exc}") from None
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        values.setdefault(name, []).append(value)
    return values


def _multipart(body: bytes, ctype: str) -> dict[str, list[str]]:
    """The text fields of a ``multipart/form-data`` body (what a browser's ``FormData`` sends); files are not
    read. Parsed by the standard library's MIME parser, from the bytes already held."""
    try:
        header = f"Content-Type: {ctype}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    except UnicodeEncodeError:
        raise ApiError(400, "Invalid request: the Content-Type header is not ASCII") from None
    message = BytesParser(policy=policy.HTTP).parsebytes(header + body)
    if not message.is_multipart():
        raise ApiError(400, "Invalid request: a multipart/form-data body without its boundary")
    values: dict[str, list[str]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or part.get_filename() is not None or len(values) > MAX_FORM_FIELDS:
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        charset = part.get_content_charset()
        codec = text_codec(charset) if charset else "utf-8"  # never an arbitrary codec (415), as for bodies
        try:
            value = payload.decode(codec)
        except UnicodeDecodeError:
            raise ApiError(400, f"Invalid request: form field {name!r} is not valid {charset or 'UTF-8'}") from None
        values.setdefault(name, []).append(value)
    return values


# -- text -----------------------------------------------------------------------------------------------------


def _prepare_text(item: _Item, auto: bool) -> None:
    """A plain-text document for the whole pipeline up to the checks; a blank text needs no model."""
    if not item.text.strip():
        return
    detect = auto and any(ch.isalpha() for ch in item.text)  # "12:30" has no language to detect: translated
    item.stages = TEXT_STAGES | {LANGUAGE} if detect else TEXT_STAGES
    item.doc = Document(id=item.label, source=item.text, source_format="text")


def _text_answer(text: str, doc: Document) -> str:
    """The translated sentences laid out as the text was: between two sentences, the line breaks the text had
    there (one, or two for a new paragraph; more are kept as two), else a space. Where a sentence cannot be
    found in the text as sent (the cleaner changed more than whitespace: quotes, mojibake), the cleaned text's
    structure decides: a line break inside a paragraph stays one, and paragraphs are joined by a blank line, or
    by one line break when the text has no blank line (then each line is a paragraph to the cleaner)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    joiner = "\n\n" if _BLANK_LINE.search(text) else "\n"
    inner: dict[int, str] = {}  # sentence -> what comes before it inside its cleaned paragraph
    for index, paragraph in enumerate(doc.paragraphs):
        rows = [i for i, p in enumerate(doc.sentence_paragraphs) if p == index]
        inner.update(zip(rows[1:], _gaps(paragraph, [doc.sentences[i] for i in rows]), strict=True))
    found = _layout(text, doc.sentences)
    out = doc.translations[:1]
    for i in range(1, len(doc.translations)):
        gap = found[i - 1]
        out.append((gap if gap is not None else inner.get(i, joiner)) + doc.translations[i])
    return "".join(out)


def _layout(text: str, sentences: list[str]) -> list[str | None]:
    """For each two consecutive sentences, what separates them in ``text``: ``"\n"``, ``"\n\n"`` or ``" "``;
    ``None`` where either cannot be found (each is looked for by its first and last words, in order)."""
    spans: list[tuple[int, int] | None] = []
    cursor = 0
    for sentence in sentences:
        span = _locate(text, sentence, cursor)
        spans.append(span)
        if span is not None:
            cursor = span[1]
    gaps: list[str | None] = []
    for before, after in itertools.pairwise(spans):
        if before is None or after is None:
            gaps.append(None)
        else:
            gaps.append("\n" * min(text.count("\n", before[1], after[0]), 2) or " ")
    return gaps


def _locate(text: str, sentence: str, start: int) -> tuple[int, int] | None:
    """Where ``sentence`` lies in ``text`` from ``start`` on: from its first three words to its last three, any
    punctuation and whitespace between them; searched in a window, so a text of many sentences stays linear."""
    words = _WORD.findall(sentence)
    if not words:
        return None
    window = 3 * len(sentence) + 10_000
    head = re.compile(r"\W*".join(map(re.escape, words[:3]))).search(text, start, min(len(text), start + window))
    if head is None:
        return None
    tail = re.compile(r"\W*".join(map(re.escape, words[-3:]))).search(text, head.start(),
                                                                      min(len(text), head.start() + window))
    return (head.start(), tail.end()) if tail is not None else None


def _gaps(text: str, pieces: list[str]) -> list[str]:
    """What lies between consecutive ``pieces`` in ``text``: a line break where the space between them holds one,
    else a space. The splitter only changes whitespace, so the pieces are found by their other characters; if
    they cannot be (the text changed otherwise), every gap is a space."""
    gaps, at = [], 0
    for n, piece in enumerate(pieces):
        start = at
        while at < len(text) and text[at].isspace():
            at += 1
        if n:
            gaps.append("\n" * min(text.count("\n", start, at), 2) or " ")
        for char in piece:
            if char.isspace():
                continue
            while at < len(text) and text[at].isspace():
                at += 1
            if at >= len(text) or text[at] != char:
                return [" "] * (len(pieces) - 1)
            at += 1
    return gaps


# -- HTML -----------------------------------------------------------------------------------------------------


def _skipped(element: Any) -> bool:
    tag = element.tag.lower() if isinstance(element.tag, str) else ""
    return (tag in UNTRANSLATED or str(element.get("translate", "")).strip().lower() == "no"
            or "notranslate" in str(element.get("class", "")).split())


def _prepare_html(item: _Item, auto: bool) -> None:
    """Parse the markup (lxml's HTML parser: no network, no DTD, so no entity expansion) and make each text node
    a paragraph of one document; the element and the node's surrounding whitespace are kept to write it back."""
    from lxml import etree
    from lxml import html as lxml_html

    if not item.text.strip():
        return
    # JSON can carry lone UTF-16 surrogates ("\\ud800"); libxml2 would silently drop the text after one
    item.text = item.text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    parser = lxml_html.HTMLParser(no_network=True, remove_comments=False, remove_pis=False, collect_ids=False,
                                  default_doctype=False, huge_tree=False)
    item.document = bool(_DOCUMENT.match(item.text))
    try:
        if item.document:
            item.root = lxml_html.document_fromstring(item.text, parser=parser)
        else:
            item.root = lxml_html.fragment_fromstring(item.text, create_parent="div", parser=parser)
    except (etree.LxmlError, ValueError) as exc:
        raise ApiError(400, f"Invalid request: {item.label} cannot be parsed as HTML ({exc})") from None
    if any(err.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT for err in parser.error_log):
        raise ApiError(400, f"Invalid request: {item.label} nests elements deeper than {_LIBXML_DEPTH} levels")
    paragraphs: list[str] = []
    warnings: list[str] = []

    def add(element: Any, where: str, raw: str | None) -> None:
        if not raw or not any(ch.isalpha() for ch in raw):
            return
        repaired, found, _ = repair(raw, unescape_html=False)
        warnings.extend(found)
        words = " ".join(normalise_punctuation(repaired).split())
        if not words:
            return
        lead, trail = raw[:len(raw) - len(raw.lstrip())], raw[len(raw.rstrip()):]
        item.nodes.append((element, where, lead, trail))
        paragraphs.append(words)

    def walk(element: Any) -> None:
        add(element, "text", element.text)
        for child in element:
            if isinstance(child.tag, str) and not _skipped(child):
                walk(child)
            add(child, "tail", child.tail)

    walk(item.root)
    if not paragraphs:
        return
    item.stages = HTML_STAGES | {LANGUAGE} if auto else HTML_STAGES
    doc = Document(id=item.label, source=item.text, source_format="html", clean_text="\n\n".join(paragraphs),
                   paragraphs=paragraphs)
    for message in dict.fromkeys(warnings):
        doc.warn(CLEAN, message)
    item.doc = doc


def _html_answer(item: _Item, doc: Document) -> str:
    """The markup with each text node replaced by its translation (its surrounding whitespace kept)."""
    from lxml import html as lxml_html

    for index, (element, where, lead, trail) in enumerate(item.nodes):
        rows = [i for i, p in enumerate(doc.sentence_paragraphs) if p == index]
        if not rows:
            continue
        text = lead + " ".join(doc.translations[i] for i in rows) + trail
        setattr(element, where, text)
    if item.document:
        doctype = item.root.getroottree().docinfo.doctype
        return str(lxml_html.tostring(item.root, encoding="unicode", doctype=doctype or None))
    root = item.root
    return (root.text or "") + "".join(str(lxml_html.tostring(child, encoding="unicode")) for child in root)


# -- routes ---------------------------------------------------------------------------------------------------


class _LibreRoute(APIRoute):
    """Every error of these routes in LibreTranslate's shape (``{"error": "..."}``), the refused body drained
    first as the service's own handlers do; an unexpected one is logged with its traceback and answered 500
    without it. BusyError (``--max-body-memory``) is LibreTranslate's 429 "Slowdown"."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except ApiError as exc:
                await drain_body(request)
                status, reason = exc.status, exc.reason
                if isinstance(exc, BusyError):
                    status, reason = 429, f"Slowdown: {reason}"
                return error_json(status, reason, exc.headers)
            except Exception as exc:  # noqa: BLE001 - logged in full; the client gets no traceback
                log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
                await drain_body(request)
                return error_json(500, "Cannot translate text: internal error; the server log has the details")

        return run


def add_libretranslate_routes(app: FastAPI, service: LibreTranslateService) -> None:
    """Register the LibreTranslate-compatible routes on ``app`` (``create_app`` calls this)."""
    # not in /openapi.json: that schema is beknopt's own API, its error shape and its fuzzing (test_serve_fuzz);
    # these routes are LibreTranslate's, documented by LibreTranslate and in docs/serve.md
    route = {"tags": ["libretranslate"], "route_class_override": _LibreRoute, "include_in_schema": False}

    async def translate(request: Request) -> JSONResponse:
        return await service.translate(request)

    async def detect(request: Request) -> JSONResponse:
        return await service.detect(request)

    async def languages() -> JSONResponse:
        return JSONResponse(service.languages())

    async def frontend_settings() -> JSONResponse:
        return JSONResponse(service.frontend_settings())

    async def health() -> JSONResponse:
        service.check_ready()
        return JSONResponse({"status": "ok"})

    async def suggest(request: Request) -> JSONResponse:
        raise ApiError(403, "Suggestions are disabled on this server.")

    for path, endpoint, method, summary in (
        ("/translate", translate, "POST", "Translate text or HTML (LibreTranslate's API)"),
        ("/detect", detect, "POST", "Detect the language of a text (LibreTranslate's API)"),
        ("/languages", languages, "GET", "The language pair this server translates (LibreTranslate's API)"),
        ("/frontend/settings", frontend_settings, "GET", "Limits and defaults clients read (LibreTranslate's API)"),
        ("/health", health, "GET", "LibreTranslate's health check: ok once the models are loaded"),
        ("/suggest", suggest, "POST", "Suggestions are not kept: always 403, as LibreTranslate without them"),
    ):
        app.router.add_api_route(path, endpoint, methods=[method], summary=summary, **route)
