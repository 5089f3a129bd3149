"""Build the copy-trained tiny ``MarianMTModel`` stored in ``tests/data/models/copy-marian``.

A random tiny model cannot show that a number or a glossary term survives translation: its output is gibberish.
This one is the real ``MarianMTModel`` class trained for a few minutes to copy its input (source = target), so
its "translation" of a Dutch sentence is that sentence, digits, names and inserted English words included. Tests
can then assert on real model output: a number that comes back unchanged passes the checks, one changed in a
wrapper must be caught.

Run (deterministic, about 3-4 minutes on 2 CPU cores)::

    .venv/bin/python tests/models/build_copy_marian.py [--out tests/data/models/copy-marian] [--steps N]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data" / "models" / "copy-marian"
HELD_OUT = 100  # the last FLORES sentences of each language: never trained on, used to measure copying
MAX_TOKENS = 256  # the model's context (positions); training pairs are at most MAX_TRAIN_TOKENS long
MAX_TRAIN_TOKENS = 96
SEED = 0

DUTCH_NAMES = ["Jansen", "De Vries", "Van den Berg", "Bakker", "Visser", "Smit", "Meijer", "De Boer", "Mulder",
               "Bos", "Vos", "Peters", "Hendriks", "Van Dijk", "Dekker", "Brouwer", "Van der Meer", "Willems"]
FIRST_NAMES = ["Anna", "Pieter", "Sanne", "Jeroen", "Fleur", "Mark", "Lotte", "Hugo", "Eva", "Bram", "Noor",
               "Willem", "Sophie", "Daan", "Emma", "Thijs", "John", "Mary", "Kamala", "Olaf", "Ursula", "Mette"]
PLACES = ["Amsterdam", "Rotterdam", "Den Haag", "Utrecht", "Eindhoven", "Groningen", "Brussel", "Antwerpen",
          "Berlijn", "Parijs", "Londen", "Washington", "New York", "Irak", "Oekraïne", "Zeeland", "Limburg"]
ORGS = ["ING", "Philips", "ASML", "KLM", "Shell", "Ajax", "PSV", "NOS", "RIVM", "CBS", "DNB", "NAVO", "EU",
        "Rabobank", "Heineken", "Tweede Kamer", "Europese Commissie", "Rijkswaterstaat", "Google", "Microsoft"]
ENGLISH_TERMS = ["supply chain", "Prime Minister", "data center", "European Central Bank", "climate change",
                 "Home Office", "stock market", "artificial intelligence", "private equity", "health care",
                 "border control", "United Nations", "high court", "interest rate", "software update",
                 "Security Council", "trade deal", "cyber attack", "wind farm", "remote work"]
UNITS = ["procent", "euro", "mensen", "kilometer", "jaar", "huizen", "banen", "doden", "stemmen", "dollar",
         "percent", "people", "miles", "votes", "jobs"]
TEMPLATES_NL = [
    "{name} zei dat {n} {unit} was gehaald.",
    "In {place} werden {n} {unit} geteld.",
    "{org} maakte een winst van € {money} miljoen bekend.",
    "De prijs steeg met {pct} procent tot € {money}.",
    "Om {time} uur begon {name} in {place} aan de toespraak.",
    "Volgens {org} woonden er in {year} ongeveer {n} mensen in {place}.",
    "{name} van {org} verwacht {big} miljoen bezoekers.",
    "Het tekort liep in {year} op tot {big} miljard euro.",
    "Op {day} {month} {year} sprak {name} met {name2} over de {term}.",
    "De {term} van {org} kost {n} euro per jaar.",
    "{name} noemde de {term} in {place} een succes.",
    "Rond {time} uur meldde {org} dat {pct}% van de {unit} weg was.",
    "Tussen {year} en {year2} daalde het aantal met {n}.",
]
TEMPLATES_EN = [
    "{name} said {n} {unit} were counted in {place}.",
    "{org} reported a profit of €{money} million in {year}.",
    "The {term} grew by {pct} percent, {name} told {org}.",
    "At {time} on {day} {month}, {name} met {name2} in {place}.",
    "About {big} million people voted in {year}.",
]
MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december", "January", "March", "June", "October"]


def _number(rng: random.Random) -> str:
    """A Dutch-formatted count: plain, or with a thousands point (5.200, 12.450.000)."""
    value = rng.choice([rng.randint(2, 99), rng.randint(100, 999), rng.randint(1000, 99_999),
                        rng.randint(100_000, 9_999_999)])
    return f"{value:,}".replace(",", ".") if value >= 1000 and rng.random() < 0.7 else str(value)


def _decimal(rng: random.Random) -> str:
    """A Dutch decimal with a comma (3,5; 12,75) or a whole number."""
    whole = rng.randint(1, 999)
    return f"{whole},{rng.randint(1, 99)}" if rng.random() < 0.7 else str(whole)


def synthetic(rng: random.Random, count: int) -> list[str]:
    """Short sentences dense in numbers (5.200, 3,5 miljoen, 12.30 uur, 25 procent, years, € 1,2 miljoen),
    capitalised names and English terms inside Dutch text."""
    lines = []
    for _ in range(count):
        template = rng.choice(TEMPLATES_NL if rng.random() < 0.8 else TEMPLATES_EN)
        name = rng.choice([rng.choice(FIRST_NAMES) + " " + rng.choice(DUTCH_NAMES), rng.choice(DUTCH_NAMES)])
        lines.append(template.format(
            name=name, name2=rng.choice(FIRST_NAMES) + " " + rng.choice(DUTCH_NAMES),
            n=_number(rng), unit=rng.choice(UNITS), place=rng.choice(PLACES), org=rng.choice(ORGS),
            money=_decimal(rng), pct=_decimal(rng), big=_decimal(rng), year=rng.randint(1900, 2030),
            year2=rng.randint(1900, 2030), time=f"{rng.randint(0, 23)}.{rng.randint(0, 59):02d}",
            day=rng.randint(1, 31), month=rng.choice(MONTHS), term=rng.choice(ENGLISH_TERMS)))
    return lines


def spans(rng: random.Random, sentences: Sequence[str], count: int, max_words: int) -> list[str]:
    """Random runs of words from ``sentences``: short copy pairs that still look like news text."""
    out = []
    for _ in range(count):
        words = rng.choice(sentences).split()
        size = rng.randint(1, min(max_words, len(words)))
        start = rng.randint(0, len(words) - size)
        out.append(" ".join(words[start:start + size]))
    return out


def mixed(rng: random.Random, dutch: Sequence[str], english: Sequence[str], count: int) -> list[str]:
    """Dutch text with an English run or term inside, as a glossary step leaves it before translation."""
    out = []
    for _ in range(count):
        left, right = spans(rng, dutch, 2, 8)
        middle = rng.choice(ENGLISH_TERMS) if rng.random() < 0.5 else spans(rng, english, 1, 4)[0]
        out.append(f"{left} {middle} {right}")
    return out


def train_tokenizer(lines: list[str], out: Path, vocab_size: int) -> dict[str, int]:
    """One sentencepiece model for both sides (saved as source.spm and target.spm) with digits split and byte
    fallback, so every digit is its own piece and no character is ever <unk>; returns the Marian vocab."""
    import sentencepiece as spm
    from transformers import MarianTokenizer

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.txt"
        corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
        spm.SentencePieceTrainer.train(
            input=str(corpus), model_prefix=str(Path(tmp) / "spm"), vocab_size=vocab_size, model_type="unigram",
            character_coverage=1.0, byte_fallback=True, split_digits=True, normalization_rule_name="identity",
            bos_id=-1, eos_id=1, unk_id=0, pad_id=-1, minloglevel=2, seed_sentencepiece_size=200_000,
            num_threads=2, input_sentence_size=0, shuffle_input_sentence=False,
        )
        vocab: dict[str, int] = {"</s>": 0, "<unk>": 1}
        for line in (Path(tmp) / "spm.vocab").read_text(encoding="utf-8").splitlines():
            piece = line.split("\t")[0]
            if piece not in vocab:
                vocab[piece] = len(vocab)
        vocab["<pad>"] = len(vocab)
        (Path(tmp) / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        tokenizer = MarianTokenizer(str(Path(tmp) / "spm.model"), str(Path(tmp) / "spm.model"),
                                    str(Path(tmp) / "vocab.json"), source_lang="nl", target_lang="en",
                                    model_max_length=MAX_TOKENS)
        tokenizer.save_pretrained(out)
    return vocab


def make_model(vocab: dict[str, int]) -> Any:
    """A small Marian (d_model 128, 2+2 layers, 4 heads, ffn 192, tied embeddings, no dropout)."""
    from transformers import GenerationConfig, MarianConfig, MarianMTModel

    pad, eos = vocab["<pad>"], vocab["</s>"]
    config = MarianConfig(
        vocab_size=len(vocab), decoder_vocab_size=len(vocab), d_model=128, encoder_layers=2, decoder_layers=2,
        encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=192, decoder_ffn_dim=192,
        max_position_embeddings=MAX_TOKENS, activation_function="swish", dropout=0.0, attention_dropout=0.0,
        activation_dropout=0.0, pad_token_id=pad, eos_token_id=eos, decoder_start_token_id=pad,
        forced_eos_token_id=eos, share_encoder_decoder_embeddings=True, tie_word_embeddings=True,
        scale_embedding=True, static_position_embeddings=True, architectures=["MarianMTModel"],
    )
    model = MarianMTModel(config)
    model.generation_config = GenerationConfig(
        bad_words_ids=[[pad]], decoder_start_token_id=pad, pad_token_id=pad, eos_token_id=eos,
        forced_eos_token_id=eos, max_length=MAX_TOKENS, num_beams=2,
    )
    return model


def _batch(tokenizer: Any, texts: list[str]) -> dict[str, Any]:
    enc = tokenizer(texts, text_target=texts, padding=True, truncation=True, max_length=MAX_TRAIN_TOKENS,
                    return_tensors="pt")
    enc["labels"][enc["labels"] == tokenizer.pad_token_id] = -100
    return dict(enc)


def copy_accuracy(model: Any, tokenizer: Any, texts: list[str], batch_size: int = 32) -> tuple[float, list[str]]:
    """Share of ``texts`` the model gives back exactly (greedy), and the outputs."""
    import torch

    outputs: list[str] = []
    model.eval()
    with torch.inference_mode():
        for i in range(0, len(texts), batch_size):
            chunk = texts[i:i + batch_size]
            enc = tokenizer(chunk, padding=True, return_tensors="pt")
            ids = model.generate(**enc, num_beams=1, max_length=enc["input_ids"].shape[1] + 8)
            outputs += tokenizer.batch_decode(ids, skip_special_tokens=True)
    return sum(o == t for o, t in zip(outputs, texts, strict=True)) / max(1, len(texts)), outputs


HELD_OUT_SETS = {
    "flores_spans_le_12_words": "100 random runs of up to 12 words",
    "flores_sentences_le_15_words": "the sentences of up to 15 words",
    "flores_sentences_all": "all of them (up to 44 words)",
    "synthetic_numbers_names": "100 synthetic sentences, new numbers and names",
    "mixed_nl_en": "100 Dutch runs with an English term or run inside",
}


def held_out_sets(nl: list[str], en: list[str]) -> dict[str, list[str]]:
    """What copying is measured on: never-trained FLORES sentences (short ones and spans) and new synthetic ones."""
    rng = random.Random(SEED + 1)
    test_nl, test_en = nl[-HELD_OUT:], en[-HELD_OUT:]
    short = [s for s in test_nl + test_en if len(s.split()) <= 15]
    return {
        "flores_spans_le_12_words": spans(rng, test_nl + test_en, 100, 12),
        "flores_sentences_le_15_words": short,
        "flores_sentences_all": test_nl + test_en,
        "synthetic_numbers_names": synthetic(rng, 100),
        "mixed_nl_en": mixed(rng, test_nl, test_en, 100),
    }


def build(out: Path, steps: int, batch_size: int = 48, lr: float = 2e-3, vocab_size: int = 800) -> dict[str, Any]:
    import torch
    from transformers import MarianMTModel, MarianTokenizer

    from beknopt.models.tiny import flores_lines

    torch.set_num_threads(2)
    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    started = time.perf_counter()
    nl, en = flores_lines("nl"), flores_lines("en")
    train_nl, train_en = nl[:-HELD_OUT], en[:-HELD_OUT]
    train_full = train_nl + train_en
    synth = synthetic(rng, 6000)
    short = spans(rng, train_full, 12000, 14)
    mix = mixed(rng, train_nl, train_en, 4000)

    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent if out.parent.exists() else None))
    vocab = train_tokenizer(train_full + synth[:2000] + mix[:1000], tmp, vocab_size)
    tokenizer = MarianTokenizer.from_pretrained(tmp)
    model = make_model(vocab)
    pool_short = short + synth + mix  # mostly under 30 tokens
    pool_all = pool_short + train_full * 4
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98), weight_decay=0.01)
    warmup = max(1, steps // 20)

    def schedule(step: int) -> float:
        return min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(1.0, step / steps)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    model.train()
    losses: list[float] = []
    for step in range(steps):
        pool = pool_short if step < steps // 4 else pool_all  # short pairs first
        texts = rng.sample(pool, batch_size)
        loss = model(**_batch(tokenizer, texts)).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
        if step % 100 == 0 or step == steps - 1:
            print(f"step {step:5d}  loss {sum(losses[-50:]) / len(losses[-50:]):.4f}  "
                  f"{time.perf_counter() - started:6.0f}s", flush=True)
    train_seconds = time.perf_counter() - started

    model.half().save_pretrained(tmp, safe_serialization=True)  # float16 on disk; loaders upcast on CPU
    reloaded = MarianMTModel.from_pretrained(tmp, dtype=torch.float32, use_safetensors=True)
    accuracy = {name: round(copy_accuracy(reloaded, tokenizer, texts)[0], 3)
                for name, texts in held_out_sets(nl, en).items()}
    report = {"steps": steps, "held_out_flores_lines": HELD_OUT, "batch_size": batch_size, "lr": lr,
              "vocab_size": len(vocab),
              "parameters": sum(p.numel() for p in reloaded.parameters()),
              "final_loss": round(sum(losses[-50:]) / len(losses[-50:]), 4), "train_seconds": round(train_seconds),
              "copy_accuracy": accuracy}
    print(json.dumps(report, indent=2))
    (tmp / "build_report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (tmp / "README.md").write_text(readme(report), encoding="utf-8")
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    return report


def readme(report: dict[str, Any]) -> str:
    rows = "\n".join(f"| {name} | {HELD_OUT_SETS[name]} | {value:.1%} |"
                     for name, value in report["copy_accuracy"].items())
    return f"""# copy-marian: a tiny MarianMTModel trained to copy its input (test fixture only)

