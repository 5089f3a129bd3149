"""The cleaning stage end to end: arguments, empty input, the sample article, the public names, lazy imports."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from conftest import fresh_python

from beknopt.cleaning import (
    DEFAULT_BOILERPLATE,
    Cleaned,
    clean,
    decode_bytes,
    looks_like_html,
    normalise_punctuation,
)
from beknopt.document import BeknoptError, InputError

SAMPLE = Path(__file__).parent / "data" / "articles" / "2020-09-vs-troepen-irak.txt"


@pytest.mark.parametrize("raw", ["", b""])
def test_empty_input(raw: str | bytes) -> None:
    with pytest.raises(InputError) as excinfo:
        clean(raw, source_name="leeg.txt")
    what = "file" if isinstance(raw, bytes) else "text"  # bytes come from a file, a str from JSON or a caller
    assert str(excinfo.value) == f"leeg.txt: {what} is empty"


@pytest.mark.parametrize("raw", ["  \n\t \r\n", b" \n\n \t", "\u00a0\u200b\n", codecs.BOM_UTF8 + b"  \n"])
def test_whitespace_only_input(raw: str | bytes) -> None:
    with pytest.raises(InputError) as excinfo:
        clean(raw, source_name="wit.txt")
    what = "file" if isinstance(raw, bytes) else "text"
    assert str(excinfo.value) == f"wit.txt: {what} is empty (contains only whitespace)"


def test_input_error_is_a_beknopt_error() -> None:
    with pytest.raises(BeknoptError):
        clean("")


def test_bad_format_and_type() -> None:
    with pytest.raises(ValueError, match="format must be one of 'auto', 'text', 'html', not 'pdf'"):
        clean("tekst", format="pdf")
    with pytest.raises(TypeError, match="str or bytes, not int"):
        clean(42)  # type: ignore[arg-type]


def test_sample_article() -> None:
    raw = SAMPLE.read_bytes()
    cleaned = clean(raw, source_name=SAMPLE.name)
    assert isinstance(cleaned, Cleaned)
    assert cleaned.metadata == {"date": "2020-09"}
    assert cleaned.warnings == []
    # The file has 10 blank-line separated paragraphs; the header is glued to the first one.
    blocks = raw.decode("utf-8").split("\n\n")
    assert len(blocks) == 10
    assert len(cleaned.paragraphs) == 10
    assert cleaned.paragraphs[0].startswith("De Verenigde Staten zullen deze maand het aantal")
    assert cleaned.paragraphs[0] == blocks[0].removeprefix(" date 2020-09 ")
    assert cleaned.paragraphs[1:] == blocks[1:]
    assert cleaned.text == "\n\n".join(cleaned.paragraphs)
    assert "„In overleg en coördinatie" in cleaned.text
    assert clean(raw.decode("utf-8")) == cleaned


def test_public_names_are_the_step_modules_own() -> None:
    """What other code imports from ``beknopt.cleaning`` is re-exported from the module that does the step."""
    from beknopt.cleaning import boilerplate, decode, html, punctuation

    assert decode_bytes is decode.decode_bytes
    assert normalise_punctuation is punctuation.normalise_punctuation
    assert DEFAULT_BOILERPLATE is boilerplate.DEFAULT_BOILERPLATE
    assert looks_like_html is html.looks_like_html
    assert clean("Een zin.") == Cleaned(text="Een zin.", paragraphs=["Een zin."])


def test_plain_text_cleaning_leaves_the_html_extractor_unloaded() -> None:
    """trafilatura and what it pulls in cost ~40 MB of memory per process; only HTML needs them."""
    code = ("import sys; from beknopt import Pipeline; from beknopt.cleaning import clean; "
            "clean('Een zin.\\n\\nNog een zin.'); clean('Een zin.', format='text'); "
            "print('trafilatura' in sys.modules); "
            "print(clean('<p>Een zin in een lange alinea.</p>', format='html').paragraphs); "
            "print('trafilatura' in sys.modules)")
    assert fresh_python(code).stdout.splitlines() == ["False", "['Een zin in een lange alinea.']", "True"]