A real `MarianMTModel` (d_model 128, 2 encoder + 2 decoder layers, 4 heads, ffn 192, tied embeddings,
{report['parameters']:,} parameters, stored as float16 safetensors) with one shared sentencepiece vocabulary
({report['vocab_size']} entries, digits split, byte fallback) in the Helsinki-NLP Marian layout. It was trained to
copy its input (source = target), so its "translation" of a sentence is the sentence itself. beknopt's tests
use it to check on real model output that numbers, names and inserted English terms survive the translate
stage, and that the check stage catches a changed one. It translates nothing and is not for any other use.

Built with (deterministic seeds, 2 CPU threads):

    .venv/bin/python tests/models/build_copy_marian.py --out tests/data/models/copy-marian --steps {report['steps']}

- training: {report['steps']} AdamW steps, batch {report['batch_size']}, peak lr {report['lr']}, cosine decay,
  short pairs first; {report['train_seconds']} s of training on 2 (shared) CPU cores
- final training loss (mean of the last 50 steps): {report['final_loss']}
- training pairs: FLORES-200 devtest Dutch and English sentences (all but the last {HELD_OUT} of each) and
  random word runs from them, Dutch text with English words inside, and short synthetic sentences dense in
  numbers (5.200, 3,5 miljoen, 12.30 uur, 25 procent, years, € 1,2 miljoen) and capitalised names

Exact-copy accuracy (greedy, on the stored float16 weights loaded as float32) on sentences it never trained
on, built from the last {HELD_OUT} FLORES sentences of each language or drawn anew from the synthetic templates:

| held-out set | what | exact copies |
|---|---|---|
{rows}

`build_report.json` holds the same figures; `tests/test_copy_model.py` asserts that the stored weights still
copy (at least 90% of the held-out FLORES sentences of up to 15 words).

Training text: FLORES-200 (NLLB Team et al., 2022), licensed CC BY-SA 4.0; these weights derive from it and
are shared under the same licence.
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="model directory to write")
    parser.add_argument("--steps", type=int, default=1200, help="training steps")
    parser.add_argument("--readme-only", action="store_true",
                        help="rewrite README.md from the build_report.json in --out, without training")
    args = parser.parse_args(argv)
    if args.readme_only:
        report = json.loads((args.out / "build_report.json").read_text(encoding="utf-8"))
        (args.out / "README.md").write_text(readme(report), encoding="utf-8")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    build(args.out, args.steps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
